using System.Diagnostics;
using PromptLearning.Checkpoints;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>Settings of <see cref="MethodBenchmark.Run"/>.</summary>
/// <param name="Steps">Timed training steps per method and round (one more runs first in each round, untimed: it allocates the optimizer state). Short samples in many rounds keep each method's sample close in time to fine-tuning's, so a change of machine load hits both.</param>
/// <param name="BatchSize">Examples per training step and per throughput batch.</param>
/// <param name="Repeats">Forward passes per throughput measurement.</param>
/// <param name="Rounds">Interleaved rounds: every method is timed once per round, the order rotating from round to round, so that a change of machine load hits every method alike (after one untimed warm-up round). A method's ratio to fine-tuning is the median of the per-round ratios.</param>
/// <param name="Length">Input length in tokens: each text is repeated until it is longer and the input truncated to this many tokens (prompt and special tokens included); null = the task's natural lengths.</param>
/// <param name="Methods">Methods to time; null = every method that trains something (fine-tuning, the reference, is always included).</param>
/// <param name="Clock">What a training step's time and the matmul peak are measured in (<see cref="BenchmarkClock"/>).</param>
/// <param name="KeepFreedMemory">
/// Measure memory with freed native memory handed back at once (<see cref="NativeHeap.ReturnFreedMemory"/>), then time with
/// it kept in the process (<see cref="NativeHeap.KeepFreedMemory"/>), so that no timed step faults pages in again. Both
/// settings are process-wide and stay after the run: for a process that only benchmarks (<c>plearn bench</c>).
/// </param>
public sealed record MethodBenchmarkConfig(int Steps = 4, int BatchSize = 16, int Repeats = 5, int Rounds = 15, int? Length = null, IReadOnlyList<string>? Methods = null,
    BenchmarkClock Clock = BenchmarkClock.Wall, bool KeepFreedMemory = false)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Steps < 2) throw new ArgumentException($"benchmark: Steps must be at least 2 (got {Steps})");
        if (BatchSize < 1) throw new ArgumentException($"benchmark: BatchSize must be at least 1 (got {BatchSize})");
        if (Repeats < 1) throw new ArgumentException($"benchmark: Repeats must be at least 1 (got {Repeats})");
        if (Rounds < 1) throw new ArgumentException($"benchmark: Rounds must be at least 1 (got {Rounds})");
        if (Length is < 8) throw new ArgumentException($"benchmark: Length must be at least 8 tokens (got {Length})");
    }
}

/// <summary>What the benchmark's times are measured in.</summary>
public enum BenchmarkClock
{
    /// <summary>Wall-clock time: what a user waits; includes time other processes take the cores.</summary>
    Wall,
    /// <summary>
    /// This process's CPU time (user + system, all threads; <see cref="Environment.CpuUsage"/>): other processes on
    /// the machine do not count, so ratios hold on a shared machine. Meant for one thread (<c>--threads 1</c>):
    /// idle worker threads of a parallel region spin and would count.
    /// </summary>
    ProcessCpu,
}

/// <summary>Reads a <see cref="BenchmarkClock"/>.</summary>
public static class BenchmarkClocks
{
    /// <summary>Milliseconds on <paramref name="clock"/> since an arbitrary origin (differences only).</summary>
    public static double Milliseconds(this BenchmarkClock clock) => clock switch
    {
        BenchmarkClock.Wall => Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency,
        BenchmarkClock.ProcessCpu => Environment.CpuUsage.TotalTime.TotalMilliseconds,
        _ => throw new ArgumentOutOfRangeException(nameof(clock), clock, "unknown clock"),
    };
}

/// <summary>Median and interquartile range of repeated measurements.</summary>
/// <param name="Median">The median.</param>
/// <param name="Q1">First quartile (linear interpolation).</param>
/// <param name="Q3">Third quartile.</param>
/// <param name="Samples">Every measurement, in the order taken.</param>
public sealed record Spread(double Median, double Q1, double Q3, IReadOnlyList<double> Samples)
{
    /// <summary>Q3 - Q1.</summary>
    public double Iqr => Q3 - Q1;

