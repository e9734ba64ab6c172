using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PTuningV2;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>
/// Checkpoints with a pooler (<c>bert.pooler.dense.*</c> / <c>roberta.pooler.dense.*</c>) or a sequence
/// classifier (<c>classifier.*</c>), built from the fixtures: the pooler loads 1:1, is reported, saved back,
/// and read by P-tuning v2's pooled head; the classifier loads into a head on request; the load options
/// (backbone only, dtype) do what they say.
/// </summary>
public sealed class PoolerCheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pooler-tests-").FullName;

    public PoolerCheckpointTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Prefix(string model) => model == "bert" ? "bert." : "roberta.";

    static int Hidden(string model) => ConfigFile.Read(Path.Combine(HfFixtures.Model(model), "config.json")).HiddenSize;

    /// <summary>The fixture's folder with <paramref name="extra"/> tensors added to its weights (and keys without the base prefix when <paramref name="stripPrefix"/>).</summary>
    string WithTensors(string model, IReadOnlyDictionary<string, Tensor> extra, bool stripPrefix = false, string tag = "")
    {
        var folder = Path.Combine(_dir, $"{model}-{stripPrefix}-{string.Join("-", extra.Keys.Order())}{tag}".Replace('.', '_'));
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(HfFixtures.Model(model)).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal) && !f.EndsWith(".bin", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var all = Safetensors.Load(Path.Combine(HfFixtures.Model(model), "model.safetensors"));
        var prefix = Prefix(model);
        var kept = all.Where(kv => !stripPrefix || kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(kv => KeyValuePair.Create(stripPrefix ? kv.Key[prefix.Length..] : kv.Key, kv.Value))
            .Concat(extra).ToList();
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), kept);
        return folder;
    }

    static Dictionary<string, Tensor> Pooler(string model, string prefix, int seed)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        int h = Hidden(model);
        return new() { [prefix + "pooler.dense.weight"] = randn(h, h, generator: g).mul_(0.2), [prefix + "pooler.dense.bias"] = randn(h, generator: g).mul_(0.2) };
    }

    static Tensor Ids(string model) => tensor(new long[,] { { HfFixtures.SpecialTokenId(model, model == "bert" ? "[CLS]" : "<s>"), 5, 7, 9, 11 } });

    [FixtureTheory]
    [InlineData("bert", false)]
    [InlineData("bert", true)]
    [InlineData("roberta", false)]
    [InlineData("roberta", true)]
    public void PoolerLoadsUnderItsHfNameIsReportedAndSavedBack(string model, bool stripPrefix)
    {
        using var scope = NewDisposeScope();
        var prefix = Prefix(model);
        var pooler = Pooler(model, stripPrefix ? "" : prefix, seed: 1);
        var folder = WithTensors(model, pooler, stripPrefix);
        using var loaded = Pretrained.Load(folder);
        var bert = Assert.IsType<BertForMaskedLM>(loaded.Model);
        Assert.NotNull(bert.Pooler);
        var report = loaded.LoadReport!;
        foreach (var name in pooler.Keys)
            Assert.Equal(name, report.Loaded[stripPrefix ? prefix + name : name]);
        Assert.DoesNotContain(report.Ignored, n => n.Contains("pooler", StringComparison.Ordinal));
        Assert.DoesNotContain(report.NewlyInitialised, n => n.Contains("pooler", StringComparison.Ordinal));

        // The pooled output is tanh(dense(h[:, 0])) with the file's tensors.
        var last = loaded.Model.Forward(new ForwardArgs { InputIds = Ids(model) }).LastHiddenState;
        var w = pooler[(stripPrefix ? "" : prefix) + "pooler.dense.weight"];
        var b = pooler[(stripPrefix ? "" : prefix) + "pooler.dense.bias"];
        var manual = last.select(1, 0).matmul(w.t()).add(b).tanh();
        Assert.True(bert.Pooler!.Forward(last).allclose(manual, 1e-6, 1e-6), "pooled output differs from tanh(dense(h[:, 0]))");

        // Save writes every tensor back: the full model's keys plus the pooler, values unchanged.
        var saved = Path.Combine(_dir, $"saved-{model}-{stripPrefix}");
        loaded.Save(saved);
        var original = Safetensors.Load(Path.Combine(HfFixtures.Model(model), "model.safetensors"));
        var source = Safetensors.Load(Path.Combine(folder, "model.safetensors"));
        var written = Safetensors.Load(Path.Combine(saved, "model.safetensors"));
        var expectedKeys = original.Keys.Concat(pooler.Keys.Select(k => stripPrefix ? prefix + k : k)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedKeys, written.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var (k, t) in source) Assert.True(written[stripPrefix ? prefix + k : k].allclose(t, 0, 0), $"{k} changed in the round trip");
        using var again = Pretrained.Load(saved);
        Assert.Empty(again.LoadReport!.Ignored);
        Assert.Empty(again.LoadReport!.NewlyInitialised);
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void PTuningV2DefaultsToThePooledHeadOnABackboneWithAPooler(string model)
    {
        using var scope = NewDisposeScope();
        var prefix = Prefix(model);
        var pooler = Pooler(model, prefix, seed: 2);
        using var loaded = Pretrained.Load(WithTensors(model, pooler));
        var task = new TaskDefinition { Name = "cls", Kind = TaskKind.Classification, Labels = ["a", "b", "c"] };
        using var v2 = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 3 });
        var head = Assert.IsType<PooledClassificationHead>(v2.Tasks[0].Head);
        Assert.Empty(head.NewlyInitialised);
        Assert.Same(((BertForMaskedLM)loaded.Model).Pooler, head.Pooler);
        // The backbone's pooler is frozen with the backbone and not part of the saved head.
        Assert.DoesNotContain(v2.TrainableParameters(), p => p.Name.Contains("pooler", StringComparison.Ordinal));

        v2.eval();
        using var batch = v2.Encode([new PromptExample("a b c") { Label = 0 }, new PromptExample("c b") { Label = 1 }]);
        var output = v2.Forward(batch);
        var scores = v2.Scores(output, batch, 0);
        Assert.True(batch.PoolPositions.eq(0).all().item<bool>(), "P-tuning v2 pools the first token");
        var pooled = output.LastHiddenState.select(1, 0).matmul(pooler[prefix + "pooler.dense.weight"].t()).add(pooler[prefix + "pooler.dense.bias"]).tanh();
        var manual = pooled.matmul(head.Classifier.weight!.t()).add(head.Classifier.bias!);
        Assert.True(scores.allclose(manual, 1e-5, 1e-6), "pooled head scores differ from linear(tanh(dense(h[:, 0])))");

        // Today's head stays available by name.
        using var linear = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 3, Head = HeadKind.Classification });
        Assert.IsType<ClassificationHead>(linear.Tasks[0].Head);
    }

    [FixtureFact]
    public void WithoutAPoolerThePooledHeadGetsAFreshOneListedAsNewlyInitialised()
    {
        using var scope = NewDisposeScope();
        using var loaded = Pretrained.Load(HfFixtures.Model("bert"));
        Assert.Null(((BertForMaskedLM)loaded.Model).Pooler);
        var task = new TaskDefinition { Name = "cls", Kind = TaskKind.Classification, Labels = ["a", "b"] };
        using var plain = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 2 });
        Assert.Equal(HeadKind.Classification, plain.Tasks[0].Head.Kind);

        using var pooledModel = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 2, Head = HeadKind.PooledClassification });
        var head = Assert.IsType<PooledClassificationHead>(pooledModel.Tasks[0].Head);
        Assert.Equal(["pooler.dense.bias", "pooler.dense.weight"], head.NewlyInitialised);
        Assert.Contains(pooledModel.TrainableParameters(), p => p.Name.EndsWith("head.pooler.dense.weight", StringComparison.Ordinal));
        Assert.Equal(["cls.head.classifier.bias", "cls.head.classifier.weight", "cls.head.pooler.dense.bias", "cls.head.pooler.dense.weight"],
            pooledModel.PromptTensors().Keys.Where(n => n.Contains(".head.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        // The fresh pooler is saved with the prompt and comes back.
        var folder = Path.Combine(_dir, "prompt");
        PromptCheckpoint.Save(pooledModel, folder);
        using var back = PromptCheckpoint.Load(folder, loaded.Model, loaded.Tokenizer);
        var backHead = Assert.IsType<PooledClassificationHead>(back.Tasks[0].Head);
        Assert.True(backHead.Pooler.Dense.weight!.allclose(head.Pooler.Dense.weight!, 0, 0));
    }

    [FixtureFact]
    public void ClassifierLoadsIntoTheHeadOnRequestAndAWrongShapeIsNamed()
    {
        using var scope = NewDisposeScope();
        int h = Hidden("bert");
        var g = new TorchSharp.torch.Generator(3);
        var classifier = new Dictionary<string, Tensor> { ["classifier.weight"] = randn(3, h, generator: g), ["classifier.bias"] = randn(3, generator: g) };
        var extra = new Dictionary<string, Tensor>(classifier);
        foreach (var (k, v) in Pooler("bert", "bert.", seed: 4)) extra[k] = v;
        var folder = WithTensors("bert", extra);

        using (var plain = Pretrained.Load(folder))
        {
            Assert.Equal(["classifier.bias", "classifier.weight"], plain.LoadReport!.Ignored.Order(StringComparer.Ordinal));
            Assert.Empty(plain.Classifier);
        }

        using var loaded = Pretrained.Load(folder, new PretrainedLoadOptions { LoadClassifier = true });
        Assert.Empty(loaded.LoadReport!.Ignored);
        Assert.Equal(["classifier.bias", "classifier.weight"], loaded.LoadReport.KeptForClassifier);
        var task = new TaskDefinition { Name = "cls", Kind = TaskKind.Classification, Labels = ["a", "b", "c"] };
        using var v2 = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 2 });
        v2.LoadClassifier(loaded.Classifier);
        var head = Assert.IsType<PooledClassificationHead>(v2.Tasks[0].Head);
        Assert.True(head.Classifier.weight!.allclose(classifier["classifier.weight"], 0, 0));
        Assert.True(head.Classifier.bias!.allclose(classifier["classifier.bias"], 0, 0));

        var twoLabels = task with { Labels = ["a", "b"] };
        using var small = new PTuningV2Model(loaded.Model, loaded.Tokenizer, twoLabels, new PTuningV2Config { Length = 2, Head = HeadKind.Classification });
        var ex = Assert.Throws<InvalidDataException>(() => small.LoadClassifier(loaded.Classifier));
        Assert.Contains($"classifier.weight: checkpoint [3, {h}] vs head [2, {h}]", ex.Message);
    }

    [FixtureFact]
    public void RobertaClassifierFillsThePooledHeadsOwnPoolerAndLinear()
    {
        using var scope = NewDisposeScope();
        int h = Hidden("roberta");
        var g = new TorchSharp.torch.Generator(5);
        var classifier = new Dictionary<string, Tensor>
        {
            ["classifier.dense.weight"] = randn(h, h, generator: g).mul_(0.2), ["classifier.dense.bias"] = randn(h, generator: g).mul_(0.2),
            ["classifier.out_proj.weight"] = randn(2, h, generator: g), ["classifier.out_proj.bias"] = randn(2, generator: g),
        };
        using var loaded = Pretrained.Load(WithTensors("roberta", classifier), new PretrainedLoadOptions { LoadClassifier = true });
        Assert.Equal(classifier.Keys.Order(StringComparer.Ordinal), loaded.LoadReport!.KeptForClassifier);
        var task = new TaskDefinition { Name = "cls", Kind = TaskKind.Classification, Labels = ["a", "b"] };
        using var v2 = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 2, Head = HeadKind.PooledClassification });
        v2.LoadClassifier(loaded.Classifier);
        v2.eval();
        using var batch = v2.Encode([new PromptExample("a b") { Label = 0 }]);
        var output = v2.Forward(batch);
        var manual = output.LastHiddenState.select(1, 0).matmul(classifier["classifier.dense.weight"].t()).add(classifier["classifier.dense.bias"]).tanh()
            .matmul(classifier["classifier.out_proj.weight"].t()).add(classifier["classifier.out_proj.bias"]);
        Assert.True(v2.Scores(output, batch, 0).allclose(manual, 1e-5, 1e-6), "scores differ from RobertaClassificationHead's out_proj(tanh(dense(h[:, 0])))");

        // A linear [CLS] head has no pooler to take classifier.dense: refused with the reason.
        using var linear = new PTuningV2Model(loaded.Model, loaded.Tokenizer, task, new PTuningV2Config { Length = 2 });
        Assert.Contains("PooledClassification", Assert.Throws<ArgumentException>(() => linear.LoadClassifier(loaded.Classifier)).Message);
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void BackboneOnlyLeavesTheHeadOutAndKeepsTheEncoder(string model)
    {
        using var scope = NewDisposeScope();
        using var full = Pretrained.Load(HfFixtures.Model(model));
        using var backbone = Pretrained.Load(HfFixtures.Model(model), new PretrainedLoadOptions { BackboneOnly = true });
        var headPrefix = model == "bert" ? "cls." : "lm_head.";
        var fileNames = Safetensors.Load(Path.Combine(HfFixtures.Model(model), "model.safetensors")).Keys;
        Assert.Equal(fileNames.Where(n => n.StartsWith(headPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal), backbone.LoadReport!.Ignored.Order(StringComparer.Ordinal));
        var ownHead = full.Model.Module.state_dict().Keys.Where(k => k.StartsWith(headPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ownHead, backbone.LoadReport.NewlyInitialised);
        Assert.Equal(ownHead, backbone.Model.UntrainedHead);
        var ids = Ids(model == "gpt2" ? "roberta" : model).clamp_max(full.Config.VocabSize - 1);
        var a = backbone.Model.Forward(new ForwardArgs { InputIds = ids, SkipLmHead = true }).LastHiddenState;
        var b = full.Model.Forward(new ForwardArgs { InputIds = ids, SkipLmHead = true }).LastHiddenState;
        Assert.True(a.allclose(b, 0, 0), "backbone outputs differ from the full checkpoint's");
    }

    [FixtureTheory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void DtypeConvertsTheLoadedWeights(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var full = Pretrained.Load(HfFixtures.Model("bert"));
        using var half = Pretrained.Load(HfFixtures.Model("bert"), new PretrainedLoadOptions { Dtype = dtype });
        Assert.All(half.Model.Module.parameters(), p => Assert.Equal(dtype, p.dtype));
        var ids = Ids("bert");
        var a = full.Model.Forward(new ForwardArgs { InputIds = ids }).Logits!;
        var b = half.Model.Forward(new ForwardArgs { InputIds = ids }).Logits!;
        Assert.Equal(dtype, b.dtype);
        var err = b.to_type(ScalarType.Float32).sub(a).abs().max().item<float>();
        var scale = a.abs().max().item<float>();
        Assert.True(err <= 0.05 * scale, $"{dtype} logits differ from F32 by {err} (scale {scale})");
        Assert.Throws<ArgumentException>(() => Pretrained.Load(HfFixtures.Model("bert"), new PretrainedLoadOptions { Dtype = ScalarType.Float64 }));
    }
}
