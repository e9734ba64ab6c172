using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>Pretrained.Load end to end (folder -> config, tokenizer, weights -> logits equal to transformers'), and Save round trips.</summary>
public sealed class PretrainedParityTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pretrained-tests-").FullName;

    public PretrainedParityTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static JsonElement Expected(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfFixtures.Model(model), "expected.json")));
        return doc.RootElement.Clone();
    }

    static Tensor FromJson(JsonElement e, ScalarType type)
    {
        var shape = new List<long>();
        for (var x = e; x.ValueKind == JsonValueKind.Array; x = x[0]) shape.Add(x.GetArrayLength());
        var flat = new List<double>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Walk(c);
            else flat.Add(x.GetDouble());
        }
        Walk(e);
        return tensor(flat.ToArray(), shape.ToArray()).to_type(type);
    }

    static Tensor Logits(PretrainedModel m, JsonElement batch)
    {
        var args = new ForwardArgs
        {
            InputIds = FromJson(batch.GetProperty("input_ids"), ScalarType.Int64),
            AttentionMask = FromJson(batch.GetProperty("attention_mask"), ScalarType.Int64),
            TokenTypeIds = batch.TryGetProperty("token_type_ids", out var t) ? FromJson(t, ScalarType.Int64) : null,
        };
        using (no_grad()) return m.Model.Forward(args).Logits!;
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void LoadedFolderReproducesTransformersLogits(string model)
    {
        using var scope = NewDisposeScope();
        using var m = Pretrained.Load(HfFixtures.Model(model));
        Assert.Equal(model, m.Config.ModelType);
        Assert.False(m.Model.Module.training);
        var batch = Expected(model).GetProperty("batch");
        var logits = Logits(m, batch);
        var expected = FromJson(batch.GetProperty("logits"), ScalarType.Float32);
        var mask = FromJson(batch.GetProperty("attention_mask"), ScalarType.Bool).unsqueeze(-1);
        var err = ((logits - expected).abs() - 1e-5 * expected.abs()).masked_fill(~mask, 0).max().item<float>();
        Assert.True(err <= 5e-5, $"{model}: max error {err}");

        // The tokenizer of the same folder rebuilds the batch's ids.
        Assert.Equal(Ids(batch.GetProperty("input_ids"))[0].Where((_, i) => Ids(batch.GetProperty("attention_mask"))[0][i] == 1),
            m.Tokenizer.BuildInputs(m.Tokenizer.Encode(Expected(model).GetProperty("tokenization").GetProperty("single")[0].GetProperty("text").GetString()!)).Select(x => (long)x));
    }

    static long[][] Ids(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void SaveThenLoadGivesTheSameModelAndHfKeys(string model)
    {
        using var scope = NewDisposeScope();
        using var m = Pretrained.Load(HfFixtures.Model(model));
        var folder = Path.Combine(_dir, model);
        m.Save(folder);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer_config.json", "special_tokens_map.json" })
            Assert.True(File.Exists(Path.Combine(folder, f)), f);

        // Same tensor names as save_pretrained (tied weights left out).
        using (var saved = SafetensorsReader.Open(Path.Combine(folder, "model.safetensors")))
        using (var original = SafetensorsReader.Open(Path.Combine(HfFixtures.Model(model), "model.safetensors")))
            Assert.Equal(original.Names.Order(StringComparer.Ordinal), saved.Names.Order(StringComparer.Ordinal));

        using var again = Pretrained.Load(folder);
        Assert.Equal(m.Config, again.Config);
        var batch = Expected(model).GetProperty("batch");
        Assert.True(Logits(m, batch).allclose(Logits(again, batch), 0, 0));
        var text = "Hello world, the model runs.";
        Assert.Equal(m.Tokenizer.Encode(text), again.Tokenizer.Encode(text));
    }

    [FixtureFact]
    public void WeightsThatDoNotFitTheConfigListEveryName()
    {
        var folder = Path.Combine(_dir, "mismatch");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(HfFixtures.Model("bert"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        // One layer more and six more words than the fixture's own config: the new layer's weights are
        // missing and the word embeddings do not fit.
        var original = ConfigFile.Read(Path.Combine(folder, "config.json"));
        var config = original with { NumHiddenLayers = original.NumHiddenLayers + 1, VocabSize = original.VocabSize + 6 };
        ConfigFile.Write(config, Path.Combine(folder, "config.json"));
        var ex = Assert.Throws<InvalidDataException>(() => Pretrained.Load(folder));
        Assert.Contains(Path.Combine(folder, "model.safetensors"), ex.Message);
        Assert.Contains($"bert.encoder.layer.{original.NumHiddenLayers}.output.dense.weight", ex.Message);
        Assert.Contains($"bert.embeddings.word_embeddings.weight: checkpoint [{original.VocabSize}, {original.HiddenSize}] vs model [{config.VocabSize}, {original.HiddenSize}]", ex.Message);
    }

    [Fact]
    public void FolderWithoutWeightsIsNamed()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"model_type":"gpt2","vocab_size":10,"n_embd":8,"n_layer":1,"n_head":2,"n_positions":16}""");
        var model = Pretrained.CreateModel(ConfigFile.Read(Path.Combine(_dir, "config.json")));
        var ex = Assert.Throws<FileNotFoundException>(() => Pretrained.LoadWeights(model, _dir));
        Assert.Contains("model.safetensors", ex.Message);
        Assert.Contains("pytorch_model.bin", ex.Message);
        // An empty pytorch_model.bin is read (safetensors absent) and refused naming the file.
        File.WriteAllText(Path.Combine(_dir, "pytorch_model.bin"), "");
        var bad = Assert.Throws<InvalidDataException>(() => Pretrained.LoadWeights(model, _dir));
        Assert.Contains(Path.Combine(_dir, "pytorch_model.bin"), bad.Message);
    }
}