    /// <summary>The spread of <paramref name="samples"/> (at least one).</summary>
    public static Spread Of(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples");
        var s = samples.Order().ToArray();
        double Q(double p)
        {
            double x = p * (s.Length - 1);
            int lo = (int)Math.Floor(x), hi = (int)Math.Ceiling(x);
            return s[lo] + (s[hi] - s[lo]) * (x - lo);
        }
        return new Spread(Q(0.5), Q(0.25), Q(0.75), samples.ToList());
    }

    /// <summary>
    /// Runs every measurement once per round, the order rotating from round to round (so that a change
    /// of machine load hits every contender alike), and returns each one's spread over the rounds.
    /// With <paramref name="warmUp"/>, one untimed round runs first (JIT tiering, first-touch of memory,
    /// first-call allocations). Before each measurement the .NET heap is collected and finalizers run,
    /// so that no contender pays for garbage another left. <paramref name="onSample"/> gets (round,
    /// measurement index, value) after each timed measurement.
    /// </summary>
    public static IReadOnlyList<Spread> OfInterleavedRounds(int rounds, IReadOnlyList<Func<double>> measures, Action<int, int, double>? onSample = null,
        bool warmUp = false)
    {
        if (rounds < 1 || measures.Count == 0) throw new ArgumentException($"interleaved rounds: {rounds} rounds of {measures.Count} measurements");
        if (warmUp)
            foreach (var measure in measures) { Settle(); measure(); }
        var samples = measures.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int k = 0; k < measures.Count; k++)
            {
                int i = (k + round) % measures.Count;
                Settle();
                samples[i].Add(measures[i]());
                onSample?.Invoke(round, i, samples[i][^1]);
            }
        return samples.Select(Of).ToList();
    }

    /// <summary>
    /// The spread of the per-round ratios <paramref name="numerator"/>[r] / <paramref name="denominator"/>[r] of two
    /// contenders timed in the same interleaved rounds: pairing each round's samples cancels slow drifts of machine
    /// load that a ratio of the two medians would keep.
    /// </summary>
    public static Spread OfRatios(Spread numerator, Spread denominator)
    {
        if (numerator.Samples.Count != denominator.Samples.Count)
            throw new ArgumentException($"per-round ratios need as many samples on both sides ({numerator.Samples.Count} vs {denominator.Samples.Count})");
        return Of(numerator.Samples.Select((x, r) => x / denominator.Samples[r]).ToList());
    }

    /// <summary>Collects the .NET heap and runs pending finalizers (TorchSharp tensors not disposed free their native memory there), outside any timed region.</summary>
    internal static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

/// <summary>One method's row: what it trains and what a training step costs.</summary>
/// <param name="Method">The method's CLI name.</param>
/// <param name="TrainableParameters">Trained scalars.</param>
/// <param name="TrainableShare">Trained scalars / (backbone + method) scalars.</param>
/// <param name="StepMs">Milliseconds per training step, one sample per round.</param>
/// <param name="StepTimeRatios">Per-round ratios of its step time to fine-tuning's (<see cref="Spread.OfRatios"/>).</param>
/// <param name="OptimizerStateBytes">Bytes of optimizer state (AdamW: two moments per trained scalar).</param>
/// <param name="PeakTrainingBytes">Peak resident memory during its training steps above the resident memory before them (activations, gradients, optimizer state), measured from the process's high-water mark (Linux); null elsewhere.</param>
/// <param name="PromptFileBytes">Size of the saved prompt (or of the whole model for fine-tuning).</param>
/// <param name="StepGflop">Analytic floating-point work of one step of the backbone, in GFLOP (see <see cref="MethodBenchmark.StepGflop"/>); null for encoder-decoders (<see cref="Seq2Seq.Seq2SeqMethodBenchmark"/>), which have no analytic count here.</param>
/// <param name="AchievedGflops">StepGflop / median step time; null with <paramref name="StepGflop"/>.</param>
public sealed record MethodCost(string Method, long TrainableParameters, double TrainableShare, Spread StepMs,
    Spread StepTimeRatios, long OptimizerStateBytes, long? PeakTrainingBytes, long PromptFileBytes, double? StepGflop, double? AchievedGflops)
{
    /// <summary>Step time relative to fine-tuning: the median of the per-round ratios.</summary>
    public double StepTimeRatio => StepTimeRatios.Median;
}

