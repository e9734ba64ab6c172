using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Prompts;
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
        int steps = o.GetInt("steps", 20, min: 3), batch = o.GetInt("batch", 16, min: 1), repeats = o.GetInt("repeats", 5, min: 1), threads = o.GetInt("threads", 0, min: 0);
        bool json = o.Has("json");
        o.RejectUnknown();
        if (threads > 0) set_num_threads(threads);

        using var pretrained = PromptRun.LoadModel(modelName);
        var result = MethodBenchmark.Run(pretrained, TaskData.Load(taskName, "train"), new MethodBenchmarkConfig(steps, batch, repeats),
            json ? null : m => Console.Error.WriteLine($"  {m.Method}: {m.StepMs:F1} ms/step"));
        var report = new JsonObject
        {
            ["model"] = modelName,
            ["task"] = taskName,
            ["backbone_parameters"] = result.BackboneParameters,
            ["batch"] = batch,
            ["timed_steps"] = steps,
            ["threads"] = result.Threads,
            ["methods"] = new JsonArray(result.Methods.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method,
                ["trainable_parameters"] = r.TrainableParameters,
                ["trainable_share"] = Math.Round(r.TrainableShare, 6),
                ["step_ms"] = Math.Round(r.StepMs, 2),
                ["step_time_vs_finetune"] = Math.Round(r.StepTimeVsFineTuning, 3),
                ["optimizer_state_bytes"] = r.OptimizerStateBytes,
                ["prompt_file_bytes"] = r.PromptFileBytes,
            }).ToArray()),
            ["mixed_task"] = new JsonObject
            {
                ["single_task_examples_per_s"] = Math.Round(result.MixedTask.SingleTaskExamplesPerSecond, 1),
                ["mixed_task_examples_per_s"] = Math.Round(result.MixedTask.MixedTaskExamplesPerSecond, 1),
                ["ratio"] = Math.Round(result.MixedTask.Ratio, 3),
            },
        };
        if (json) { Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true })); return 0; }
        Console.WriteLine($"plearn bench: {modelName} ({result.BackboneParameters:N0} parameters), task {taskName}, batch {batch}, {steps} timed steps, {result.Threads} thread(s)\n");
        Console.WriteLine($"{"method",-10} {"trainable",12} {"share",9} {"ms/step",9} {"vs full",8} {"optim. state",13} {"prompt file",12}");
        foreach (var r in result.Methods)
            Console.WriteLine($"{r.Method,-10} {r.TrainableParameters,12:N0} {100 * r.TrainableShare,8:F3}% {r.StepMs,9:F1} {r.StepTimeVsFineTuning,7:F2}x {r.OptimizerStateBytes,13:N0} {r.PromptFileBytes,12:N0}");
        var mt = result.MixedTask;
        Console.WriteLine($"\nmixed-task batch (two prefix-tuned tasks, lengths 10 and 20): {mt.MixedTaskExamplesPerSecond:F1} examples/s vs single-task {mt.SingleTaskExamplesPerSecond:F1} examples/s = {mt.Ratio:F2}x");
        return 0;
    }
}
