using System.Diagnostics;
using PromptLearning.Checkpoints;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>Settings of <see cref="MethodBenchmark.Run"/>.</summary>
/// <param name="Steps">Timed training steps per method (two more run first, untimed, as warm-up).</param>
/// <param name="BatchSize">Examples per training step and per throughput batch.</param>
/// <param name="Repeats">Forward passes per throughput measurement.</param>
/// <param name="Methods">Methods to time; null = every method that trains something (fine-tuning first).</param>
public sealed record MethodBenchmarkConfig(int Steps = 20, int BatchSize = 16, int Repeats = 5, IReadOnlyList<string>? Methods = null);

/// <summary>One method's row: what it trains and what a training step costs.</summary>
public sealed record MethodCost(string Method, long TrainableParameters, double TrainableShare, double StepMs,
    double StepTimeVsFineTuning, long OptimizerStateBytes, long PromptFileBytes);

/// <summary>Inference throughput of a batch that mixes two tasks' prefixes vs a batch of one task.</summary>
public sealed record MixedTaskThroughput(double SingleTaskExamplesPerSecond, double MixedTaskExamplesPerSecond)
{
    /// <summary>Mixed / single (1 = mixing tasks costs nothing).</summary>
    public double Ratio => MixedTaskExamplesPerSecond / SingleTaskExamplesPerSecond;
}

/// <summary>Everything <see cref="MethodBenchmark.Run"/> measured, in one run on one backbone.</summary>
public sealed record MethodBenchmarkResult(string Task, long BackboneParameters, int BatchSize, int TimedSteps, int Threads,
    IReadOnlyList<MethodCost> Methods, MixedTaskThroughput MixedTask);

/// <summary>
/// What each method costs on one backbone, measured in one run so that the ratios are comparable on a
/// noisy machine (<c>plearn bench</c>, notebook 05): trainable parameters, time per training step as a
/// ratio to full fine-tuning, optimizer-state bytes, the size of the saved prompt, and the throughput of
/// a mixed-task batch. A frozen backbone needs no weight gradients, so a soft-prompt step costs about
/// 2/3 of a fine-tuning step times (input + virtual tokens) / input, plus its own encoder.
/// </summary>
public static class MethodBenchmark
{
    /// <summary>The methods timed by default, fine-tuning (the reference) first.</summary>
    public static readonly IReadOnlyList<string> DefaultMethods =
        [PromptMethods.FineTuning, PromptMethods.HeadOnly, PromptMethods.PromptTuning, PromptMethods.PTuning, PromptMethods.PrefixTuning, PromptMethods.PTuningV2];

