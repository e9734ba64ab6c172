using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Prompts;

namespace PromptLearning.Tests.Prompts;

public class MethodBenchmarkTests
{
    [Fact]
    public void SpreadHasMedianAndQuartiles()
    {
        var s = Spread.Of([5, 1, 3, 2, 4]);
        Assert.Equal(3, s.Median);
        Assert.Equal(2, s.Q1);
        Assert.Equal(4, s.Q3);
        Assert.Equal(2, s.Iqr);
        Assert.Equal([5.0, 1, 3, 2, 4], s.Samples);
        Assert.Equal(2.5, Spread.Of([1, 2, 3, 4]).Median);
    }

    [Fact]
    public void InterleavedRoundsRotateTheOrderAndKeepEachMeasurementsSamples()
    {
        var order = new List<int>();
        var spreads = Spread.OfInterleavedRounds(3, [() => { order.Add(0); return 1; }, () => { order.Add(1); return 2; }, () => { order.Add(2); return 3; }]);
        Assert.Equal([0, 1, 2, 1, 2, 0, 2, 0, 1], order);
        Assert.Equal([1.0, 1, 1], spreads[0].Samples);
        Assert.Equal(3, spreads[2].Median);
        Assert.Throws<ArgumentException>(() => Spread.OfInterleavedRounds(0, [() => 1.0]));
    }

    [Fact]
    public void WarmUpRunsEveryMeasurementOnceUntimedAndFirst()
    {
        var calls = new List<int>();
        int a = 0, b = 0;
        var spreads = Spread.OfInterleavedRounds(2, [() => { calls.Add(0); return ++a; }, () => { calls.Add(1); return 10 * ++b; }], warmUp: true);
        Assert.Equal([0, 1, 0, 1, 1, 0], calls);
        Assert.Equal([2.0, 3], spreads[0].Samples);
        Assert.Equal([20.0, 30], spreads[1].Samples);
    }

    [Fact]
    public void PerRoundRatiosPairEachRoundsSamples()
    {
        // The denominator drifts (a machine getting slower); each round's ratio is 0.5, the ratio of medians is not.
        var method = Spread.Of([10, 20, 40, 80, 160]);
        var reference = Spread.Of([20, 40, 80, 160, 320]);
        var ratios = Spread.OfRatios(method, reference);
        Assert.Equal([0.5, 0.5, 0.5, 0.5, 0.5], ratios.Samples);
        Assert.Equal(0.5, ratios.Median);
        Assert.Equal(0, ratios.Iqr);
        var uneven = Spread.OfRatios(Spread.Of([1, 3, 2, 8]), Spread.Of([1, 1, 1, 2]));
        Assert.Equal([1.0, 3, 2, 4], uneven.Samples);
        Assert.Equal(2.5, uneven.Median);
        Assert.Equal(1.75, uneven.Q1);
        Assert.Equal(3.25, uneven.Q3);
        Assert.Throws<ArgumentException>(() => Spread.OfRatios(Spread.Of([1, 2]), Spread.Of([1])));
    }

    [Fact]
    public void MixedTaskRatiosAreMediansOfPerRoundRatios()
    {
        var mt = new MixedTaskThroughput(Spread.Of([90, 45, 100]), Spread.Of([100, 50, 50]), Spread.Of([10, 10, 10]), Spread.Of([5, 10, 20]));
        Assert.Equal([0.9, 0.9, 2.0], mt.PerTaskRatios.Samples);
        Assert.Equal(0.9, mt.PerTaskRatio, 12);
        Assert.Equal(1.0, mt.SameLengthsRatio, 12);
    }

    [Fact]
    public void BothClocksAdvance()
    {
        foreach (var clock in Enum.GetValues<BenchmarkClock>())
        {
            double start = clock.Milliseconds();
            double sum = 0;
            for (int i = 0; i < 20_000_000; i++) sum += Math.Sqrt(i);
            Assert.True(sum > 0);
            Assert.True(clock.Milliseconds() > start, $"{clock} did not advance");
        }
    }

    [Fact]
    public void TheFreedNativeHeapGoesBackToTheSystemOnRequest()
    {
        using (var big = TorchSharp.torch.ones(64, 1024, 1024)) Assert.Equal(64L << 20, big.numel());
        long before = ResidentBytes.Current();
        bool released = NativeHeap.ReleaseFreedMemory();
        if (!OperatingSystem.IsLinux()) Assert.False(released);
        else Assert.True(ResidentBytes.Current() <= before + (16 << 20), $"resident memory grew from {before} to {ResidentBytes.Current()} bytes");
    }

