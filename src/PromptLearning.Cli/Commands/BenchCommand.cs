using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using static TorchSharp.torch;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn bench [--json]</c>: on one backbone, in one run, for each method: trainable parameters,
/// time per training step as a ratio to full fine-tuning, optimizer-state bytes and prompt file size;
/// and the inference throughput of a mixed-task batch (two tasks' prefixes) as a ratio to a
/// single-task batch. Targets (issue 5): soft-prompt step time &lt;= 0.75x fine-tuning, mixed-task
/// throughput &gt;= 0.9x single-task.
/// </summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "trainable parameters, step time vs fine-tuning, optimizer state, prompt size, mixed-task throughput";

    static readonly string[] Methods = [PromptMethods.FineTuning, PromptMethods.HeadOnly, PromptMethods.PromptTuning, PromptMethods.PTuning, PromptMethods.PrefixTuning, PromptMethods.PTuningV2];

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "json");
        if (o.Has("help"))
        {
            Console.WriteLine("usage: plearn bench [--model bert-small] [--task sentiment] [--steps 20] [--batch 16] [--repeats 5] [--threads N] [--json]");
            return 0;
        }
        var taskName = o.Get("task", "sentiment");
        var modelName = o.Get("model", PromptRun.DefaultModel(taskName));
        int steps = o.GetInt("steps", 20), batch = o.GetInt("batch", 16), repeats = o.GetInt("repeats", 5), threads = o.GetInt("threads", 0);
        bool json = o.Has("json");
        o.RejectUnknown();
        if (threads > 0) set_num_threads(threads);

        using var pretrained = PromptRun.LoadModel(modelName);
        var data = TaskData.Load(taskName, "train");
        var train = data.Examples.Take(Math.Max(batch * (steps + 2), batch)).ToList();
        var rows = new List<(string Method, long Trainable, double Share, double StepMs, long OptimizerBytes, long FileBytes)>();
        foreach (var method in Methods)
        {
            if (pretrained.Config.IsCausal && method == PromptMethods.HeadOnly && data.Task.Kind == TaskKind.Generation) continue;
            var config = PromptMethodConfig.Default(method) with { BatchSize = batch };
            var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, data.Task, config);
            var trainerConfig = PromptTraining.TrainerConfigFor(config, steps + 2) with { EvalEvery = 0, LogEvery = 1, RestoreBest = false };
            var trainer = PromptTraining.CreateTrainer(model, trainerConfig);
            var stamps = new List<double>();
            trainer.Train(train, new SyncProgress(p => stamps.Add(p.Elapsed.TotalMilliseconds)));
            // Drop the first two steps (allocation, warm-up) and time the rest.
            double stepMs = (stamps[^1] - stamps[1]) / (stamps.Count - 2);
            var dir = Path.Combine(Path.GetTempPath(), $"plearn-bench-{method}-{Guid.NewGuid():N}");
            PromptCheckpoint.Save(model, dir);
            long bytes = PromptRun.FolderBytes(dir);
            Directory.Delete(dir, true);
            rows.Add((method, model.TrainableParameterCount, model.TrainableShare, stepMs, trainer.OptimizerStateBytes, bytes));
            if (!json) Console.Error.WriteLine($"  {method}: {stepMs:F1} ms/step");
        }
        double fullMs = rows.First(r => r.Method == PromptMethods.FineTuning).StepMs;
        var (single, mixed) = MixedTaskThroughput(pretrained, data, batch, repeats);

        var report = new JsonObject
        {
            ["model"] = modelName,
            ["task"] = taskName,
            ["backbone_parameters"] = pretrained.Model.Module.parameters().Sum(p => p.numel()),
            ["batch"] = batch,
            ["timed_steps"] = steps,
            ["threads"] = get_num_threads(),
            ["methods"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method,
                ["trainable_parameters"] = r.Trainable,
                ["trainable_share"] = Math.Round(r.Share, 6),
                ["step_ms"] = Math.Round(r.StepMs, 2),
                ["step_time_vs_finetune"] = Math.Round(r.StepMs / fullMs, 3),
                ["optimizer_state_bytes"] = r.OptimizerBytes,
                ["prompt_file_bytes"] = r.FileBytes,
            }).ToArray()),
            ["mixed_task"] = new JsonObject
            {
                ["single_task_examples_per_s"] = Math.Round(single, 1),
                ["mixed_task_examples_per_s"] = Math.Round(mixed, 1),
                ["ratio"] = Math.Round(mixed / single, 3),
            },
        };
        if (json) { Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true })); return 0; }
        Console.WriteLine($"plearn bench: {modelName} ({report["backbone_parameters"]} parameters), task {taskName}, batch {batch}, {steps} timed steps, {get_num_threads()} thread(s)\n");
        Console.WriteLine($"{"method",-10} {"trainable",12} {"share",9} {"ms/step",9} {"vs full",8} {"optim. state",13} {"prompt file",12}");
        foreach (var r in rows)
            Console.WriteLine($"{r.Method,-10} {r.Trainable,12:N0} {100 * r.Share,8:F3}% {r.StepMs,9:F1} {r.StepMs / fullMs,7:F2}x {r.OptimizerBytes,13:N0} {r.FileBytes,12:N0}");
        Console.WriteLine($"\nmixed-task batch (two prefix-tuned tasks, lengths 10 and 20): {mixed:F1} examples/s vs single-task {single:F1} examples/s = {mixed / single:F2}x");
        return 0;
    }

    /// <summary>Forward-pass throughput of a batch whose rows alternate two tasks' prefixes vs a batch of one task.</summary>
    static (double Single, double Mixed) MixedTaskThroughput(PromptLearning.Checkpoints.PretrainedModel pretrained, TaskSplit data, int batch, int repeats)
    {
        var first = data.Task with { Name = "first" };
        var second = data.Task with { Name = "second" };
        PromptModel a = first.Kind == TaskKind.Generation
            ? new PrefixTuningModel(pretrained.Model, pretrained.Tokenizer, first, new PrefixTuningConfig { Length = 10 })
            : new PTuningV2Model(pretrained.Model, pretrained.Tokenizer, first, new PTuningV2Config { Length = 10 });
        PromptModel b = first.Kind == TaskKind.Generation
            ? new PrefixTuningModel(pretrained.Model, pretrained.Tokenizer, second, new PrefixTuningConfig { Length = 20, Seed = 7 })
            : new PTuningV2Model(pretrained.Model, pretrained.Tokenizer, second, new PTuningV2Config { Length = 20, Seed = 7 });
        var combined = PromptModel.Combine(a, b); // shares a's and b's modules; disposed through them
        combined.eval();
        var examples = data.Examples.Take(batch).ToList();
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
        // Interleave the measurements so that load changes hit both alike.
        double s1 = Time(single), m1 = Time(mixed), s2 = Time(single), m2 = Time(mixed);
        a.Dispose(); b.Dispose();
        return ((s1 + s2) / 2, (m1 + m2) / 2);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and reorder the time stamps).</summary>
    sealed class SyncProgress(Action<PromptLearning.Training.TrainerProgress> report) : IProgress<PromptLearning.Training.TrainerProgress>
    {
        public void Report(PromptLearning.Training.TrainerProgress value) => report(value);
    }
}