    /// <summary>Times each method's default configuration on <paramref name="train"/> (needs BatchSize * (Steps + 2) examples).</summary>
    public static MethodBenchmarkResult Run(PretrainedModel pretrained, TaskSplit train, MethodBenchmarkConfig? config = null, Action<MethodCost>? onMethod = null)
    {
        config ??= new MethodBenchmarkConfig();
        var methods = config.Methods ?? DefaultMethods;
        if (!methods.Contains(PromptMethods.FineTuning)) methods = [PromptMethods.FineTuning, .. methods];
        int need = config.BatchSize * (config.Steps + 2);
        if (train.Examples.Count < need)
            throw new ArgumentException($"benchmark: {config.Steps} + 2 steps of batch {config.BatchSize} need {need} examples; '{train.Task.Name}' has {train.Examples.Count}");
        var examples = train.Examples.Take(need).ToList();
        var rows = new List<(string Method, long Trainable, double Share, double StepMs, long OptimizerBytes, long FileBytes)>();
        foreach (var method in methods)
        {
            if (method == PromptMethods.HeadOnly && train.Task.Kind == TaskKind.Generation) continue;
            var methodConfig = PromptMethodConfig.Default(method) with { BatchSize = config.BatchSize };
            // Fine-tuning trains the shared backbone in place: keep a copy to put back afterwards.
            var saved = method == PromptMethods.FineTuning ? Snapshot(pretrained) : null;
            using var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, train.Task, methodConfig);
            var trainerConfig = PromptTraining.TrainerConfigFor(methodConfig, config.Steps + 2) with { EvalEvery = 0, LogEvery = 1, RestoreBest = false };
            var trainer = PromptTraining.CreateTrainer(model, trainerConfig);
            var stamps = new List<double>();
            trainer.Train(examples, new SyncProgress(p => stamps.Add(p.Elapsed.TotalMilliseconds)));
            // The first two steps allocate and warm up; time the rest.
            double stepMs = (stamps[^1] - stamps[1]) / (stamps.Count - 2);
            var dir = Path.Combine(Path.GetTempPath(), $"plearn-bench-{method}-{Guid.NewGuid():N}");
            try
            {
                PromptCheckpoint.Save(model, dir);
                rows.Add((method, model.TrainableParameterCount, model.TrainableShare, stepMs, trainer.OptimizerStateBytes,
                    new DirectoryInfo(dir).EnumerateFiles().Sum(f => f.Length)));
            }
            finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
            if (saved is not null) Restore(pretrained, saved);
            var r = rows[^1];
            onMethod?.Invoke(new MethodCost(r.Method, r.Trainable, r.Share, r.StepMs, r.StepMs / rows[0].StepMs, r.OptimizerBytes, r.FileBytes));
        }
        double fullMs = rows[0].StepMs;
        var costs = rows.Select(r => new MethodCost(r.Method, r.Trainable, r.Share, r.StepMs, r.StepMs / fullMs, r.OptimizerBytes, r.FileBytes)).ToList();
        return new MethodBenchmarkResult(train.Task.Name, pretrained.Model.Module.parameters().Sum(p => p.numel()), config.BatchSize, config.Steps,
            get_num_threads(), costs, MixedTask(pretrained, train, config.BatchSize, config.Repeats));
    }

    /// <summary>Forward-pass throughput of a batch whose rows alternate two tasks' prefixes (lengths 10 and 20) vs a batch of one task.</summary>
    public static MixedTaskThroughput MixedTask(PretrainedModel pretrained, TaskSplit data, int batchSize = 16, int repeats = 5)
    {
        var first = data.Task with { Name = "first" };
        var second = data.Task with { Name = "second" };
        using PromptModel a = first.Kind == TaskKind.Generation
            ? new PrefixTuningModel(pretrained.Model, pretrained.Tokenizer, first, new PrefixTuningConfig { Length = 10 })
            : new PTuningV2Model(pretrained.Model, pretrained.Tokenizer, first, new PTuningV2Config { Length = 10 });
        using PromptModel b = first.Kind == TaskKind.Generation
            ? new PrefixTuningModel(pretrained.Model, pretrained.Tokenizer, second, new PrefixTuningConfig { Length = 20, Seed = 7 })
            : new PTuningV2Model(pretrained.Model, pretrained.Tokenizer, second, new PTuningV2Config { Length = 20, Seed = 7 });
        using var combined = PromptModel.Combine(a, b);
        combined.eval();
        var examples = data.Examples.Take(batchSize).ToList();
        var single = examples.Select(e => e with { Task = "second" }).ToList();
        var mixed = examples.Select((e, i) => e with { Task = i % 2 == 0 ? "first" : "second" }).ToList();
        double Time(List<PromptExample> rows)
        {
            using var _ = no_grad();
            using var encoded = combined.Encode(rows);
            for (int w = 0; w < 2; w++) { using var s = NewDisposeScope(); combined.Forward(encoded); }
            var watch = Stopwatch.StartNew();
            for (int r = 0; r < repeats; r++) { using var s = NewDisposeScope(); combined.Forward(encoded); }
            return rows.Count * repeats / watch.Elapsed.TotalSeconds;
        }
        // Interleaved, so that load changes on a shared machine hit both alike.
        double s1 = Time(single), m1 = Time(mixed), s2 = Time(single), m2 = Time(mixed);
        return new MixedTaskThroughput((s1 + s2) / 2, (m1 + m2) / 2);
    }

    private static Dictionary<string, Tensor> Snapshot(PretrainedModel pretrained) =>
        pretrained.Model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static void Restore(PretrainedModel pretrained, Dictionary<string, Tensor> saved)
    {
        using (no_grad())
            foreach (var (name, t) in pretrained.Model.Module.state_dict()) t.copy_(saved[name]);
        foreach (var t in saved.Values) t.Dispose();
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and reorder the time stamps).</summary>
    private sealed class SyncProgress(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
    }
}