    [Theory]
    [InlineData(1, 16, 5, 5, null, "Steps")]
    [InlineData(10, 0, 5, 5, null, "BatchSize")]
    [InlineData(10, 16, 5, 0, null, "Rounds")]
    [InlineData(10, 16, 5, 5, 4, "Length")]
    public void BadSettingsAreNamed(int steps, int batch, int repeats, int rounds, int? length, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => new MethodBenchmarkConfig(steps, batch, repeats, rounds, length).Validate());
        Assert.Contains(field, e.Message);
    }

    [EmbeddedFact("gpt2-small")]
    public void GenerationSpeedIsMeasuredForGreedyAndBeamWithAndWithoutTheCache()
    {
        using var gpt2 = Pretrained.Load(Path.Combine(EmbeddedData.Root, "models", "gpt2-small"));
        var prompts = TaskRegistry.Load(EmbeddedData.E2e, "dev").Examples.Select(e => e.A).ToList();
        var result = GenerationBenchmark.Run(gpt2.Model, gpt2.Tokenizer, prompts, batch: 2, newTokens: 4, prefixLength: 3, beams: 2, rounds: 2);
        Assert.Equal([("greedy", true), ("greedy", false), ("beam 2", true), ("beam 2", false)], result.Speeds.Select(s => (s.Decoding, s.Cache)));
        Assert.All(result.Speeds, s => Assert.Equal(2, s.TokensPerSecond.Samples.Count));
        Assert.All(result.Speeds, s => Assert.True(s.TokensPerSecond.Median > 0));
        Assert.True(result.CacheSpeedup("greedy") > 0);
        Assert.Throws<ArgumentException>(() => GenerationBenchmark.Run(gpt2.Model, gpt2.Tokenizer, prompts.Take(1).ToList(), batch: 2));
    }

    [EmbeddedFact("bert-small")]
    public void InterleavedRoundsTimeEveryMethodAndLeaveTheSharedBackboneUnchanged()
    {
        using var pretrained = Pretrained.Load(Path.Combine(EmbeddedData.Root, "models", "bert-small"));
        var frozen = PromptTestKit.Snapshot(pretrained.Model);
        var config = new MethodBenchmarkConfig(Steps: 2, BatchSize: 4, Repeats: 1, Rounds: 3, Length: 48,
            Methods: [PromptMethods.FineTuning, PromptMethods.PTuningV2]);
        var result = MethodBenchmark.Run(pretrained, TaskRegistry.Load("aspect", "train"), config);

        Assert.Equal([PromptMethods.FineTuning, PromptMethods.PTuningV2], result.Methods.Select(m => m.Method));
        Assert.All(result.Methods, m => Assert.Equal(3, m.StepMs.Samples.Count));
        Assert.Equal(1.0, result.Methods[0].StepTimeRatio, 6);
        Assert.All(result.Methods[0].StepTimeRatios.Samples, r => Assert.Equal(1.0, r, 9));
        Assert.Equal(result.Methods[1].StepMs.Samples.Select((ms, r) => ms / result.Methods[0].StepMs.Samples[r]), result.Methods[1].StepTimeRatios.Samples);
        Assert.Equal(Spread.Of(result.Methods[1].StepTimeRatios.Samples).Median, result.Methods[1].StepTimeRatio, 12);
        Assert.All(result.Methods, m => Assert.True(m.PromptFileBytes > 0));
        if (OperatingSystem.IsLinux()) Assert.All(result.Methods, m => Assert.NotNull(m.PeakTrainingBytes));
        Assert.All(result.Methods, m => Assert.Equal(m.StepGflop!.Value / (m.StepMs.Median / 1000), m.AchievedGflops!.Value, 6));
        Assert.True(result.Methods[0].StepGflop > result.Methods[1].StepGflop, "a fine-tuning step also computes weight gradients");
        Assert.True(result.Peak.Gflops > 0);
        Assert.Equal(3, result.MixedTask.PerTaskBatches.Samples.Count);
        Assert.True(result.MixedTask.PerTaskRatio > 0);
        // Fine-tuning trained its own copy: the shared backbone is bitwise unchanged.
        Assert.Empty(PromptTestKit.Changed(pretrained.Model, frozen));
    }

    [EmbeddedFact("bert-small")]
    public void LengthOptionMakesEveryInputThatLong()
    {
        using var pretrained = Pretrained.Load(Path.Combine(EmbeddedData.Root, "models", "bert-small"));
        var examples = TaskRegistry.Load("aspect", "train").Examples.Take(3).ToList();
        var longer = MethodBenchmark.AtLength(examples, pretrained.Tokenizer, 100);
        Assert.All(longer, e => Assert.True(pretrained.Tokenizer.Encode(e.A).Count > 100));
        Assert.Same(examples, MethodBenchmark.AtLength(examples, pretrained.Tokenizer, null));
        // Every method's batches are then exactly that long, with no padding: virtual tokens, template words and special tokens included.
        foreach (var method in new[] { PromptMethods.FineTuning, PromptMethods.PromptTuning, PromptMethods.PTuning, PromptMethods.PTuningV2 })
        {
            var config = PromptMethodConfig.Default(method) with { MaxLength = 100 };
            using var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, TaskRegistry.Load("aspect", "train").Task, config);
            using var batch = model.Encode(longer);
            Assert.Equal([3L, 100], batch.InputIds.shape);
            Assert.Equal(300, batch.AttentionMask.sum().item<long>());
        }
    }

    [EmbeddedFact("bert-small")]
    public void AnalyticStepWorkCountsWeightGradientsOnlyWhenTheBackboneTrains()
    {
        using var pretrained = Pretrained.Load(Path.Combine(EmbeddedData.Root, "models", "bert-small"));
        var train = TaskRegistry.Load("sentiment", "train");
        var examples = MethodBenchmark.AtLength(train.Examples.Take(4).ToList(), pretrained.Tokenizer, 64);
        double Gflop(string method)
        {
            using var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, train.Task, PromptMethodConfig.Default(method) with { MaxLength = 64 });
            return MethodBenchmark.StepGflop(model, examples, 4);
        }
        var c = pretrained.Model.Config;
        double perToken = 2.0 * (4 * c.HiddenSize * c.HiddenSize + 2 * c.HiddenSize * c.IntermediateSize), attention = 4.0 * 64 * c.HiddenSize;
        double forward = c.NumHiddenLayers * 4 * 64 * (perToken + attention) / 1e9;
        Assert.Equal(forward, Gflop(PromptMethods.HeadOnly), 9);
        Assert.Equal(3 * forward, Gflop(PromptMethods.FineTuning), 9);
        // A frozen backbone skips the weight gradients, not attention's second operand: (2W + 3A) / (3W + 3A) of fine-tuning at equal lengths.
        Assert.Equal(c.NumHiddenLayers * 4 * 64 * (2 * perToken + 3 * attention) / 1e9, Gflop(PromptMethods.PromptTuning), 9);
    }
}

