using PromptLearning.Checkpoints;
using PromptLearning.Models;

namespace PromptLearning.Tests.Checkpoints;

public sealed class ConfigFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cfg-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string json)
    {
        var path = Path.Combine(_dir, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    const string Gpt2 = """
        {"model_type":"gpt2","vocab_size":297,"n_embd":32,"n_layer":2,"n_head":4,"n_inner":null,
         "n_positions":64,"layer_norm_epsilon":1e-05,"activation_function":"gelu_new","resid_pdrop":0.2,"attn_pdrop":0.3,
         "bos_token_id":296,"eos_token_id":296}
        """;

    [Fact]
    public void Gpt2KeysMapOntoTheRecord()
    {
        var c = ConfigFile.Read(Write(Gpt2));
        Assert.Equal("gpt2", c.ModelType);
        Assert.Equal(32, c.HiddenSize);
        Assert.Equal(2, c.NumHiddenLayers);
        Assert.Equal(4, c.NumAttentionHeads);
        Assert.Equal(128, c.IntermediateSize);
        Assert.Equal(64, c.MaxPositionEmbeddings);
        Assert.Equal(1e-5, c.LayerNormEps);
        Assert.Equal("gelu_new", c.HiddenAct);
        Assert.Equal(0.2, c.HiddenDropoutProb);
        Assert.Equal(0.3, c.AttentionProbsDropoutProb);
        Assert.Equal(296, c.EosTokenId);
        Assert.Null(c.PadTokenId);
        Assert.True(c.IsCausal);
    }

    [Fact]
    public void WriteThenReadRoundTrips()
    {
        foreach (var json in new[] { Gpt2, """{"model_type":"roberta","vocab_size":50,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":20,"type_vocab_size":1,"pad_token_id":1,"layer_norm_eps":1e-5}""" })
        {
            var c = ConfigFile.Parse(json);
            var path = Path.Combine(_dir, "config.json");
            ConfigFile.Write(c, path);
            Assert.Equal(c, ConfigFile.Read(path));
        }
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void FixtureConfigsRead(string model)
    {
        // Expectations from the raw JSON of whichever fixture set is in use (HF names per model type).
        var json = HfFixtures.Json(model, "config.json");
        int Int(string name) => json.GetProperty(name).GetInt32();
        var c = ConfigFile.Read(Path.Combine(HfFixtures.Model(model), "config.json"));
        Assert.Equal(model, c.ModelType);
        Assert.Equal(Int("vocab_size"), c.VocabSize);
        bool gpt2 = model == "gpt2";
        Assert.Equal(Int(gpt2 ? "n_embd" : "hidden_size"), c.HiddenSize);
        Assert.Equal(Int(gpt2 ? "n_layer" : "num_hidden_layers"), c.NumHiddenLayers);
        Assert.Equal(Int(gpt2 ? "n_head" : "num_attention_heads"), c.NumAttentionHeads);
        Assert.Equal(Int(gpt2 ? "n_positions" : "max_position_embeddings"), c.MaxPositionEmbeddings);
        var inner = json.GetProperty(gpt2 ? "n_inner" : "intermediate_size");
        Assert.Equal(inner.ValueKind == System.Text.Json.JsonValueKind.Null ? 4 * c.HiddenSize : inner.GetInt32(), c.IntermediateSize);
        Assert.Equal(json.GetProperty(gpt2 ? "layer_norm_epsilon" : "layer_norm_eps").GetDouble(), c.LayerNormEps);
        Assert.Equal(json.GetProperty(gpt2 ? "activation_function" : "hidden_act").GetString(), c.HiddenAct);
        // GPT-2 has no token types; the record keeps its default there.
        Assert.Equal(json.TryGetProperty("type_vocab_size", out var tv) ? tv.GetInt32() : 2, c.TypeVocabSize);
    }

    [Fact]
    public void MalformedJsonNamesTheFile()
    {
        var path = Write("""{"model_type": "bert", """);
        var ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("malformed JSON", ex.Message);
    }

    [Theory]
    [InlineData("n_embd")]
    [InlineData("n_layer")]
    [InlineData("n_head")]
    [InlineData("n_positions")]
    [InlineData("vocab_size")]
    [InlineData("model_type")]
    public void MissingRequiredFieldNamesFileAndField(string field)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Gpt2)!.AsObject();
        json.Remove(field);
        var path = Write(json.ToJsonString());
        var ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains($"'{field}' is missing", ex.Message);
    }

    [Fact]
    public void WrongTypeAndBadValuesNameTheField()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(Write(Gpt2.Replace("\"n_layer\":2", "\"n_layer\":\"two\""))));
        Assert.Contains("'n_layer' must be an integer", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(Write(Gpt2.Replace("\"n_head\":4", "\"n_head\":5"))));
        Assert.Contains("'n_head'", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(Write(Gpt2.Replace("\"gpt2\"", "\"t5\""))));
        Assert.Contains("'model_type'", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(Write("[1, 2]")));
        Assert.Contains("JSON object", ex.Message);
    }

    [Theory]
    [InlineData("\"activation_function\":\"gelu_new\"", "\"activation_function\":\"swiglu9\"", "'activation_function'")]
    [InlineData("\"resid_pdrop\":0.2", "\"resid_pdrop\":1.0", "'resid_pdrop'")]
    [InlineData("\"attn_pdrop\":0.3", "\"attn_pdrop\":-0.1", "'attn_pdrop'")]
    [InlineData("\"layer_norm_epsilon\":1e-05", "\"layer_norm_epsilon\":0", "'layer_norm_epsilon'")]
    [InlineData("\"layer_norm_epsilon\":1e-05", "\"layer_norm_epsilon\":1e999", "'layer_norm_epsilon'")]
    [InlineData("\"eos_token_id\":296", "\"eos_token_id\":297", "'eos_token_id'")]
    [InlineData("\"bos_token_id\":296", "\"bos_token_id\":-1", "'bos_token_id'")]
    [InlineData("\"n_inner\":null", "\"n_inner\":null,\"pad_token_id\":5000", "'pad_token_id'")]
    public void OutOfRangeValuesNameFileAndField(string from, string to, string field)
    {
        var path = Write(Gpt2.Replace(from, to));
        var ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(field, ex.Message);
    }

    [Theory]
    [InlineData("\"n_embd\":32", "\"n_embd\":1000000000", "'n_embd'")]
    [InlineData("\"vocab_size\":297", "\"vocab_size\":2147483647", "'vocab_size'")]
    [InlineData("\"n_layer\":2", "\"n_layer\":1000000", "'n_layer'")]
    public void ModelsThatCannotFitAreRefusedBeforeAllocation(string from, string to, string field)
    {
        var path = Write(Gpt2.Replace(from, to));
        var c = ConfigFile.Read(path);
        var ex = Assert.Throws<InvalidDataException>(() => ConfigFile.CheckFits(c, path, availableBytes: 8L << 30));
        Assert.Contains(path, ex.Message);
        Assert.Contains(field, ex.Message);
        ConfigFile.CheckFits(ConfigFile.Read(Write(Gpt2)), "small", availableBytes: 8L << 30);
    }

    [Fact]
    public void Gpt2EndOfTextDefaultsOnlyWhereTheVocabularyHoldsIt()
    {
        string Without(int vocab)
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(Gpt2)!.AsObject();
            json.Remove("bos_token_id");
            json.Remove("eos_token_id");
            json["vocab_size"] = vocab;
            return json.ToJsonString();
        }
        var small = ConfigFile.Read(Write(Without(297)));
        Assert.Null(small.EosTokenId);
        var path = Path.Combine(_dir, "written.json");
        ConfigFile.Write(small, path);
        Assert.Equal(small, ConfigFile.Read(path));
        Assert.Equal(50256, ConfigFile.Parse(Without(50257)).EosTokenId);
    }
}
