using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PTuning;
using PromptLearning.Prompts.PromptTuning;
using Xunit.Abstractions;

namespace PromptLearning.Tests.Prompts;

/// <summary>A test that needs the shipped data/models/NAME and data/ sets: skipped (visibly) when absent.</summary>
public sealed class EmbeddedFactAttribute : FactAttribute
{
    public EmbeddedFactAttribute(string model)
    {
        var root = EmbeddedData.FindRoot();
        if (root is null || !Directory.Exists(Path.Combine(root, "models", model)))
            Skip = $"embedded model data/models/{model} not found";
    }
}

/// <summary>Each method learns the embedded sentiment task on the shipped bert-small within a fixed number of steps.</summary>
public class EmbeddedModelTests(ITestOutputHelper output)
{
    static PretrainedModel Load(string name) => Pretrained.Load(Path.Combine(EmbeddedData.Root, "models", name));

    void Learns(string method, PromptMethodConfig config, int steps, double bar)
    {
        using var pretrained = Load("bert-small");
        var train = TaskData.Load("sentiment", "train", shots: 100, seed: 0);
        var dev = TaskData.Load("sentiment", "dev") is var d ? d with { Examples = d.Examples.Take(200).ToList() } : null!;
        using var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, train.Task, config);
        double before = PromptEvaluation.Evaluate(model, dev)["accuracy"];
        var before_ = PromptTestKit.Snapshot(pretrained.Model);
        PromptTraining.CreateTrainer(model, PromptTraining.TrainerConfigFor(config, steps)).Train(train.Examples);
        double after = PromptEvaluation.Evaluate(model, dev)["accuracy"];
        output.WriteLine($"{method}: dev accuracy {before:F3} -> {after:F3}");
        Assert.True(after >= bar, $"{method}: dev accuracy {before:F3} -> {after:F3} after {steps} steps (bar {bar})");
        if (method != PromptMethods.FineTuning) Assert.Empty(PromptTestKit.Changed(pretrained.Model, before_));
    }

    [EmbeddedFact("bert-small")]
    public void PromptTuningLearnsSentiment() => Learns(PromptMethods.PromptTuning, new PromptTuningConfig { Length = 10, Init = PromptInit.Text, LearningRate = 0.3 }, 40, 0.75);

    [EmbeddedFact("bert-small")]
    public void PTuningLearnsSentiment() => Learns(PromptMethods.PTuning, new PTuningConfig { LearningRate = 3e-3 }, 40, 0.75);

    [EmbeddedFact("bert-small")]
    public void PrefixTuningLearnsSentiment() => Learns(PromptMethods.PrefixTuning, new PromptLearning.Prompts.PrefixTuning.PrefixTuningConfig { LearningRate = 3e-3, BatchSize = 16 }, 40, 0.75);

    [EmbeddedFact("bert-small")]
    public void PTuningV2LearnsSentiment() => Learns(PromptMethods.PTuningV2, new PromptLearning.Prompts.PTuningV2.PTuningV2Config { LearningRate = 1e-2 }, 60, 0.75);
}