public class TaskSplitTests
{
    [Fact]
    public void ShuffleIsSeededAndKeepsReferencesAligned()
    {
        var task = new TaskDefinition { Name = "t", Kind = TaskKind.Generation };
        var split = new TaskSplit(task, Enumerable.Range(0, 20).Select(i => new PromptExample($"x{i}")).ToList(),
            Enumerable.Range(0, 20).Select(i => (IReadOnlyList<string>)[$"r{i}"]).ToList());
        var a = split.Shuffle(3);
        Assert.Equal(a.Examples.Select(e => e.A), split.Shuffle(3).Examples.Select(e => e.A));
        Assert.NotEqual(a.Examples.Select(e => e.A), split.Shuffle(4).Examples.Select(e => e.A));
        Assert.Equal(split.Examples.Select(e => e.A).Order(), a.Examples.Select(e => e.A).Order());
        for (int i = 0; i < 20; i++) Assert.Equal("r" + a.Examples[i].A[1..], a.References![i][0]);
        var first = a.Take(5);
        Assert.Equal(5, first.Examples.Count);
        Assert.Equal(5, first.References!.Count);
        Assert.Same(split, split.Take(0));
        Assert.Same(split, split.Take(100));
    }
}

public class ServingMemoryTests
{
    /// <summary>Both settings are measured (Linux: /proc/self), for the tasks and rows asked; too few rows for the tasks is a named error.</summary>
    [EmbeddedFact("bert-small")]
    public void SharedBackboneAndFineTunedCopiesAreBothMeasured()
    {
        using var pretrained = Pretrained.Load(Path.Combine(EmbeddedData.Root, "models", "bert-small"));
        var data = TaskRegistry.Load(EmbeddedData.Sentiment, "dev");
        var m = MethodBenchmark.MeasureServingMemory(pretrained, data, tasks: 2, rows: 8);
        Assert.Equal((2, 8), (m.Tasks, m.Rows));
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(m.SharedBytes);
            Assert.NotNull(m.CopiesBytes);
            Assert.True(m.SharedBytes >= 0 && m.CopiesBytes >= 0);
        }
        var e = Assert.Throws<ArgumentException>(() => MethodBenchmark.MeasureServingMemory(pretrained, data, tasks: 4, rows: 3));
        Assert.Contains("4 tasks", e.Message);
    }
}