/// <summary>This machine's fp32 matrix-multiply speed: GFLOP/s of square <c>torch.matmul</c> at a few sizes (best of the repeats).</summary>
public sealed record MatmulPeak(IReadOnlyList<(int Size, double Gflops)> BySize)
{
    /// <summary>The fastest size's GFLOP/s.</summary>
    public double Gflops => BySize.Max(s => s.Gflops);
}

/// <summary>
/// Forward-pass throughput (examples/s) of one batch that mixes two tasks' prefixes, against the two
/// ways a user would otherwise serve the same rows.
/// </summary>
/// <param name="Mixed">One batch, rows alternating a length-10 and a length-20 prefix.</param>
/// <param name="PerTaskBatches">The same rows run as one batch per task (the alternative without mixed-task batching; what PEFT users do, peft#759).</param>
/// <param name="MixedSameLengths">One mixed batch whose two tasks both have length-20 prefixes.</param>
/// <param name="SingleTaskSameLengths">The same rows as one single-task batch with a length-20 prefix: the same work per row as <paramref name="MixedSameLengths"/>.</param>
public sealed record MixedTaskThroughput(Spread Mixed, Spread PerTaskBatches, Spread MixedSameLengths, Spread SingleTaskSameLengths)
{
    /// <summary>Per-round ratios mixed batch / per-task batches (<see cref="Spread.OfRatios"/>).</summary>
    public Spread PerTaskRatios => Spread.OfRatios(Mixed, PerTaskBatches);

    /// <summary>Mixed batch / per-task batches, median of the per-round ratios (the bar: at least 0.9).</summary>
    public double PerTaskRatio => PerTaskRatios.Median;

    /// <summary>Per-round ratios mixed batch / single-task batch at equal prefix lengths.</summary>
    public Spread SameLengthsRatios => Spread.OfRatios(MixedSameLengths, SingleTaskSameLengths);

    /// <summary>Mixed batch / single-task batch at equal prefix lengths, median of the per-round ratios: what routing rows to tasks costs.</summary>
    public double SameLengthsRatio => SameLengthsRatios.Median;
}

/// <summary>
/// Inference memory of serving <paramref name="Tasks"/> tasks, measured as the process's peak resident memory above
/// what it held before (Linux; null elsewhere): every task as a small prompt on the one shared backbone, answering one
/// batch that mixes all tasks' rows, against every task as its own fine-tuned copy of the backbone, answering its rows.
/// </summary>
/// <param name="Tasks">Number of tasks served.</param>
/// <param name="Rows">Rows per batch (the same rows in both settings).</param>
/// <param name="SharedBytes">The shared backbone's weights (already resident, counted as their bytes) plus what N prompts (P-tuning v2
/// deep prompts; prefixes for generation) combined on it and one mixed batch's forward pass add at their peak.</param>
/// <param name="CopiesBytes">What N fine-tuned copies of the backbone and each copy's forward pass over its task's rows add at their peak
/// (the loaded backbone itself is not needed by them and not counted).</param>
public sealed record ServingMemory(int Tasks, int Rows, long? SharedBytes, long? CopiesBytes)
{
    /// <summary>CopiesBytes / SharedBytes: how many times more memory N fine-tuned copies take (null when unmeasured).</summary>
    public double? CopiesToSharedRatio => SharedBytes is > 0 && CopiesBytes is { } c ? c / (double)SharedBytes.Value : null;
}

/// <summary>Everything <see cref="MethodBenchmark.Run"/> measured, in one run on one backbone.</summary>
public sealed record MethodBenchmarkResult(string Task, long BackboneParameters, int BatchSize, int TimedSteps, int Rounds, int? Length,
    int Threads, IReadOnlyList<MethodCost> Methods, MixedTaskThroughput MixedTask, MatmulPeak Peak);

