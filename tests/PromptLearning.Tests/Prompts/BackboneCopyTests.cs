using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PTuning;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>Methods that train backbone weights work on their own copy: the caller's backbone is never changed.</summary>
public class BackboneCopyTests
{
    private static bool[] RequiresGrad(ILanguageModel backbone) => backbone.Module.parameters().Select(p => p.requires_grad).ToArray();

    [FixtureFact]
    public void FineTuningLeavesTheCallersBackboneBitIdenticalAndStillTrainsAndPredicts()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        var before = PromptTestKit.Snapshot(backbone);
        var fingerprint = BackboneFingerprint.Compute(backbone);
        var grads = RequiresGrad(backbone);
        var train = PromptTestKit.SentimentExamples(16, 1);
        double Loss(TaskModel m) { m.eval(); using var _ = no_grad(); using var s = NewDisposeScope(); return m.Loss(train).item<float>(); }

        using (var ft = new FineTuningModel(backbone, tok, PromptTestKit.Sentiment(), new FineTuningConfig { LearningRate = 1e-3, BatchSize = 8 }))
        {
            Assert.NotSame(backbone, ft.Backbone);
            Assert.Empty(PromptTestKit.Changed(ft.Backbone, before));        // the copy starts bit-identical
            Assert.Equal(fingerprint, ft.BackboneFingerprintValue);
            double initial = Loss(ft);
            PromptTraining.CreateTrainer(ft, PromptTraining.TrainerConfigFor(ft.Config, 20) with { RestoreBest = false }).Train(train);
            double trained = Loss(ft);
            Assert.True(trained < initial, $"fine-tuning loss {initial:F4} -> {trained:F4}");
            Assert.NotEmpty(PromptTestKit.Changed(ft.Backbone, before));     // its own copy was trained
            var labels = ft.PredictLabels(train);
            Assert.Equal(train.Count, labels.Length);
            Assert.All(labels, l => Assert.InRange(l, 0, 1));

            Assert.Empty(PromptTestKit.Changed(backbone, before));           // the caller's is untouched
            Assert.Equal(fingerprint, BackboneFingerprint.Compute(backbone));
            Assert.Equal(grads, RequiresGrad(backbone));

            // A fine-tuned prompt loads onto the caller's backbone without changing it either.
            var folder = Path.Combine(Path.GetTempPath(), $"plearn-ft-copy-{Guid.NewGuid():N}");
            try
            {
                PromptCheckpoint.Save(ft, folder);
                using var loaded = PromptCheckpoint.Load(folder, backbone, tok);
                Assert.NotSame(backbone, loaded.Backbone);
                Assert.Equal(labels, loaded.PredictLabels(train));
                Assert.Empty(PromptTestKit.Changed(backbone, before));
            }
            finally { Directory.Delete(folder, recursive: true); }
        }
        // Disposing the fine-tuned model disposes its copy only: the caller's backbone still serves other methods.
        using var frozen = PromptTestKit.Classifier(PromptMethods.HeadOnly, backbone, tok);
        Assert.Equal(train.Count, frozen.PredictLabels(train).Length);
        Assert.Empty(PromptTestKit.Changed(backbone, before));
    }

    [FixtureFact]
    public void PTuningTrainsItsOwnCopyOnlyWhenItTrainsTheBackbone()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var tuned = new PTuningModel(backbone, tok, PromptTestKit.Sentiment(), new PTuningConfig { TrainBackbone = true, EncoderHiddenSize = 16 });
        Assert.NotSame(backbone, tuned.Backbone);
        using var frozen = new PTuningModel(backbone, tok, PromptTestKit.Sentiment(), new PTuningConfig { EncoderHiddenSize = 16 });
        Assert.Same(backbone, frozen.Backbone);
        Assert.All(backbone.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(tuned.Backbone.Module.parameters(), p => Assert.True(p.requires_grad));
    }

    [FixtureFact]
    public void CopiesAreBitIdenticalForBothArchitectures()
    {
        foreach (var name in new[] { "bert", "roberta", "gpt2" })
        {
            using var backbone = PromptTestKit.Backbone(name);
            var before = PromptTestKit.Snapshot(backbone);
            using var copy = LanguageModelCopy.Of(backbone);
            Assert.Equal(backbone.GetType(), copy.GetType());
            Assert.Equal(before.Keys.Order(), copy.Module.state_dict().Keys.Order());
            Assert.Empty(PromptTestKit.Changed(copy, before));

            // A copy draws from torch's generator as loading the checkpoint again does (the
            // reload-then-fine-tune runs of the claims and notebooks keep their numbers).
            manual_seed(7);
            using (PromptLearning.Checkpoints.Pretrained.CreateModel(backbone.Config)) { }
            var afterLoad = rand(4).data<float>().ToArray();
            manual_seed(7);
            using (LanguageModelCopy.Of(backbone)) { }
            Assert.Equal(afterLoad, rand(4).data<float>().ToArray());
        }
    }
}

/// <summary>The zero-shot method has one name; the earlier spelling still loads and parses.</summary>
public class ZeroShotNameTests
{
    [Fact]
    public void ZeroshotIsAnAliasOfZeroShot()
    {
        Assert.Equal("zero-shot", PromptMethods.ZeroShot);
        Assert.Equal(PromptMethods.ZeroShot, PromptLearning.Pet.FewShotMethods.ZeroShot);
        Assert.Equal(PromptMethods.ZeroShot, PromptMethods.Normalize("zeroshot"));
        Assert.Equal(PromptMethods.FineTuning, PromptMethods.Normalize(PromptMethods.FineTuning));
        Assert.IsType<ZeroShotClozeConfig>(PromptMethodConfig.Default("zeroshot"));
        var saved = new ZeroShotClozeConfig { Template = "{x} it was [MASK] ." };
        var old = saved.ToJson().Replace("\"zero-shot\"", "\"zeroshot\"");
        Assert.Contains("\"zeroshot\"", old);
        Assert.Equal(saved, PromptMethodConfig.FromJson(System.Text.Json.JsonDocument.Parse(old).RootElement));
        Assert.Equal(saved, PromptMethodConfig.FromJson(System.Text.Json.JsonDocument.Parse(saved.ToJson()).RootElement));
    }
}

/// <summary>Every method the library knows has a reader's name, distinct from the others; unknown names pass through.</summary>
public class MethodDisplayNameTests
{
    [Fact]
    public void EveryKnownMethodHasItsOwnDisplayName()
    {
        var names = PromptMethods.All.Select(PromptMethods.DisplayName).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(PromptMethods.All, m => Assert.NotEqual(m, PromptMethods.DisplayName(m)));
        Assert.Equal("P-tuning v1", PromptMethods.DisplayName(PromptMethods.PTuning));
        Assert.Equal(PromptMethods.DisplayName(PromptMethods.ZeroShot), PromptMethods.DisplayName("zeroshot"));
        Assert.Equal("my-method", PromptMethods.DisplayName("my-method"));
    }
}
