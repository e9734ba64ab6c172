using PromptLearning.Prompts;

namespace PromptLearning.Tests.Prompts;

public class PromptExperimentTests
{
    [FixtureFact]
    public void ARunReportsItsDevMetricsSizeAndStepsAndLeavesTheBackboneAlone()
    {
        var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        var task = PromptTestKit.Sentiment();
        var train = new TaskSplit(task, PromptTestKit.SentimentExamples(12, seed: 1), null);
        var dev = new TaskSplit(task, PromptTestKit.SentimentExamples(8, seed: 2), null);
        var before = BackboneFingerprint.Compute(backbone);
        var log = new StringWriter();
        foreach (var method in new[] { PromptMethods.PromptTuning, PromptMethods.FineTuning })
        {
            var config = PromptMethodConfig.Default(method) with { Seed = 5, BatchSize = 4 };
            var run = PromptExperiment.Run(backbone, tok, config, train, dev, steps: 3, log: log);
            Assert.Equal((method, "sentiment", 5, 12, 3), (run.Method, run.Task, run.Seed, run.TrainExamples, run.Training.Steps));
            Assert.Equal("accuracy", run.Metric);
            Assert.Equal(run.Metrics["accuracy"], run.Score);
            Assert.InRange(run.Score, 0, 1);
            Assert.True(run.Trainable > 0 && run.TrainableShare > 0);
        }
        // Fine-tuning trained its own copy; the caller's backbone is untouched.
        Assert.Equal(before, BackboneFingerprint.Compute(backbone));
        Assert.Equal(2, log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var other = new TaskSplit(PromptTestKit.Sentiment("other"), dev.Examples, null);
        Assert.Throws<ArgumentException>(() => PromptExperiment.Run(backbone, tok, PromptMethodConfig.Default(PromptMethods.HeadOnly),
            train, other, 1));
    }
}