/// <summary>
/// What each method costs on one backbone, measured in one run so that the ratios are comparable on a
/// noisy machine (<c>plearn bench</c>, notebook 05): trainable parameters, time per training step
/// (median and IQR over interleaved rounds) as a ratio to full fine-tuning, optimizer-state bytes,
/// peak training memory, the size of the saved prompt, and mixed-task throughput. A frozen backbone
/// needs no weight gradients, so a soft-prompt step costs about 2/3 of a fine-tuning step times
/// (input + virtual tokens) / input, plus its own encoder. Fine-tuning trains its own copy of the
/// backbone (<see cref="Baselines.FineTuningModel"/>), so the shared backbone is never changed.
/// </summary>
public static class MethodBenchmark
{
    /// <summary>The methods timed by default, fine-tuning (the reference) first.</summary>
    public static readonly IReadOnlyList<string> DefaultMethods =
        [PromptMethods.FineTuning, PromptMethods.HeadOnly, PromptMethods.PromptTuning, PromptMethods.PTuning, PromptMethods.PrefixTuning, PromptMethods.PTuningV2];

    private sealed class Contender(string method, TaskModel model, Trainer<PromptExample> trainer) : IDisposable
    {
        public string Method => method;
        public TaskModel Model => model;
        public Trainer<PromptExample> Trainer => trainer;

        public void Dispose() => model.Dispose();
    }

