using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>Shared behaviour of every method on the tiny HF fixture backbones.</summary>
public class PromptMethodTests
{
    public static TheoryData<string, string> SoftPromptMethods() => new()
    {
        { PromptMethods.PromptTuning, "bert" }, { PromptMethods.PTuning, "bert" }, { PromptMethods.PrefixTuning, "bert" },
        { PromptMethods.PTuningV2, "bert" }, { PromptMethods.HeadOnly, "bert" },
        { PromptMethods.PromptTuning, "roberta" }, { PromptMethods.PrefixTuning, "roberta" },
        { PromptMethods.PTuningV2, "gpt2" }, { PromptMethods.PromptTuning, "gpt2" },
    };

    [FixtureTheory]
    [MemberData(nameof(SoftPromptMethods))]
    public void GradientsReachOnlyThePromptParameters(string method, string backboneName)
    {
        using var backbone = PromptTestKit.Backbone(backboneName);
        var tok = PromptTestKit.Tokenizer(backboneName);
        using var model = PromptTestKit.Classifier(method, backbone, tok);
        model.train();
        using var scope = NewDisposeScope();
        var loss = model.Loss(PromptTestKit.SentimentExamples(6, 1));
        loss.backward();
        foreach (var (name, p) in backbone.Module.named_parameters())
        {
            Assert.False(p.requires_grad, $"backbone parameter {name} is trainable");
            Assert.True(p.grad is null, $"backbone parameter {name} received a gradient");
        }
        var trainable = model.TrainableParameters();
        Assert.NotEmpty(trainable);
        Assert.All(trainable, p => Assert.False(p.Name.StartsWith("backbone.")));
        Assert.All(trainable, p => Assert.True(p.Parameter.grad is not null && p.Parameter.grad.abs().sum().item<float>() > 0, $"{p.Name} got no gradient"));
        Assert.InRange(model.TrainableShare, 1e-6, 1.0);
    }

