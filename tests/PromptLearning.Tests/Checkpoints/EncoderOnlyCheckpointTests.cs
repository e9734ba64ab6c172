using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.Baselines;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>
/// Checkpoints without an LM head, as users have them (BertModel / sentence-transformers: no cls.*,
/// keys without the base prefix, a pooler; *ForSequenceClassification: a classifier): the backbone
/// loads, the report lists what was newly initialised and what was unused, and methods that read the
/// LM head refuse the model while the others work.
/// </summary>
public sealed class EncoderOnlyCheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("encoder-only-tests-").FullName;

    public EncoderOnlyCheckpointTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The fixture's folder with its weights rewritten: the head dropped, the base prefix removed or kept, extra tensors added.</summary>
    string EncoderOnly(string model, bool stripPrefix, IReadOnlyDictionary<string, Tensor>? extra = null)
    {
        var folder = Path.Combine(_dir, $"{model}-{stripPrefix}-{extra?.Count ?? 0}");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(HfFixtures.Model(model)).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal) && !f.EndsWith(".bin", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var all = Safetensors.Load(Path.Combine(HfFixtures.Model(model), "model.safetensors"));
        var prefix = model == "bert" ? "bert." : "roberta.";
        var kept = all.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(kv => KeyValuePair.Create(stripPrefix ? kv.Key[prefix.Length..] : kv.Key, kv.Value))
            .Concat(extra ?? new Dictionary<string, Tensor>()).ToList();
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), kept);
        return folder;
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void EncoderOnlyFolderLoadsTheBackboneAndReportsTheHead(string model)
    {
        using var scope = NewDisposeScope();
        var hidden = ConfigFile.Read(Path.Combine(HfFixtures.Model(model), "config.json")).HiddenSize;
        var pooler = new Dictionary<string, Tensor> { ["pooler.dense.weight"] = zeros(hidden, hidden), ["pooler.dense.bias"] = zeros(hidden) };
        var folder = EncoderOnly(model, stripPrefix: true, pooler);
        using var encoderOnly = Pretrained.Load(folder);
        using var full = Pretrained.Load(HfFixtures.Model(model));

        var report = encoderOnly.LoadReport!;
        var headPrefix = model == "bert" ? "cls.predictions." : "lm_head.";
        // Exactly the head's own tensors are new (tied decoder weights come from the embeddings).
        var expectedNew = full.Model.Module.state_dict().Keys.Where(k => k.StartsWith(headPrefix, StringComparison.Ordinal))
            .Where(k => !full.Model.TiedWeights.ContainsKey(k) || !full.Model.TiedWeights[k].StartsWith(model == "bert" ? "bert." : "roberta.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedNew, report.NewlyInitialised);
        Assert.Equal(expectedNew, encoderOnly.Model.UntrainedHead);
        // The pooler loads into the encoder's own pooler under its HF name (nothing unused).
        Assert.Empty(report.Ignored);
        Assert.Equal("pooler.dense.weight", report.Loaded[(model == "bert" ? "bert." : "roberta.") + "pooler.dense.weight"]);
        Assert.Contains("newly initialized", report.Describe(model, folder));
        Assert.Empty(full.LoadReport!.NewlyInitialised);

        // The encoder's outputs equal the full checkpoint's.
        var ids = tensor(new long[,] { { 2, 5, 7, 9, 3 } });
        var a = encoderOnly.Model.Forward(new ForwardArgs { InputIds = ids }).LastHiddenState;
        var b = full.Model.Forward(new ForwardArgs { InputIds = ids }).LastHiddenState;
        Assert.True(a.allclose(b, 0, 0), "encoder outputs differ");
    }

    [FixtureFact]
    public void ClassificationCheckpointKeepsItsPrefixAndDropsTheClassifier()
    {
        using var scope = NewDisposeScope();
        var hidden = ConfigFile.Read(Path.Combine(HfFixtures.Model("bert"), "config.json")).HiddenSize;
        var folder = EncoderOnly("bert", stripPrefix: false, new Dictionary<string, Tensor> { ["classifier.weight"] = zeros(2, hidden), ["classifier.bias"] = zeros(2) });
        using var loaded = Pretrained.Load(folder);
        Assert.Equal(["classifier.bias", "classifier.weight"], loaded.LoadReport!.Ignored.Order(StringComparer.Ordinal));
        Assert.NotEmpty(loaded.Model.UntrainedHead);
    }

    [FixtureFact]
    public void MethodsThatReadTheLmHeadRefuseAndTheOthersWork()
    {
        using var scope = NewDisposeScope();
        using var pretrained = Pretrained.Load(EncoderOnly("bert", stripPrefix: true));
        var task = new TaskDefinition { Name = "cls", Kind = TaskKind.Classification, Labels = ["a", "b"], Verbalizer = Verbalizer.Of(["a", "b"], ["a", "b"]) };
        var cloze = Assert.Throws<InvalidOperationException>(() => PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, task, new ZeroShotClozeConfig()));
        Assert.Contains("language-model head", cloze.Message);
        Assert.Contains("cls.predictions", cloze.Message);
        Assert.Contains("P-tuning v2", cloze.Message);
        using var v2 = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, task, new PTuningV2Config());
        using var head = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, task, new HeadOnlyConfig());
        Assert.Equal(HeadKind.Classification, v2.Tasks[0].Head.Kind);
    }
}