    /// <summary>Times each method's default configuration on <paramref name="train"/> (needs BatchSize * (Steps + 1) examples).</summary>
    public static MethodBenchmarkResult Run(PretrainedModel pretrained, TaskSplit train, MethodBenchmarkConfig? config = null, Action<string>? log = null)
    {
        config ??= new MethodBenchmarkConfig();
        config.Validate();
        var methods = config.Methods ?? DefaultMethods;
        if (!methods.Contains(PromptMethods.FineTuning)) methods = [PromptMethods.FineTuning, .. methods];
        methods = methods.Where(m => !(m == PromptMethods.HeadOnly && train.Task.Kind == TaskKind.Generation)).Distinct().ToList();
        var examples = TimedExamples(train, config, pretrained.Tokenizer, config.Length);

        var contenders = new List<Contender>();
        try
        {
            foreach (var method in methods)
            {
                var methodConfig = PromptMethodConfig.Default(method) with { BatchSize = config.BatchSize, MaxLength = config.Length ?? 128 };
                var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, train.Task, methodConfig);
                var trainerConfig = PromptTraining.TrainerConfigFor(methodConfig, config.Steps + 1) with { EvalEvery = 0, LogEvery = 1, RestoreBest = false };
                contenders.Add(new Contender(method, model, PromptTraining.CreateTrainer(model, trainerConfig)));
            }

            var (stepMs, peaks) = TimeInterleaved(contenders.Select(c => (c.Method, c.Trainer)).ToList(), examples, config, log);
            var costs = new List<MethodCost>();
            for (int i = 0; i < contenders.Count; i++)
            {
                var (c, spread) = (contenders[i], stepMs[i]);
                double gflop = StepGflop(c.Model, examples, config.BatchSize);
                costs.Add(new MethodCost(c.Method, c.Model.TrainableParameterCount, c.Model.TrainableShare, spread, Spread.OfRatios(spread, stepMs[0]),
                    c.Trainer.OptimizerStateBytes, peaks[i], SavedBytes(c.Method, dir => PromptCheckpoint.Save(c.Model, dir)),
                    gflop, gflop / (spread.Median / 1000)));
            }
            return new MethodBenchmarkResult(train.Task.Name, pretrained.Model.Module.parameters().Sum(p => p.numel()), config.BatchSize, config.Steps,
                config.Rounds, config.Length, get_num_threads(), costs, MixedTask(pretrained, train, config.BatchSize, config.Repeats, config.Rounds),
                MeasureMatmulPeak(clock: config.Clock));
        }
        finally
        {
            foreach (var c in contenders) c.Dispose();
        }
    }

    /// <summary>
    /// Times training steps of every contender in interleaved rounds (<see cref="Spread.OfInterleavedRounds"/>): per
    /// round, one <see cref="Trainer{TExample}.Train"/> call over <paramref name="examples"/> whose first step (it
    /// allocates the optimizer state) is left out of the mean step time, read on <see cref="MethodBenchmarkConfig.Clock"/> as each step
    /// reports. One untimed pass per contender comes first and measures memory: with the freed native heap handed back
    /// to the system (<see cref="NativeHeap.ReleaseFreedMemory"/>) and the high-water mark reset, the peak resident memory
    /// of its steps above the resident memory before them (null where unknown). It is also the warm-up (JIT tiering,
    /// first-touch of every batch shape). With <see cref="MethodBenchmarkConfig.KeepFreedMemory"/>, the native heap
    /// returns freed memory at once during that pass and keeps it during the timed rounds. Shared by the decoder/encoder
    /// and the encoder-decoder benchmarks.
    /// </summary>
    internal static (IReadOnlyList<Spread> StepMs, IReadOnlyList<long?> PeakBytes) TimeInterleaved(
        IReadOnlyList<(string Method, Trainer<PromptExample> Trainer)> contenders, IReadOnlyList<PromptExample> examples, MethodBenchmarkConfig config,
        Action<string>? log)
    {
        var (rounds, clock) = (config.Rounds, config.Clock);
        var peaks = new long?[contenders.Count];
        if (config.KeepFreedMemory) NativeHeap.ReturnFreedMemory();
        for (int i = 0; i < contenders.Count; i++)
            peaks[i] = ResidentBytes.PeakAbove(() => contenders[i].Trainer.Train(examples));
        if (config.KeepFreedMemory) NativeHeap.KeepFreedMemory();
        double TimeSteps(int i)
        {
            var stamps = new List<double>();
            contenders[i].Trainer.Train(examples, new SyncProgress(_ => stamps.Add(clock.Milliseconds())));
            // Step 1 allocates the optimizer state; time steps 2..Steps+1.
            return (stamps[^1] - stamps[0]) / (stamps.Count - 1);
        }
        var stepMs = Spread.OfInterleavedRounds(rounds, Enumerable.Range(0, contenders.Count).Select(i => (Func<double>)(() => TimeSteps(i))).ToList(),
            (round, i, ms) => log?.Invoke($"round {round + 1}/{rounds} {contenders[i].Method}: {ms:F1} ms/step"));
        return (stepMs, peaks);
    }

    /// <summary>
    /// The first BatchSize * (Steps + 1) examples of <paramref name="train"/> (every method's steps run on these rows),
    /// at <paramref name="length"/> tokens (<see cref="AtLength"/>); throws when there are fewer.
    /// </summary>
    internal static List<PromptExample> TimedExamples(TaskSplit train, MethodBenchmarkConfig config, TextTokenizer tokenizer, int? length)
    {
        int need = config.BatchSize * (config.Steps + 1);
        if (train.Examples.Count < need)
            throw new ArgumentException($"benchmark: {config.Steps} + 1 steps of batch {config.BatchSize} need {need} examples; '{train.Task.Name}' has {train.Examples.Count}");
        return AtLength(train.Examples.Take(need).ToList(), tokenizer, length);
    }

    /// <summary>Bytes of every file <paramref name="save"/> writes into a fresh temporary folder (deleted afterwards).</summary>
    internal static long SavedBytes(string method, Action<string> save)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"plearn-bench-{method}-{Guid.NewGuid():N}");
        try
        {
            save(dir);
            return new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    /// <summary>
    /// Analytic GFLOP of one training step of the backbone: the forward pass of a transformer layer
    /// costs, per token, 8d² (query, key, value, output projections) + 4·d·d_ff (feed-forward) FLOP in
    /// its weight matrix products and 4·n·d in attention (scores and weighted values over n positions),
    /// 2 FLOP per multiply-add; heads are left out. The backward pass of a weight product computes the
    /// input's gradient and, when the weight is trained, the weight's (one forward's worth each); the
    /// backward pass of attention computes both operands' gradients either way (both are activations).
    /// So a trained backbone (fine-tuning) costs 3x the forward pass, a frozen backbone that still passes
    /// gradients to its input (a soft prompt) 2x the weight products + 3x attention, no prompt (head-only) 1x.
    /// n is the padded length of the method's own batches (input-level virtual tokens included), plus a
    /// key/value prefix's length for attention.
    /// </summary>
    public static double StepGflop(TaskModel model, IReadOnlyList<PromptExample> examples, int batchSize)
    {
        var c = model.Backbone.Config;
        double tokens = 0, attention = 0;
        int batches = 0;
        for (int i = 0; i < examples.Count; i += batchSize, batches++)
        {
            using var b = model.Encode(examples.Skip(i).Take(batchSize).ToList());
            long rows = b.InputIds.shape[0], n = b.InputIds.shape[1], keys = n + (model.Tasks[0].Prompt is PrefixPrompt prefix ? prefix.Length : 0);
            tokens += rows * n;
            attention += rows * n * 4.0 * keys * c.HiddenSize;
        }
        double weights = c.NumHiddenLayers * tokens * (8.0 * c.HiddenSize * c.HiddenSize + 4.0 * c.HiddenSize * c.IntermediateSize) / batches;
        attention *= c.NumHiddenLayers / (double)batches;
        var (weightFactor, attentionFactor) = model.TrainsBackbone ? (3, 3) : model.Tasks.All(t => t.Prompt is null) ? (1, 1) : (2, 3);
        return (weightFactor * weights + attentionFactor * attention) / 1e9;
    }

    /// <summary>Measures this machine's fp32 matmul speed on square matrices of the given sizes (best of a few runs each), timed on <paramref name="clock"/>.</summary>
    public static MatmulPeak MeasureMatmulPeak(IReadOnlyList<int>? sizes = null, int repeats = 5, BenchmarkClock clock = BenchmarkClock.Wall)
    {
        var results = new List<(int, double)>();
        using var _ = no_grad();
        foreach (int n in sizes ?? [128, 256, 512, 1024])
        {
            using var scope = NewDisposeScope();
            var a = randn(n, n);
            var b = randn(n, n);
            matmul(a, b); // warm-up
            int inner = Math.Max(1, (int)(2e8 / (2.0 * n * n * n)));
            double best = 0;
            for (int r = 0; r < repeats; r++)
            {
                double start = clock.Milliseconds();
                for (int k = 0; k < inner; k++) { using var p = matmul(a, b); }
                best = Math.Max(best, inner * 2.0 * n * n * n / ((clock.Milliseconds() - start) / 1000) / 1e9);
            }
            results.Add((n, best));
        }
        return new MatmulPeak(results);
    }

    /// <summary>The examples with each text repeated until it is longer than <paramref name="length"/> tokens (the batch builder then truncates); unchanged for null.</summary>
    public static List<PromptExample> AtLength(List<PromptExample> examples, TextTokenizer tokenizer, int? length)
    {
        if (length is not { } n) return examples;
        return examples.Select(e =>
        {
            var text = e.A;
            while (tokenizer.Encode(text).Count <= n) text += " " + e.A;
            return e with { A = text };
        }).ToList();
    }

    /// <summary>Forward-pass throughput of mixed-task batches against per-task batches and against a single-task batch with the same prefix lengths (see <see cref="MixedTaskThroughput"/>); interleaved rounds.</summary>
    public static MixedTaskThroughput MixedTask(PretrainedModel pretrained, TaskSplit data, int batchSize = 16, int repeats = 5, int rounds = 5)
    {
        TaskModel Make(string name, int length, int seed) => data.Task.Kind == TaskKind.Generation
            ? new PrefixTuningModel(pretrained.Model, pretrained.Tokenizer, data.Task with { Name = name }, new PrefixTuningConfig { Length = length, Seed = seed })
            : new PTuningV2Model(pretrained.Model, pretrained.Tokenizer, data.Task with { Name = name }, new PTuningV2Config { Length = length, Seed = seed });
        using var shortPrefix = Make("first", 10, 42);
        using var longPrefix = Make("second", 20, 7);
        using var longPrefix2 = Make("third", 20, 11);
        using var mixedModel = TaskModel.Combine(shortPrefix, longPrefix);
        using var sameLengths = TaskModel.Combine(longPrefix2, longPrefix);
        mixedModel.eval();
        sameLengths.eval();
        var rows = data.Examples.Take(batchSize).ToList();
        var mixed = rows.Select((e, i) => e with { Task = i % 2 == 0 ? "first" : "second" }).ToList();
        var firstOnly = mixed.Where(e => e.Task == "first").ToList();
        var secondOnly = mixed.Where(e => e.Task == "second").ToList();
        var mixedEqual = rows.Select((e, i) => e with { Task = i % 2 == 0 ? "third" : "second" }).ToList();
        var singleEqual = rows.Select(e => e with { Task = "second" }).ToList();

        var spreads = Spread.OfInterleavedRounds(rounds,
        [
            () => Throughput(mixedModel, repeats, mixed),
            () => Throughput(mixedModel, repeats, firstOnly, secondOnly),
            () => Throughput(sameLengths, repeats, mixedEqual),
            () => Throughput(sameLengths, repeats, singleEqual),
        ]);
        return new MixedTaskThroughput(spreads[0], spreads[1], spreads[2], spreads[3]);
    }

    /// <summary>
    /// Measures <see cref="ServingMemory"/> for <paramref name="tasks"/> tasks on <paramref name="pretrained"/> with
    /// <paramref name="rows"/> rows of <paramref name="data"/>: first the shared backbone with one prompt per task and
    /// one mixed batch, then one fine-tuned copy per task (each answering its share of the rows). Before each setting the
    /// freed C heap is trimmed and glibc set to return freed blocks at once (<see cref="NativeHeap.ReturnFreedMemory"/>),
    /// so the peak counts what the setting itself holds. The prompts and copies are freshly initialised: memory does not
    /// depend on trained values.
    /// </summary>
    public static ServingMemory MeasureServingMemory(PretrainedModel pretrained, TaskSplit data, int tasks = 4, int rows = 16)
    {
        if (tasks < 1 || rows < tasks) throw new ArgumentException($"serving memory: {tasks} tasks need at least as many rows (got {rows})");
        var batch = data.Examples.Take(rows).Select((e, i) => e with { Task = $"task{i % tasks}" }).ToList();
        if (batch.Count < rows) throw new ArgumentException($"serving memory: '{data.Task.Name}' has {batch.Count} examples, {rows} needed");
        NativeHeap.ReturnFreedMemory();
        long? shared = ResidentBytes.PeakAbove(() =>
        {
            var prompts = Enumerable.Range(0, tasks).Select(t => data.Task.Kind == TaskKind.Generation
                ? (TaskModel)new PrefixTuningModel(pretrained.Model, pretrained.Tokenizer, data.Task with { Name = $"task{t}" }, new PrefixTuningConfig { Seed = t })
                : new PTuningV2Model(pretrained.Model, pretrained.Tokenizer, data.Task with { Name = $"task{t}" }, new PTuningV2Config { Seed = t })).ToList();
            using var served = TaskModel.Combine([.. prompts]);
            served.eval();
            using (no_grad())
            using (var encoded = served.Encode(batch))
            using (NewDisposeScope()) served.Forward(encoded);
            foreach (var p in prompts) p.Dispose();
        });
        long? copies = ResidentBytes.PeakAbove(() =>
        {
            var models = Enumerable.Range(0, tasks).Select(t => (TaskModel)new Baselines.FineTuningModel(pretrained.Model, pretrained.Tokenizer,
                data.Task, new Baselines.FineTuningConfig { Seed = t })).ToList();
            using (no_grad())
                for (int t = 0; t < tasks; t++)
                {
                    models[t].eval();
                    using var encoded = models[t].Encode(batch.Where(e => e.Task == $"task{t}").Select(e => e with { Task = null }).ToList());
                    using var scope = NewDisposeScope();
                    models[t].Forward(encoded);
                }
            foreach (var m in models) m.Dispose();
        });
        Spread.Settle();
        long backboneBytes = pretrained.Model.Module.parameters().Sum(p => p.numel() * p.element_size());
        return new ServingMemory(tasks, rows, shared + backboneBytes, copies);
    }

    /// <summary>
    /// Forward-pass throughput (rows per second, no gradients) of running <paramref name="batches"/>
    /// one after another <paramref name="repeats"/> times (after one untimed pass): e.g. one mixed-task
    /// batch, or the same rows as one batch per task.
    /// </summary>
    public static double Throughput(TaskModel model, int repeats, params List<PromptExample>[] batches)
    {
        using var _ = no_grad();
        var encoded = batches.Select(b => model.Encode(b)).ToList();
        try
        {
            foreach (var b in encoded) { using var s = NewDisposeScope(); model.Forward(b); }
            var watch = Stopwatch.StartNew();
            for (int r = 0; r < repeats; r++)
                foreach (var b in encoded) { using var s = NewDisposeScope(); model.Forward(b); }
            return batches.Sum(b => b.Count) * repeats / watch.Elapsed.TotalSeconds;
        }
        finally { foreach (var b in encoded) b.Dispose(); }
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and reorder the time stamps).</summary>
    private sealed class SyncProgress(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
    }
}