    [FixtureFact]
    public void FineTuningTrainsTheBackboneAndPTuningCanToo()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var ft = PromptTestKit.Classifier(PromptMethods.FineTuning, backbone, tok);
        Assert.Contains(ft.TrainableParameters(), p => p.Name.StartsWith("backbone."));
        Assert.True(ft.TrainableShare > 1.0);
        using var pt = new PromptLearning.Prompts.PTuning.PTuningModel(backbone, tok, PromptTestKit.Sentiment(),
            new PromptLearning.Prompts.PTuning.PTuningConfig { TrainBackbone = true, EncoderHiddenSize = 16 });
        Assert.Contains(pt.TrainableParameters(), p => p.Name.StartsWith("backbone."));
        using var zs = PromptTestKit.Classifier(PromptMethods.ZeroShot, backbone, tok);
        Assert.Equal(0, zs.TrainableParameterCount);
    }

    [FixtureTheory]
    [MemberData(nameof(SoftPromptMethods))]
    public void PaddingDoesNotChangeAnExamplesScores(string method, string backboneName)
    {
        using var backbone = PromptTestKit.Backbone(backboneName);
        var tok = PromptTestKit.Tokenizer(backboneName);
        using var model = PromptTestKit.Classifier(method, backbone, tok);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var examples = PromptTestKit.SentimentExamples(5, 2);
        examples.Add(new PromptExample("bad .") { Label = 0 });
        using var batch = model.Encode(examples);
        var all = model.Scores(model.Forward(batch), batch, 0);
        Assert.Equal(new long[] { examples.Count, 2 }, all.shape);
        for (int i = 0; i < examples.Count; i++)
        {
            using var one = model.Encode([examples[i]]);
            var alone = model.Scores(model.Forward(one), one, 0);
            PromptTestKit.AssertClose(alone[0], all[i], 2e-5, $"{method}/{backboneName} row {i}");
        }
    }

    [FixtureTheory]
    [MemberData(nameof(SoftPromptMethods))]
    public void SaveLoadGivesTheSameOutputsAndTheBackboneStaysBitwiseUnchanged(string method, string backboneName)
    {
        using var backbone = PromptTestKit.Backbone(backboneName);
        var tok = PromptTestKit.Tokenizer(backboneName);
        var before = PromptTestKit.Snapshot(backbone);
        using var model = PromptTestKit.Classifier(method, backbone, tok);
        var trainer = PromptTraining.CreateTrainer(model, PromptTraining.TrainerConfigFor(model.Config, 4) with { BatchSize = 4, LearningRate = 1e-2, Optimizer = OptimizerKind.AdamW });
        trainer.Train(PromptTestKit.SentimentExamples(16, 3));
        Assert.Empty(PromptTestKit.Changed(backbone, before));

        var dir = Path.Combine(Path.GetTempPath(), $"prompt-{method}-{backboneName}-{Guid.NewGuid():N}");
        try
        {
            model.eval();
            PromptCheckpoint.Save(model, dir);
            Assert.True(File.Exists(Path.Combine(dir, PromptCheckpoint.TensorFile)));
            using var loaded = PromptCheckpoint.Load(dir, backbone, tok);
            Assert.Equal(model.Config, loaded.Config);
            var examples = PromptTestKit.SentimentExamples(6, 4);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var batch = model.Encode(examples);
            var a = model.Scores(model.Forward(batch), batch, 0);
            var b = loaded.Scores(loaded.Forward(batch), batch, 0);
            PromptTestKit.AssertClose(a, b, 1e-5, $"{method}/{backboneName} after reload");
            Assert.Equal(model.PredictLabels(examples), loaded.PredictLabels(examples));
        }
        finally { Directory.Delete(dir, true); }
    }

    [FixtureFact]
    public void LoadingOntoAnotherBackboneFailsClearly()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var model = PromptTestKit.Classifier(PromptMethods.PTuningV2, backbone, tok);
        var dir = Path.Combine(Path.GetTempPath(), $"prompt-mismatch-{Guid.NewGuid():N}");
        try
        {
            PromptCheckpoint.Save(model, dir);
            using var other = PromptTestKit.Backbone("bert");
            using (no_grad()) other.Module.named_parameters().First().parameter.add_(1e-3f);
            var e = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.Load(dir, other, tok));
            Assert.Contains("different backbone", e.Message);
            using var gpt = PromptTestKit.Backbone("gpt2");
            Assert.Throws<InvalidDataException>(() => PromptCheckpoint.Load(dir, gpt, PromptTestKit.Tokenizer("gpt2")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PromptEncodersSeedALocalGeneratorAndDoNotReseedTheGlobalOne()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        var encoders = new Func<int, nn.Module>[]
        {
            seed => new PromptLearning.Prompts.PTuning.PromptEncoder(3, 8, 6, PromptLearning.Prompts.PTuning.PromptEncoderKind.Lstm, seed),
            seed => new PromptLearning.Prompts.PTuning.PromptEncoder(3, 8, 6, PromptLearning.Prompts.PTuning.PromptEncoderKind.Mlp, seed),
            seed => new PrefixEncoder(3, 2, 2, 4, reparameterize: true, 6, 1.0, seed),
            seed => new PrefixEncoder(3, 2, 2, 4, reparameterize: false, 6, 1.0, seed),
        };
        foreach (var make in encoders)
        {
            // Built after different global seeds: the same weights, and the global stream after them still
            // depends on the caller's seed (a constructor that reseeded torch would make both streams equal).
            (Tensor[] Weights, Tensor Next) Build(int globalSeed, int seed)
            {
                manual_seed(globalSeed);
                using var module = make(seed);
                return (module.parameters().Select(p => p.detach().clone()).ToArray(), randn(4));
            }
            var a = Build(1, 5);
            var b = Build(2, 5);
            var c = Build(1, 6);
            var name = make(0).GetType().Name;
            Assert.All(a.Weights.Zip(b.Weights), p => Assert.True(p.First.eq(p.Second).all().item<bool>(), $"{name}: same seed, different weights"));
            Assert.Contains(a.Weights.Zip(c.Weights), p => !p.First.eq(p.Second).all().item<bool>());
            Assert.False(a.Next.eq(b.Next).all().item<bool>(), $"{name} reseeded torch's global generator");
        }
    }

    [FixtureFact]
    public void PrefixDropoutDrawsAMaskPerExample()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var dropped = new PTuningV2Model(backbone, tok, PromptTestKit.Sentiment("a"), new PTuningV2Config { Length = 3, PrefixDropout = 0.5 });
        using var kept = new PTuningV2Model(backbone, tok, PromptTestKit.Sentiment("b"), new PTuningV2Config { Length = 3, PrefixDropout = 0 });
        var text = PromptTestKit.SentimentExamples(1, 3)[0].A;
        using var _ = no_grad();
        Tensor Hidden(TaskModel model, IReadOnlyList<PromptExample> rows)
        {
            model.train();
            backbone.Module.eval();  // only the prefix dropout stays random
            using var batch = model.Encode(rows, withTargets: false);
            return model.Forward(batch).LastHiddenState;
        }
        // One task: two identical rows get different prefixes in training mode.
        var same = Hidden(dropped, [new PromptExample(text), new PromptExample(text)]);
        Assert.False(same[0].allclose(same[1], rtol: 0, atol: 1e-4), "identical rows got the same prefix dropout mask");
        // Mixed tasks: each row at its own task's rate (task b's two rows have no dropout).
        using var both = TaskModel.Combine(dropped, kept);
        var mixed = Hidden(both, [new PromptExample(text) { Task = "a" }, new PromptExample(text) { Task = "a" },
            new PromptExample(text) { Task = "b" }, new PromptExample(text) { Task = "b" }]);
        Assert.False(mixed[0].allclose(mixed[1], rtol: 0, atol: 1e-4), "task a's identical rows got the same prefix dropout mask");
        Assert.True(mixed[2].allclose(mixed[3], rtol: 0, atol: 1e-4), "task b (no prefix dropout) rows differ");
    }

    [FixtureFact]
    public void PrefixReparameterisationCollapsesToTheSameOutputs()
    {
        using var backbone = PromptTestKit.Backbone("gpt2");
        var tok = PromptTestKit.Tokenizer("gpt2");
        using var model = new PrefixTuningModel(backbone, tok, PromptTestKit.Generation(), new PrefixTuningConfig { Length = 3, HiddenSize = 24 });
        var encoder = Assert.IsType<PrefixEncoder>(model.Tasks[0].Prompt);
        Assert.True(encoder.Reparameterized);
        using var collapsed = encoder.Collapse();
        Assert.IsType<PrefixTable>(collapsed);
        // Training size counts the MLP; storage keeps only layers x 2 x heads x n x head_dim.
        var c = backbone.Config;
        Assert.Equal((long)c.NumHiddenLayers * 2 * c.HiddenSize * 3, collapsed.parameters().Sum(p => p.numel()));
        Assert.True(model.TrainableParameterCount > collapsed.parameters().Sum(p => p.numel()));
    }

    [FixtureFact]
    public void RealWordInitialisationReproducesTheWordsActivations()
    {
        using var backbone = PromptTestKit.Backbone("gpt2");
        var tok = PromptTestKit.Tokenizer("gpt2");
        const string words = "name : area";
        int n = RealWordPrefix.TokenCount(tok, words);
        using var target = RealWordPrefix.Activations(backbone, tok, words, n);
        // The prefix has one position per token of the text, whatever Length says (as the reference).
        using var plain = new PrefixTuningModel(backbone, tok, PromptTestKit.Generation(), new PrefixTuningConfig { Length = n + 2, Reparameterize = false, InitText = words });
        Assert.Equal(n, ((PrefixPrompt)plain.Tasks[0].Prompt!).Length);
        using (no_grad()) PromptTestKit.AssertClose(target, ((PrefixPrompt)plain.Tasks[0].Prompt!).KeyValues(), 0, "plain prefix");
        // Through the MLP: only the MLP is fitted; the input embedding keeps its initialisation.
        var config = new PrefixTuningConfig { Length = n, HiddenSize = 32, InitText = words, InitFitSteps = 400, InitFitLearningRate = 1e-2 };
        using var fresh = new PrefixEncoder(n, backbone.Config.NumHiddenLayers, backbone.Config.NumAttentionHeads, backbone.Config.HeadDim, true, 32, 1.0, config.Seed);
        using var mlp = new PrefixTuningModel(backbone, tok, PromptTestKit.Generation(), config);
        var encoder = Assert.IsType<PrefixEncoder>(mlp.Tasks[0].Prompt);
        var embedding = encoder.named_parameters().Single(p => p.name.StartsWith("embedding", StringComparison.Ordinal)).parameter;
        var freshEmbedding = fresh.named_parameters().Single(p => p.name.StartsWith("embedding", StringComparison.Ordinal)).parameter;
        Assert.True(embedding.eq(freshEmbedding).all().item<bool>(), "the real-word fit changed the prefix embedding");
        using (no_grad())
        {
            var got = encoder.KeyValues();
            var rel = ((got - target).square().mean() / target.square().mean()).item<float>();
            Assert.True(rel < 0.05, $"MLP fit to real-word activations: relative error {rel}");
        }
        // BERT: computed from the layers' key/value projections.
        using var bert = PromptTestKit.Backbone("bert");
        using var kv = RealWordPrefix.Activations(bert, PromptTestKit.Tokenizer("bert"), "good movie", 4);
        Assert.Equal(new long[] { bert.Config.NumHiddenLayers, 2, bert.Config.NumAttentionHeads, 4, bert.Config.HeadDim }, kv.shape);
    }

    [FixtureFact]
    public void PromptTuningInitialisations()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        var task = PromptTestKit.Sentiment();
        using var fromText = PromptTuningModel.InitialEmbeddings(backbone, tok, task, new PromptTuningConfig { Length = 3, Init = PromptInit.Text, InitText = "bad good" });
        using var ids = tensor(new long[] { tok.TokenToId("bad")!.Value, tok.TokenToId("good")!.Value, tok.TokenToId("bad")!.Value }).unsqueeze(0);
        using (no_grad()) PromptTestKit.AssertClose(backbone.EmbedTokens(ids)[0], fromText, 0, "text init");
        using var uniform = PromptTuningModel.InitialEmbeddings(backbone, tok, task, new PromptTuningConfig { Length = 50, Init = PromptInit.RandomUniform });
        Assert.InRange(uniform.abs().max().item<float>(), 0.4f, 0.5f);
        using var vocab = PromptTuningModel.InitialEmbeddings(backbone, tok, task, new PromptTuningConfig { Length = 5, Init = PromptInit.SampledVocab });
        using var table = backbone.EmbedTokens(arange(backbone.Config.VocabSize).unsqueeze(0))[0];
        for (int i = 0; i < 5; i++) Assert.True(table.sub(vocab[i]).abs().sum(1).min().item<float>() == 0, $"row {i} is not a vocabulary embedding");

        // Sampled without replacement: as many rows as ordinary tokens are all distinct.
        int ordinary = PromptTestKit.Words.Length;
        using var all = PromptTuningModel.InitialEmbeddings(backbone, tok, task, new PromptTuningConfig { Length = ordinary, Init = PromptInit.SampledVocab });
        var rowsOf = Enumerable.Range(0, ordinary).Select(i => table.sub(all[i]).abs().sum(1).argmin().item<long>()).ToList();
        Assert.Equal(ordinary, rowsOf.Distinct().Count());

        // Class labels: slot i is label i's word embedding (mean of its tokens), the rest sampled vocabulary.
        using var labels = PromptTuningModel.InitialEmbeddings(backbone, tok, task, new PromptTuningConfig { Length = 4, Init = PromptInit.ClassLabels });
        for (int i = 0; i < task.Labels.Count; i++)
        {
            using var word = tensor(new long[] { tok.TokenToId(task.Verbalizer!.LabelWords[i])!.Value }).unsqueeze(0);
            using (no_grad()) PromptTestKit.AssertClose(backbone.EmbedTokens(word)[0, 0], labels[i], 1e-6, $"class label {i}");
        }
        for (int i = task.Labels.Count; i < 4; i++) Assert.True(table.sub(labels[i]).abs().sum(1).min().item<float>() == 0, $"row {i} is not a vocabulary embedding");
    }

    [Fact]
    public void PromptTuningDefaultsFollowThePaper()
    {
        var config = new PromptTuningConfig();
        Assert.Equal(PromptInit.ClassLabels, config.Init);
        var trainer = PromptTraining.TrainerConfigFor(config, 100);
        Assert.Equal(OptimizerKind.Adafactor, trainer.Optimizer);
        Assert.Equal(1e-5, trainer.WeightDecay);
        Assert.False(trainer.AdafactorScaleParameter);
        Assert.Equal(-0.8, trainer.AdafactorDecayRate);
        // Constant 0.3 from the first to the last step: no warm-up, no decay.
        Assert.All(new[] { 1, 50, 100 }, step => Assert.Equal(0.3, LearningRateSchedule.At(trainer, step), 12));
        Assert.Equal(config, PromptMethodConfig.FromJson(System.Text.Json.JsonDocument.Parse(config.ToJson()).RootElement));
    }
}
