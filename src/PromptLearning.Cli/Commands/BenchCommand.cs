using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Prompts;
using static TorchSharp.torch;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn bench [--json]</c>: on one backbone, in one run, for each method: trainable parameters,
/// time per training step (median and IQR over interleaved rounds) as a ratio of medians to full
/// fine-tuning, optimizer-state bytes, peak training memory and prompt file size; and the
/// throughput of a mixed-task batch against one batch per task and against a single-task batch
/// with the same prefix lengths. Targets (issues 5 and 16): soft-prompt step time &lt;= 0.75x
/// fine-tuning (&lt;= 0.67x at 128 tokens), mixed-task throughput &gt;= 0.9x the per-task batches.
/// </summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "trainable parameters, step time vs fine-tuning (interleaved rounds), memory, prompt size, mixed-task throughput";

    private const string Usage =
        "usage: plearn bench [--model bert-small] [--task sentiment] [--steps 10] [--rounds 5] [--batch 16] [--repeats 5] [--length N] [--threads N] [--json]\n" +
        "                    [--generation-model gpt2-small | --no-generation]   (tokens/s of greedy and beam search with a prefix, cache on and off)";

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "json", "no-generation");
        if (o.Has("help")) { Console.WriteLine(Usage); return 0; }
        var taskName = o.Get("task", "sentiment");
        var modelName = o.Get("model", PromptRun.DefaultModel(taskName));
        int steps = o.GetInt("steps", 10, min: 2), rounds = o.GetInt("rounds", 5, min: 1), batch = o.GetInt("batch", 16, min: 1),
            repeats = o.GetInt("repeats", 5, min: 1), threads = o.GetInt("threads", 0, min: 0);
        int? length = o.Get("length") is null ? null : o.GetInt("length", 128, min: 8);
        bool json = o.Has("json");
        var generationModel = o.Has("no-generation") ? null : o.Get("generation-model", "gpt2-small");
        o.RejectUnknown();
        var config = new MethodBenchmarkConfig(steps, batch, repeats, rounds, length);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new CliUsageException(e.Message.Replace("benchmark: ", "--", StringComparison.Ordinal)); }
        if (threads > 0) set_num_threads(threads);

        using var pretrained = PromptRun.LoadModel(modelName);
        var result = MethodBenchmark.Run(pretrained, TaskData.Load(taskName, "train"), config, json ? null : m => Console.Error.WriteLine($"  {m}"));
        static JsonObject SpreadJson(Spread s, int digits) => new()
        {
            ["median"] = Math.Round(s.Median, digits), ["q1"] = Math.Round(s.Q1, digits), ["q3"] = Math.Round(s.Q3, digits),
            ["samples"] = new JsonArray(s.Samples.Select(x => (JsonNode)Math.Round(x, digits)).ToArray()),
        };
        var mt = result.MixedTask;
        GenerationBenchmarkResult? generation = null;
        if (generationModel is not null)
        {
            using var gpt2 = PromptRun.LoadModel(generationModel);
            var prompts = TaskData.Load(Data.EmbeddedData.E2e, "dev").Examples.Select(e => e.A).ToList();
            generation = GenerationBenchmark.Run(gpt2.Model, gpt2.Tokenizer, prompts, rounds: rounds, log: json ? null : m => Console.Error.WriteLine($"  {m}"));
        }
        var report = new JsonObject
        {
            ["model"] = modelName,
            ["task"] = taskName,
            ["backbone_parameters"] = result.BackboneParameters,
            ["batch"] = batch,
            ["timed_steps"] = steps,
            ["rounds"] = rounds,
            ["length"] = length,
            ["threads"] = result.Threads,
            ["methods"] = new JsonArray(result.Methods.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method,
                ["trainable_parameters"] = r.TrainableParameters,
                ["trainable_share"] = Math.Round(r.TrainableShare, 6),
                ["step_ms"] = SpreadJson(r.StepMs, 2),
                ["step_time_ratio"] = Math.Round(r.StepTimeRatio, 3),
                ["optimizer_state_bytes"] = r.OptimizerStateBytes,
                ["peak_training_bytes"] = r.PeakTrainingBytes,
                ["prompt_file_bytes"] = r.PromptFileBytes,
                ["step_gflop"] = Math.Round(r.StepGflop, 4),
                ["achieved_gflops"] = Math.Round(r.AchievedGflops, 2),
                ["matmul_peak_ratio"] = Math.Round(r.AchievedGflops / result.Peak.Gflops, 3),
            }).ToArray()),
            ["matmul_peak_gflops"] = new JsonObject(result.Peak.BySize.Select(p => KeyValuePair.Create(p.Size.ToString(), (JsonNode?)Math.Round(p.Gflops, 1)))),
            ["mixed_task"] = new JsonObject
            {
                ["mixed_examples_per_s"] = SpreadJson(mt.Mixed, 1),
                ["per_task_batches_examples_per_s"] = SpreadJson(mt.PerTaskBatches, 1),
                ["mixed_same_lengths_examples_per_s"] = SpreadJson(mt.MixedSameLengths, 1),
                ["single_task_same_lengths_examples_per_s"] = SpreadJson(mt.SingleTaskSameLengths, 1),
                ["per_task_ratio"] = Math.Round(mt.PerTaskRatio, 3),
                ["same_lengths_ratio"] = Math.Round(mt.SameLengthsRatio, 3),
            },
            ["generation"] = generation is null ? null : new JsonObject
            {
                ["model"] = generationModel,
                ["batch"] = generation.Batch,
                ["prompt_tokens"] = generation.PromptTokens,
                ["new_tokens"] = generation.NewTokens,
                ["prefix_length"] = generation.PrefixLength,
                ["settings"] = new JsonArray(generation.Speeds.Select(g => (JsonNode)new JsonObject
                {
                    ["decoding"] = g.Decoding, ["cache"] = g.Cache, ["tokens_per_s"] = SpreadJson(g.TokensPerSecond, 1),
                }).ToArray()),
                ["greedy_cache_speedup_ratio"] = Math.Round(generation.CacheSpeedup("greedy"), 3),
                ["beam_cache_speedup_ratio"] = Math.Round(generation.CacheSpeedup(generation.Speeds[2].Decoding), 3),
            },
        };
        if (json) { Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true })); return 0; }
        Console.WriteLine($"plearn bench: {modelName} ({result.BackboneParameters:N0} parameters), task {taskName}, batch {batch}, " +
                          $"{steps} timed steps x {rounds} interleaved rounds, length {(length is null ? "natural" : length + " tokens")}, {result.Threads} thread(s)\n");
        Console.WriteLine($"{"method",-10} {"trainable",12} {"share",9} {"ms/step",9} {"IQR",7} {"vs full",8} {"optim. state",13} {"peak memory",12} {"prompt file",12} {"GFLOP/s",8} {"of peak",8}");
        foreach (var r in result.Methods)
            Console.WriteLine($"{r.Method,-10} {r.TrainableParameters,12:N0} {100 * r.TrainableShare,8:F3}% {r.StepMs.Median,9:F1} {r.StepMs.Iqr,7:F1} {r.StepTimeRatio,7:F2}x " +
                              $"{r.OptimizerStateBytes,13:N0} {(r.PeakTrainingBytes is { } p ? p.ToString("N0") : "n/a"),12} {r.PromptFileBytes,12:N0} {r.AchievedGflops,8:F1} {100 * r.AchievedGflops / result.Peak.Gflops,7:F1}%");
        Console.WriteLine($"\nfp32 matmul on this machine: {string.Join(", ", result.Peak.BySize.Select(p => $"{p.Size}: {p.Gflops:F1}"))} GFLOP/s (peak {result.Peak.Gflops:F1})");
        Console.WriteLine($"\nmixed-task batch (two tasks' prefixes, lengths 10 and 20): {mt.Mixed.Median:F1} examples/s vs one batch per task {mt.PerTaskBatches.Median:F1} = {mt.PerTaskRatio:F2}x");
        Console.WriteLine($"same prefix lengths (20 and 20): mixed {mt.MixedSameLengths.Median:F1} vs single-task {mt.SingleTaskSameLengths.Median:F1} examples/s = {mt.SameLengthsRatio:F2}x");
        if (generation is not null)
        {
            Console.WriteLine($"\ngeneration ({generationModel}, {generation.Batch} prompts of {generation.PromptTokens} tokens, {generation.NewTokens} new tokens, prefix of {generation.PrefixLength}): tokens/s, median (IQR)");
            foreach (var g in generation.Speeds)
                Console.WriteLine($"  {g.Decoding,-8} cache {(g.Cache ? "on " : "off")} {g.TokensPerSecond.Median,9:F0} ({g.TokensPerSecond.Iqr:F0})");
            Console.WriteLine($"  cache speed-up: greedy {generation.CacheSpeedup("greedy"):F2}x, {generation.Speeds[2].Decoding} {generation.CacheSpeedup(generation.Speeds[2].Decoding):F2}x");
        }
        return 0;
    }
}