/// <summary>
/// How the C heap (glibc malloc, where libtorch's CPU tensors live) gives memory back to the system. By default glibc
/// returns large freed blocks at once (and adapts its thresholds as it goes), so a training step that frees and
/// reallocates tens of megabytes faults those pages in again: measured on this project's 2-core VM, steps with a few
/// thousand page faults took up to twice as long as the same steps without (about 16 µs per fault under load), which
/// made fine-tuning's and prompt tuning's step times wander. Linux with glibc only; elsewhere both calls do nothing.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1, MmapThreshold = -3; // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (malloc.h)

    /// <summary>
    /// Keeps freed memory in the process for reuse instead of returning it to the system (no trimming, no separate
    /// mappings for blocks under 512 MiB): steady step times, at the price of resident memory staying at its peak.
    /// Process-wide and permanent (it also ends glibc's adaptive thresholds), so meant for a process that only
    /// benchmarks (<c>plearn bench</c>). True when both settings took.
    /// </summary>
    public static bool KeepFreedMemory() => Set(int.MaxValue, 512 << 20);

    /// <summary>
    /// The opposite of <see cref="KeepFreedMemory"/>: every block of 128 KiB or more gets its own mapping, unmapped when
    /// freed, and free memory at the top of the heap goes back above 128 KiB (glibc's initial thresholds, held fixed),
    /// so resident memory follows the memory in use (what a peak measurement wants). True when both settings took.
    /// </summary>
    public static bool ReturnFreedMemory() => Set(128 << 10, 128 << 10);

    private static bool Set(int trimThreshold, int mmapThreshold)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return mallopt(TrimThreshold, trimThreshold) == 1 && mallopt(MmapThreshold, mmapThreshold) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>Returns the C heap's free memory to the system now (<c>malloc_trim(0)</c>), e.g. before measuring a peak; true when some was released.</summary>
    public static bool ReleaseFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return malloc_trim(0) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}

/// <summary>The process's resident memory and its high-water mark, from <c>/proc/self</c> (Linux; elsewhere unknown).</summary>
public static class ResidentBytes
{
    /// <summary>Current resident bytes (VmRSS), or 0 when unknown.</summary>
    public static long Current() => Read("VmRSS:") ?? 0;

    /// <summary>Peak resident bytes since the last <see cref="ResetPeak"/> (VmHWM), or null when unknown.</summary>
    public static long? Peak() => Read("VmHWM:");

    /// <summary>
    /// Runs <paramref name="work"/> and returns the peak resident memory it reached above the resident memory before it
    /// (after collecting the .NET heap and trimming the freed C heap); null where the high-water mark cannot be read or reset.
    /// </summary>
    public static long? PeakAbove(Action work)
    {
        Spread.Settle();
        NativeHeap.ReleaseFreedMemory();
        long before = Current();
        bool reset = ResetPeak();
        work();
        return reset && before > 0 && Peak() is { } peak ? peak - before : null;
    }

    /// <summary>Resets the high-water mark to the current resident size (writes 5 to <c>/proc/self/clear_refs</c>); false where that is not possible.</summary>
    public static bool ResetPeak()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static long? Read(string field)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { }
        return null;
    }
}
