using PromptLearning.Prompts;

namespace PromptLearning.Tests.Prompts;

public class PromptExperimentTests
{
    private static readonly TaskDefinition Task = PromptTestKit.Sentiment();
    private static readonly TaskSplit Train = new(Task, PromptTestKit.SentimentExamples(12, seed: 1), null);
    private static readonly TaskSplit Dev = new(Task, PromptTestKit.SentimentExamples(8, seed: 2), null);

    [FixtureFact]
    public void ARunReportsItsDevMetricsSizeAndStepsAndLeavesTheBackboneAlone()
    {
        var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        var before = BackboneFingerprint.Compute(backbone);
        var log = new StringWriter();
        foreach (var method in new[] { PromptMethods.PromptTuning, PromptMethods.FineTuning })
        {
            var config = PromptMethodConfig.Default(method) with { Seed = 5, BatchSize = 4 };
            var run = PromptExperiment.Run(backbone, tok, config, Train, Dev, steps: 3, log: log);
            Assert.Equal((method, "sentiment", 5, 12, 3), (run.Method, run.Task, run.Seed, run.TrainExamples, run.Training.Steps));
            Assert.Equal("accuracy", run.Metric);
            Assert.Equal(run.Metrics["accuracy"], run.Score);
            Assert.InRange(run.Score, 0, 1);
            Assert.True(run.Trainable > 0 && run.TrainableShare > 0);
        }
        // Fine-tuning trained its own copy; the caller's backbone is untouched.
        Assert.Equal(before, BackboneFingerprint.Compute(backbone));
        Assert.Equal(2, log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var other = new TaskSplit(PromptTestKit.Sentiment("other"), Dev.Examples, null);
        Assert.Throws<ArgumentException>(() => PromptExperiment.Run(backbone, tok, PromptMethodConfig.Default(PromptMethods.HeadOnly),
            Train, other, 1));
    }

    private sealed class Collect(List<PromptLearning.Training.TrainerProgress> into) : IProgress<PromptLearning.Training.TrainerProgress>
    {
        public void Report(PromptLearning.Training.TrainerProgress value) => into.Add(value);
    }

    /// <summary>With evalEvery the run measures the dev metrics while it trains (a learning curve) and still scores the last step.</summary>
    [FixtureFact]
    public void EvalEveryRecordsDevMetricsWhileTraining()
    {
        var reports = new List<PromptLearning.Training.TrainerProgress>();
        var config = PromptMethodConfig.Default(PromptMethods.PromptTuning) with { Seed = 5, BatchSize = 4 };
        var run = PromptExperiment.Run(PromptTestKit.Backbone("bert"), PromptTestKit.Tokenizer("bert"), config, Train, Dev, steps: 4,
            progress: new Collect(reports), logEvery: 2, evalEvery: 2);
        var evaluated = reports.Where(r => r.Metrics is not null).ToList();
        Assert.Equal([2, 4], evaluated.Select(r => r.Step));
        Assert.All(evaluated, r => Assert.InRange(r.Metrics!["accuracy"], 0, 1));
        // the last evaluation and the run's score measure the same weights on the same dev split
        Assert.Equal(evaluated[^1].Metrics!["accuracy"], run.Score, 12);
    }
}

public class HeadSeedTests
{
    [FixtureFact]
    public void AFreshHeadDependsOnTheMethodsSeedOnlyAndLeavesTorchsGeneratorAsItWas()
    {
        var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        var task = PromptTestKit.Sentiment();
        float[] HeadWeights(string method, int seed)
        {
            using var model = PromptMethodFactory.Create(backbone, tok, task, PromptMethodConfig.Default(method) with { Seed = seed });
            return model.TrainableParameters().Where(p => p.Name.Contains("head", StringComparison.Ordinal) || p.Name.Contains("classifier", StringComparison.Ordinal))
                .SelectMany(p => p.Parameter.detach().cpu().data<float>().ToArray()).ToArray();
        }
        foreach (var method in new[] { PromptMethods.HeadOnly, PromptMethods.PTuningV2 })
        {
            var first = HeadWeights(method, 3);
            Assert.NotEmpty(first);
            TorchSharp.torch.rand(1000).Dispose();            // something else used the generator in between
            Assert.Equal(first, HeadWeights(method, 3));
            Assert.NotEqual(first, HeadWeights(method, 4));
        }
        using var before = TorchSharp.torch.random.get_rng_state();
        HeadWeights(PromptMethods.HeadOnly, 5);
        using var after = TorchSharp.torch.random.get_rng_state();
        Assert.True(before.eq(after).all().item<bool>());
    }
}
