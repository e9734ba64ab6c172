using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>
/// Deep prompts learn toy tagging and prefixes lower a toy generation loss on the tiny random
/// fixture backbones within a fixed number of steps (classification on the pretrained embedded
/// model: <see cref="EmbeddedModelTests"/>).
/// </summary>
public class LearningTests(ITestOutputHelper output)
{
    [FixtureFact]
    public void PTuningV2LearnsBioTagging()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var model = new PTuningV2Model(backbone, tok, PromptTestKit.Tagging(), new PTuningV2Config { Length = 4 });
        var config = PromptTraining.TrainerConfigFor(model.Config, 60) with { BatchSize = 16, LearningRate = 0.02 };
        PromptTraining.CreateTrainer(model, config).Train(PromptTestKit.TaggingExamples(64, 1));
        var dev = PromptTestKit.TaggingExamples(32, 2);
        var predicted = model.PredictTags(dev);
        int right = 0, total = 0;
        for (int i = 0; i < dev.Count; i++)
            for (int w = 0; w < dev[i].Tags!.Count; w++) { total++; if (predicted[i][w] == dev[i].Tags![w]) right++; }
        // The bar depends on the data, not on the fixture set's backbone: at least halfway from always
        // predicting the most frequent tag to a perfect tagger.
        double majority = dev.SelectMany(e => e.Tags!).GroupBy(t => t).Max(g => g.Count()) / (double)total;
        double accuracy = right / (double)total, bar = majority + (1 - majority) / 2;
        output.WriteLine($"tag accuracy {accuracy:F3} (majority tag {majority:F3}, bar {bar:F3})");
        Assert.True(accuracy >= bar, $"tag accuracy {accuracy:F3} < {bar:F3} (majority tag {majority:F3})");
    }

    [FixtureFact]
    public void PrefixTuningLowersTheGenerationLoss()
    {
        using var backbone = PromptTestKit.Backbone("gpt2");
        var tok = PromptTestKit.Tokenizer("gpt2");
        using var model = new PrefixTuningModel(backbone, tok, PromptTestKit.Generation(), new PrefixTuningConfig { Length = 4, HiddenSize = 64 });
        var dev = PromptTestKit.GenerationExamples(16, 2);
        double DevLoss() { model.eval(); using var _ = no_grad(); using var s = NewDisposeScope(); return model.Loss(dev).item<float>(); }
        double before = DevLoss();
        var config = PromptTraining.TrainerConfigFor(model.Config, 60) with { BatchSize = 8, LearningRate = 5e-3 };
        PromptTraining.CreateTrainer(model, config).Train(PromptTestKit.GenerationExamples(64, 1));
        double after = DevLoss();
        output.WriteLine($"dev LM loss {before:F3} -> {after:F3}");
        Assert.True(after < 0.7 * before, $"dev LM loss {before:F3} -> {after:F3}");
    }
}
