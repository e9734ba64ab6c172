using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Seq2Seq;
using static TorchSharp.torch;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn bench [--json]</c>: on one backbone, in one run, for each method: trainable parameters,
/// time per training step (median and IQR over interleaved rounds) and its ratio to full fine-tuning
/// (the median of per-round ratios, with their IQR, beside the analytic ratio), optimizer-state bytes, peak training memory and prompt file size; and the
/// throughput of a mixed-task batch against one batch per task and against a single-task batch
/// with the same prefix lengths; then the same rows for the encoder-decoder methods on
/// <c>--seq2seq-model</c> (summarization). <c>--also-length N</c> times the methods again at N tokens in the same
/// run; <c>--markdown FILE</c> writes the README's benchmark section from the run. Targets (issues 5 and 16): soft-prompt step time &lt;= 0.75x
/// fine-tuning (&lt;= 0.67x at 128 tokens), mixed-task throughput &gt;= 0.9x the per-task batches.
/// </summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "trainable parameters, step time vs fine-tuning (interleaved rounds), memory, prompt size, mixed-task throughput";

    private const string Usage =
        "usage: plearn bench [--model bert-small] [--task sentiment] [--steps 4] [--rounds 15] [--batch 16] [--repeats 5] [--length N] [--threads N] [--clock wall|cpu] [--json]\n" +
        "                    [--also-length N]   (the methods again at N tokens in the same run: JSON at_length, a second table)\n" +
        "                    [--markdown FILE]   (also writes the README's benchmark section to FILE: plearn bench --also-length 128 --markdown bench.md)\n" +
        "                    [--generation-model gpt2-small | --no-generation]   (tokens/s of greedy and beam search with a prefix, cache on and off)\n" +
        "                    [--seq2seq-model bart-small | --no-seq2seq]         (encoder-decoder rows on summarization: finetune, prompt, prefix, ptuning2)";

    /// <summary>The encoder-decoder timed unless <c>--seq2seq-model</c> names another: the embedded model, skipped with a note while it is not shipped.</summary>
    private const string DefaultSeq2SeqModel = "bart-small";

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "json", "no-generation", "no-seq2seq");
        if (o.Has("help")) { Console.WriteLine(Usage); return 0; }
        var taskName = o.Get("task", "sentiment");
        var modelName = o.Get("model", PromptRun.DefaultModel(taskName));
        int steps = o.GetInt("steps", 4, min: 2), rounds = o.GetInt("rounds", 15, min: 1), batch = o.GetInt("batch", 16, min: 1),
            repeats = o.GetInt("repeats", 5, min: 1), threads = o.GetInt("threads", 0, min: 0);
        int? length = o.Get("length") is null ? null : o.GetInt("length", 128, min: 8);
        int? alsoLength = o.Get("also-length") is null ? null : o.GetInt("also-length", 128, min: 8);
        bool json = o.Has("json");
        var markdown = o.Get("markdown");
        var clock = o.Get("clock", "wall") switch
        {
            "wall" => BenchmarkClock.Wall,
            "cpu" => BenchmarkClock.ProcessCpu,
            var other => throw new CliUsageException($"--clock must be wall or cpu (the process's CPU time: other processes do not count; use with --threads 1), not '{other}'"),
        };
        var generationModel = o.Has("no-generation") ? null : o.Get("generation-model", "gpt2-small");
        var seq2seqName = o.Get("seq2seq-model");
        bool noSeq2Seq = o.Has("no-seq2seq");
        o.RejectUnknown();
        if (noSeq2Seq && seq2seqName is not null) throw new CliUsageException("--seq2seq-model and --no-seq2seq exclude each other");
        // This process only benchmarks: freed native memory stays in it while timing, so no timed step faults pages in again.
        var config = new MethodBenchmarkConfig(steps, batch, repeats, rounds, length, Clock: clock, KeepFreedMemory: true);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new CliUsageException(e.Message.Replace("benchmark: ", "--", StringComparison.Ordinal)); }
        if (threads > 0) set_num_threads(threads);

        var loadBefore = LoadAverage();
        // Load the encoder-decoder first, so that a bad --seq2seq-model fails before minutes of timing.
        string? seq2seqNote = null;
        using var seq2seq = noSeq2Seq ? null : LoadSeq2Seq(seq2seqName, out seq2seqNote);
        using var pretrained = PromptRun.LoadModel(modelName);
        Action<string>? log = json ? null : m => Console.Error.WriteLine($"  {m}");
        var train = TaskRegistry.Load(taskName, "train");
        var result = MethodBenchmark.Run(pretrained, train, config, log);
        var atLength = alsoLength is { } n ? MethodBenchmark.Run(pretrained, train, config with { Length = n }, log) : null;
        var seq2seqResult = seq2seq is null ? null
            : Seq2SeqMethodBenchmark.Run(seq2seq, TaskRegistry.Load(EmbeddedData.Summarization, "train"), config, log);
        var mt = result.MixedTask;
        GenerationBenchmarkResult? generation = null;
        if (generationModel is not null)
        {
            using var gpt2 = PromptRun.LoadModel(generationModel);
            var prompts = TaskRegistry.Load(EmbeddedData.E2e, "dev").Examples.Select(e => e.A).ToList();
            generation = GenerationBenchmark.Run(gpt2.Model, gpt2.Tokenizer, prompts, rounds: rounds, log: log);
        }
        // last: it sets glibc to hand freed memory back at once, which the timed parts above keep
        var serving = MethodBenchmark.MeasureServingMemory(pretrained, train, ServingTasks, batch);
        var loadAfter = LoadAverage();
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
            ["clock"] = clock == BenchmarkClock.Wall ? "wall" : "cpu",
            ["keep_freed_memory"] = true,
            ["load_average_1min"] = loadBefore is null || loadAfter is null ? null : new JsonObject { ["start"] = loadBefore, ["end"] = loadAfter },
            ["methods"] = MethodsJson(result.Methods, result.Peak),
            ["at_length"] = atLength is null ? null : new JsonObject { ["length"] = alsoLength, ["methods"] = MethodsJson(atLength.Methods, atLength.Peak) },
            ["matmul_peak_gflops"] = new JsonObject(result.Peak.BySize.Select(p => KeyValuePair.Create(p.Size.ToString(), (JsonNode?)Math.Round(p.Gflops, 1)))),
            ["mixed_task"] = new JsonObject
            {
                ["mixed_examples_per_s"] = SpreadJson(mt.Mixed, 1),
                ["per_task_batches_examples_per_s"] = SpreadJson(mt.PerTaskBatches, 1),
                ["mixed_same_lengths_examples_per_s"] = SpreadJson(mt.MixedSameLengths, 1),
                ["single_task_same_lengths_examples_per_s"] = SpreadJson(mt.SingleTaskSameLengths, 1),
                ["per_task_ratio"] = Math.Round(mt.PerTaskRatio, 3),
                ["per_task_ratio_spread"] = SpreadJson(mt.PerTaskRatios, 3),
                ["same_lengths_ratio"] = Math.Round(mt.SameLengthsRatio, 3),
                ["same_lengths_ratio_spread"] = SpreadJson(mt.SameLengthsRatios, 3),
            },
            ["serving_memory"] = new JsonObject
            {
                ["tasks"] = serving.Tasks,
                ["rows"] = serving.Rows,
                ["shared_backbone_bytes"] = serving.SharedBytes,
                ["fine_tuned_copies_bytes"] = serving.CopiesBytes,
                ["copies_to_shared_ratio"] = serving.CopiesToSharedRatio is { } sr ? Math.Round(sr, 2) : null,
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
                ["greedy_cache_speedup_ratio_spread"] = SpreadJson(generation.CacheSpeedups("greedy"), 3),
                ["beam_cache_speedup_ratio"] = Math.Round(generation.CacheSpeedup(generation.Speeds[2].Decoding), 3),
                ["beam_cache_speedup_ratio_spread"] = SpreadJson(generation.CacheSpeedups(generation.Speeds[2].Decoding), 3),
            },
            ["seq2seq"] = seq2seqResult is null ? null : new JsonObject
            {
                ["model"] = seq2seqName ?? DefaultSeq2SeqModel,
                ["task"] = seq2seqResult.Task,
                ["backbone_parameters"] = seq2seqResult.BackboneParameters,
                ["max_length"] = seq2seqResult.MaxLength,
                ["max_target_length"] = seq2seqResult.MaxTargetLength,
                ["methods"] = MethodsJson(seq2seqResult.Methods, result.Peak),
            },
        };
        if (markdown is not null)
        {
            using var file = new StreamWriter(markdown);
            WriteMarkdown(file, string.Join(" ", args), modelName, result, atLength, serving, generation, clock, loadBefore, loadAfter);
        }
        if (json) { Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true })); return 0; }
        Console.WriteLine($"plearn bench: {modelName} ({result.BackboneParameters:N0} parameters), task {taskName}, batch {batch}, " +
                          $"{steps} timed steps x {rounds} interleaved rounds, length {(length is null ? "natural" : length + " tokens")}, {result.Threads} thread(s), {(clock == BenchmarkClock.Wall ? "wall-clock" : "process CPU")} time, " +
                          $"load average {(loadBefore is null ? "n/a" : $"{loadBefore:F2} at the start, {loadAfter:F2} at the end")}\n");
        PrintMethods(result.Methods, result.Peak);
        if (atLength is not null)
        {
            Console.WriteLine($"\nat {alsoLength} tokens:\n");
            PrintMethods(atLength.Methods, atLength.Peak);
        }
        Console.WriteLine($"\nfp32 matmul on this machine: {string.Join(", ", result.Peak.BySize.Select(p => $"{p.Size}: {p.Gflops:F1}"))} GFLOP/s (peak {result.Peak.Gflops:F1})");
        Console.WriteLine($"\nmixed-task batch (two tasks' prefixes, lengths 10 and 20): {mt.Mixed.Median:F1} examples/s vs one batch per task {mt.PerTaskBatches.Median:F1} = {mt.PerTaskRatio:F2}x");
        Console.WriteLine($"same prefix lengths (20 and 20): mixed {mt.MixedSameLengths.Median:F1} vs single-task {mt.SingleTaskSameLengths.Median:F1} examples/s = {mt.SameLengthsRatio:F2}x");
        Console.WriteLine($"\n{ServingLine(serving)}");
        if (generation is not null)
        {
            Console.WriteLine($"\ngeneration ({generationModel}, {generation.Batch} prompts of {generation.PromptTokens} tokens, {generation.NewTokens} new tokens, prefix of {generation.PrefixLength}): tokens/s, median (IQR)");
            foreach (var g in generation.Speeds)
                Console.WriteLine($"  {g.Decoding,-8} cache {(g.Cache ? "on " : "off")} {g.TokensPerSecond.Median,9:F0} ({g.TokensPerSecond.Iqr:F0})");
            Console.WriteLine($"  cache speed-up: greedy {generation.CacheSpeedup("greedy"):F2}x, {generation.Speeds[2].Decoding} {generation.CacheSpeedup(generation.Speeds[2].Decoding):F2}x");
        }
        if (seq2seqResult is not null)
        {
            Console.WriteLine($"\nencoder-decoder: {seq2seqName ?? DefaultSeq2SeqModel} ({seq2seqResult.BackboneParameters:N0} parameters), task {seq2seqResult.Task}, " +
                              $"encoder input {seq2seqResult.MaxLength} tokens, target {seq2seqResult.MaxTargetLength} tokens (no analytic GFLOP)\n");
            PrintMethods(seq2seqResult.Methods, result.Peak);
        }
        if (seq2seqNote is not null) (json ? Console.Error : Console.Out).WriteLine($"\n{seq2seqNote}");
        return 0;
    }

    /// <summary>
    /// The encoder-decoder of <c>--seq2seq-model</c> (<paramref name="name"/>; null = <see cref="DefaultSeq2SeqModel"/>), or
    /// null with a one-line <paramref name="note"/> when the default is not shipped. A model the user named that does
    /// not load is a usage error naming it.
    /// </summary>
    private static PretrainedSeq2SeqModel? LoadSeq2Seq(string? name, out string? note)
    {
        note = null;
        var folder = PromptRun.ResolveModel(name ?? DefaultSeq2SeqModel);
        if (name is null && !Directory.Exists(folder))
        {
            note = $"encoder-decoder rows skipped: the embedded {DefaultSeq2SeqModel} is not in data/models (--seq2seq-model NAME|FOLDER times another).";
            return null;
        }
        try { return Pretrained.LoadSeq2Seq(folder); }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            throw new CliUsageException($"--seq2seq-model '{name ?? DefaultSeq2SeqModel}' does not load as an encoder-decoder: {e.Message}");
        }
    }

    /// <summary>The machine's 1-minute load average (<c>/proc/loadavg</c>), or null where there is none: a bench run records the load it ran under.</summary>
    private static double? LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : null; }
        catch (Exception e) when (e is IOException or FormatException) { return null; }
    }

    private static JsonObject SpreadJson(Spread s, int digits) => new()
    {
        ["median"] = Math.Round(s.Median, digits), ["q1"] = Math.Round(s.Q1, digits), ["q3"] = Math.Round(s.Q3, digits),
        ["iqr"] = Math.Round(s.Iqr, digits),
        ["samples"] = new JsonArray(s.Samples.Select(x => (JsonNode)Math.Round(x, digits)).ToArray()),
    };

    /// <summary>
    /// The methods rows of the JSON report (GFLOP fields null where the row has no analytic count): <c>step_time_ratio</c> is the
    /// median of the per-round ratios to fine-tuning (the first row), <c>step_time_ratio_spread</c> their spread,
    /// <c>step_time_of_medians_ratio</c> the ratio of the median step times, <c>analytic_step_ratio</c> the ratio of the analytic GFLOP.
    /// </summary>
    private static JsonArray MethodsJson(IReadOnlyList<MethodCost> rows, MatmulPeak peak)
    {
        double fineTuningMs = rows[0].StepMs.Median;
        double? fineTuningGflop = rows[0].StepGflop;
        return new(rows.Select(r => (JsonNode)new JsonObject
        {
            ["method"] = r.Method,
            ["trainable_parameters"] = r.TrainableParameters,
            ["trainable_share"] = Math.Round(r.TrainableShare, 6),
            ["step_ms"] = SpreadJson(r.StepMs, 2),
            ["step_time_ratio"] = Math.Round(r.StepTimeRatio, 3),
            ["step_time_ratio_spread"] = SpreadJson(r.StepTimeRatios, 3),
            ["step_time_of_medians_ratio"] = Math.Round(r.StepMs.Median / fineTuningMs, 3),
            ["analytic_step_ratio"] = r.StepGflop is { } work && fineTuningGflop is { } full ? Math.Round(work / full, 3) : null,
            ["optimizer_state_bytes"] = r.OptimizerStateBytes,
            ["peak_training_bytes"] = r.PeakTrainingBytes,
            ["prompt_file_bytes"] = r.PromptFileBytes,
            ["step_gflop"] = r.StepGflop is { } g ? Math.Round(g, 4) : null,
            ["achieved_gflops"] = r.AchievedGflops is { } a ? Math.Round(a, 2) : null,
            ["matmul_peak_ratio"] = r.AchievedGflops is { } b ? Math.Round(b / peak.Gflops, 3) : null,
        }).ToArray());
    }

    /// <summary>Tasks served in the inference-memory comparison (shared backbone with prompts vs fine-tuned copies).</summary>
    private const int ServingTasks = 4;

    private static string ServingLine(ServingMemory m)
    {
        static string Mb(long? b) => b is { } v ? $"{v / 1e6:F1} MB" : "n/a";
        return $"Inference memory, {m.Tasks} tasks, {m.Rows} rows: one shared backbone with a prompt per task and one mixed batch {Mb(m.SharedBytes)}; " +
               $"{m.Tasks} fine-tuned copies {Mb(m.CopiesBytes)}" + (m.CopiesToSharedRatio is { } r ? $" ({r:F2}x)." : ".");
    }

    /// <summary>
    /// The README's benchmark section from one run: the command and the conditions it ran under, the methods table (ratios to
    /// fine-tuning as medians of per-round ratios with their IQR, the analytic ratio beside them, and the <c>--also-length</c>
    /// column), the matmul peak, the mixed-task ratios and the generation speeds.
    /// </summary>
    private static void WriteMarkdown(TextWriter o, string arguments, string modelName, MethodBenchmarkResult result, MethodBenchmarkResult? atLength,
        ServingMemory serving, GenerationBenchmarkResult? generation, BenchmarkClock clock, double? loadBefore, double? loadAfter)
    {
        static string Ratio(MethodCost r) => $"{r.StepTimeRatio:F2}x ({r.StepTimeRatios.Iqr:F2})";
        static string Analytic(MethodCost r, IReadOnlyList<MethodCost> rows) => r.StepGflop is { } g && rows[0].StepGflop is { } full ? $"{g / full:F2}x" : "n/a";
        var n = atLength?.Length;
        o.WriteLine($"One run of `plearn bench {arguments}` ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {result.Threads} thread(s), " +
                          $"{(clock == BenchmarkClock.Wall ? "wall-clock" : "process CPU")} time, load average {loadBefore?.ToString("F2") ?? "n/a"} at the start and " +
                          $"{loadAfter?.ToString("F2") ?? "n/a"} at the end): {modelName} ({result.BackboneParameters:N0} parameters), {result.Task}, batch {result.BatchSize}, " +
                          $"{result.TimedSteps} timed steps x {result.Rounds} interleaved rounds. Ratios to fine-tuning are medians of per-round ratios (IQR in brackets); " +
                          "\"analytic\" is the ratio of the analytic GFLOP.\n");
        var header = "| method | trainable | ms/step (IQR) | vs fine-tuning | analytic |" + (n is null ? "" : $" at {n} tokens | analytic at {n} |") +
                     " optimizer state (B) | peak training memory (B) | saved (B) | of matmul peak |";
        o.WriteLine(header);
        o.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", header.Count(c => c == '|') - 2)));
        for (int i = 0; i < result.Methods.Count; i++)
        {
            var r = result.Methods[i];
            var at = atLength?.Methods[i];
            o.WriteLine($"| {r.Method} | {r.TrainableParameters:N0} | {r.StepMs.Median:F1} ({r.StepMs.Iqr:F1}) | {Ratio(r)} | {Analytic(r, result.Methods)} |" +
                              (at is null ? "" : $" {Ratio(at)} | {Analytic(at, atLength!.Methods)} |") +
                              $" {r.OptimizerStateBytes:N0} | {(r.PeakTrainingBytes is { } p ? p.ToString("N0") : "n/a")} | {r.PromptFileBytes:N0} |" +
                              $" {(r.AchievedGflops is { } a ? $"{100 * a / result.Peak.Gflops:F0}%" : "n/a")} |");
        }
        o.WriteLine($"\nfp32 matmul peak: {string.Join(", ", result.Peak.BySize.Select(p => $"{p.Size}: {p.Gflops:F1}"))} GFLOP/s" +
                          (atLength is null ? "." : $"; fine-tuning reaches {100 * atLength.Methods[0].AchievedGflops / atLength.Peak.Gflops:F0}% of it at {n} tokens."));
        var mt = result.MixedTask;
        o.WriteLine($"\nMixed-task batch: {mt.PerTaskRatio:F3}x (IQR {mt.PerTaskRatios.Iqr:F3}) the throughput of the same rows run as one batch per task; " +
                          $"{mt.SameLengthsRatio:F3}x (IQR {mt.SameLengthsRatios.Iqr:F3}) a single-task batch with the same prefix lengths.");
        o.WriteLine($"\n{ServingLine(serving)}");
        if (generation is null) return;
        o.WriteLine($"\nGeneration ({generation.Batch} prompts of {generation.PromptTokens} tokens, {generation.NewTokens} new tokens, a {generation.PrefixLength}-token prefix):\n");
        o.WriteLine("| | cache on | cache off | cache speed-up (IQR) |\n|---|---:|---:|---:|");
        foreach (var decoding in generation.Speeds.Select(g => g.Decoding).Distinct())
        {
            var on = generation.Speeds.Single(g => g.Decoding == decoding && g.Cache).TokensPerSecond.Median;
            var off = generation.Speeds.Single(g => g.Decoding == decoding && !g.Cache).TokensPerSecond.Median;
            o.WriteLine($"| {decoding} (tokens/s) | {on:N0} | {off:N0} | {generation.CacheSpeedup(decoding):F2}x ({generation.CacheSpeedups(decoding).Iqr:F2}) |");
        }
    }

    /// <summary>The methods table ("n/a" where a row has no peak memory or no analytic GFLOP).</summary>
    private static void PrintMethods(IReadOnlyList<MethodCost> rows, MatmulPeak peak)
    {
        Console.WriteLine($"{"method",-10} {"trainable",12} {"share",9} {"ms/step",9} {"IQR",7} {"vs full",8} {"(IQR)",7} {"analytic",8} {"optim. state",13} {"peak memory",12} {"prompt file",12} {"GFLOP/s",8} {"of peak",8}");
        foreach (var r in rows)
            Console.WriteLine($"{r.Method,-10} {r.TrainableParameters,12:N0} {100 * r.TrainableShare,8:F3}% {r.StepMs.Median,9:F1} {r.StepMs.Iqr,7:F1} {r.StepTimeRatio,7:F2}x {r.StepTimeRatios.Iqr,7:F3} " +
                              $"{(r.StepGflop is { } g && rows[0].StepGflop is { } full ? (g / full).ToString("F2") + "x" : "n/a"),8} " +
                              $"{r.OptimizerStateBytes,13:N0} {(r.PeakTrainingBytes is { } p ? p.ToString("N0") : "n/a"),12} {r.PromptFileBytes,12:N0} " +
                              $"{(r.AchievedGflops is { } a ? a.ToString("F1") : "n/a"),8} {(r.AchievedGflops is { } b ? (100 * b / peak.Gflops).ToString("F1") + "%" : "n/a"),8}");
    }
}
