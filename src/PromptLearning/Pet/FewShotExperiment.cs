using PromptLearning.Prompts;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Metrics;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using PromptLearning.Training;

namespace PromptLearning.Pet;

/// <summary>The methods a few-shot curve compares.</summary>
public static class FewShotMethods
{
    /// <summary>The PVPs' cloze predictions with no training (one point per PVP).</summary>
    public const string ZeroShot = Prompts.PromptMethods.ZeroShot;
    /// <summary>PET: PVP ensemble distilled into a classifier.</summary>
    public const string Pet = "pet";
    /// <summary>iPET: generations of PVP models, last one distilled.</summary>
    public const string IPet = "ipet";
    /// <summary>Supervised fine-tuning of a sequence classifier (backbone + classification head).</summary>
    public const string FineTune = "finetune";
    /// <summary>All four, in chart order.</summary>
    public static readonly IReadOnlyList<string> All = new[] { ZeroShot, Pet, IPet, FineTune };
}

/// <summary>
/// Settings of a few-shot curve. The defaults are sized for a 2-core laptop with the embedded
/// models (minutes); raise the steps, pool and test sizes, PVPs and generations to approach the
/// paper (250 steps per PVP model, 3 seeds per PVP, pools of 10k+, 3 iPET generations).
/// </summary>
public sealed record FewShotConfig
{
    /// <summary>Labelled training sizes (the shipped few-shot subsets).</summary>
    public IReadOnlyList<int> Sizes { get; init; } = new[] { 10, 32, 100, 1000 };
    /// <summary>Few-shot subset seeds; each size is run once per seed (mean ± std over them).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = new[] { 0, 1, 2 };
    /// <summary>Methods to run (<see cref="FewShotMethods"/>).</summary>
    public IReadOnlyList<string> Methods { get; init; } = FewShotMethods.All;
    /// <summary>Use the first N PVPs of each task (null = all).</summary>
    public int? PvpCount { get; init; } = 2;
    /// <summary>Unlabelled examples used for the auxiliary MLM loss, iPET labelling and distillation.</summary>
    public int PoolSize { get; init; } = 128;
    /// <summary>Test examples scored (the first N of the test file).</summary>
    public int TestSize { get; init; } = 200;
    /// <summary>Max ids per encoded input.</summary>
    public int MaxLength { get; init; } = 96;
    // One PVP model's default training, which the fine-tuning baseline shares: 40 steps of 8 labelled examples (the paper:
    // 250 of 16 for RoBERTa-large), ten passes over 32 examples. With batches of 4 (five passes) rating's PVP models stayed
    // near their patterns' zero-shot on some seeds (PET 30.2% on seeds 0-2 against 33.0% with 8); batches of 16 gave 30.8%.
    private static readonly TrainerConfig PvpSteps = new() { MaxSteps = 40, BatchSize = 8, LearningRate = 1e-4, WarmupRatio = 0.1, EvalEvery = 0, LogEvery = 1000 };

    /// <summary>PET / iPET settings (PVP training, distillation, generations).</summary>
    public PetConfig Pet { get; init; } = new()
    {
        PvpTraining = new PvpTrainingConfig { Trainer = PvpSteps, UnlabelledBatchSize = 4 },
        // A fresh classifier head on the embedded models needs a larger rate than the paper's 1e-5 (at 1e-4 it stays at chance);
        // 80 steps of 16 are 10 passes over the pool (notebook 01 distils for 64 to fit its five minutes).
        Distillation = new TrainerConfig { MaxSteps = 80, BatchSize = 16, LearningRate = 1e-3, WarmupRatio = 0.1, EvalEvery = 0, LogEvery = 1000 },
        Generations = 1,
        ClassifierMaxLength = 96,
        // One model per PVP with training seed 1, as `plearn pet` (--models-per-pvp 1) and notebook 01 number them.
        Seeds = [1],
    };
    /// <summary>Supervised baseline: steps, batch, learning rate (the same steps and batch as one PVP model by default).</summary>
    public TrainerConfig FineTune { get; init; } = PvpSteps;
    /// <summary>Baseline trains only the head (backbone frozen) instead of the whole model.</summary>
    public bool FineTuneHeadOnly { get; init; }
}

/// <summary>
/// One run: a method on one task, training size and subset seed (zero-shot: size 0, seed = PVP index).
/// <see cref="PvpModels"/>: PET's trained PVP models' test accuracies, by PVP index (PET runs only).
/// </summary>
public sealed record FewShotRun(string Task, string Method, int Size, int Seed, double Accuracy, double Seconds, string Detail)
{
    /// <summary>For a PET run, each trained PVP model's test accuracy with the index of its PVP; empty otherwise.</summary>
    public IReadOnlyList<(int Pvp, double Accuracy)> PvpModels { get; init; } = [];
    /// <summary>
    /// For a PET or iPET run, the test accuracy of the ensemble that was distilled (PET: its PVP models; iPET: its
    /// last generation), so that what distillation adds or loses can be told from what the ensemble reached; null otherwise.
    /// </summary>
    public double? EnsembleAccuracy { get; init; }

    /// <summary>
    /// The zero-shot cloze run of PVP <paramref name="pvpIndex"/> (the index into the task's PVP list, stored as the
    /// run's seed): <paramref name="pvp"/>'s accuracy on <paramref name="test"/> with <paramref name="model"/> untrained.
    /// </summary>
    public static FewShotRun ZeroShot(string task, int pvpIndex, Pvp pvp, ILanguageModel model, IReadOnlyList<PromptExample> test, int batchSize = 64)
    {
        var clock = Stopwatch.StartNew();
        double accuracy = pvp.Accuracy(model, test, batchSize);
        return new(task, FewShotMethods.ZeroShot, 0, pvpIndex, accuracy, clock.Elapsed.TotalSeconds, pvp.ToString());
    }

    /// <summary>The PET run of <paramref name="result"/> (<see cref="PetEnsemble.RunPet"/> with a test set and distillation).</summary>
    public static FewShotRun Pet(string task, int size, int seed, PetRunResult result, double seconds) =>
        new(task, FewShotMethods.Pet, size, seed, Tested(result, "PET").DistilledTestAccuracy!.Value, seconds,
            string.Create(CultureInfo.InvariantCulture, $"ensemble {result.EnsembleTestAccuracy:F4}; PVP models {string.Join(" ", result.Models.Select(m => m.TestAccuracy?.ToString("F3", CultureInfo.InvariantCulture)))}"))
        { PvpModels = result.Models.Select(m => (m.PvpIndex, m.TestAccuracy!.Value)).ToList(), EnsembleAccuracy = result.EnsembleTestAccuracy };

    /// <summary>The iPET run of <paramref name="result"/> (<see cref="PetEnsemble.RunIPet"/> with a test set); <paramref name="seconds"/> includes generation 0.</summary>
    public static FewShotRun IPet(string task, int size, int seed, PetRunResult result, double seconds)
    {
        int last = result.Models.Max(m => m.Generation);
        return new(task, FewShotMethods.IPet, size, seed, Tested(result, "iPET").DistilledTestAccuracy!.Value, seconds,
            string.Create(CultureInfo.InvariantCulture, $"ensemble {result.EnsembleTestAccuracy:F4}; last generation {last} train sizes {string.Join(" ", result.Models.Where(m => m.Generation == last).Select(m => m.TrainSize))}"))
        { EnsembleAccuracy = result.EnsembleTestAccuracy };
    }

    private static PetRunResult Tested(PetRunResult result, string method) =>
        result.DistilledTestAccuracy is null || result.Models.Any(m => m.TestAccuracy is null)
            ? throw new ArgumentException($"{method} run: it has no test accuracies (run it with a test set and distillation)", nameof(result))
            : result;
}

/// <summary>One point of a curve: mean and sample standard deviation of the runs' accuracies.</summary>
public sealed record FewShotPoint(string Task, string Method, int Size, double Mean, double Std, int Runs);

/// <summary>The result of a few-shot experiment: all runs and the aggregated curve points.</summary>
public sealed class FewShotResult
{
    /// <summary>Every run, in the order run.</summary>
    public IReadOnlyList<FewShotRun> Runs { get; }
    /// <summary>Mean ± std per task, method and size.</summary>
    public IReadOnlyList<FewShotPoint> Points { get; }
    /// <summary>The model the curves were measured on.</summary>
    public string Model { get; }
    /// <summary>The settings used.</summary>
    public FewShotConfig Config { get; }

    public FewShotResult(string model, FewShotConfig config, IReadOnlyList<FewShotRun> runs)
    {
        Model = model;
        Config = config;
        Runs = runs;
        Points = runs.GroupBy(r => (r.Task, r.Method, r.Size))
            .Select(g =>
            {
                var stats = MeanStd.Of(g.Select(r => r.Accuracy).ToList());
                return new FewShotPoint(g.Key.Task, g.Key.Method, g.Key.Size, stats.Mean, stats.Std, g.Count());
            }).ToList();
    }

    /// <summary>A plain-text table: one row per task and method, one column per size (<c>mean ± std</c>).</summary>
    public string ToTable()
    {
        var ci = CultureInfo.InvariantCulture;
        var sizes = Points.Select(p => p.Size).Where(s => s > 0).Distinct().OrderBy(s => s).ToList();
        if (sizes.Count == 0) sizes.Add(0); // zero-shot only
        var sb = new StringBuilder();
        sb.Append("task        method     ").Append(string.Concat(sizes.Select(s => $"{(s == 0 ? "no training" : "n=" + s),-16}"))).AppendLine();
        foreach (var g in Points.GroupBy(p => (p.Task, p.Method)))
        {
            sb.Append($"{g.Key.Task,-12}{g.Key.Method,-11}");
            foreach (var s in sizes)
            {
                var p = g.FirstOrDefault(x => x.Size == s) ?? (g.Key.Method == FewShotMethods.ZeroShot ? g.FirstOrDefault() : null);
                sb.Append(p is null ? $"{"-",-16}" : string.Create(ci, $"{$"{p.Mean:F3} ± {p.Std:F3}",-16}"));
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>JSON with the model, the settings, the points and the runs.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        model = Model,
        config = new
        {
            sizes = Config.Sizes, seeds = Config.Seeds, methods = Config.Methods, pvp_count = Config.PvpCount,
            pool_size = Config.PoolSize, test_size = Config.TestSize, max_length = Config.MaxLength,
            pvp_steps = Config.Pet.PvpTraining.Trainer.MaxSteps, pvp_lr = Config.Pet.PvpTraining.Trainer.LearningRate,
            pvp_batch = Config.Pet.PvpTraining.Trainer.BatchSize, unlabelled_batch = Config.Pet.PvpTraining.UnlabelledBatchSize,
            alpha = Config.Pet.PvpTraining.Alpha, models_per_pvp = Config.Pet.Seeds.Count,
            distill_steps = Config.Pet.Distillation.MaxSteps, temperature = Config.Pet.Temperature,
            ipet_generations = Config.Pet.Generations, growth_factor = Config.Pet.GrowthFactor,
            finetune_steps = Config.FineTune.MaxSteps, finetune_lr = Config.FineTune.LearningRate, finetune_head_only = Config.FineTuneHeadOnly,
        },
        points = Points.Select(p => new { task = p.Task, method = p.Method, size = p.Size, mean = p.Mean, std = p.Std, runs = p.Runs }),
        runs = Runs.Select(r => new { task = r.Task, method = r.Method, size = r.Size, seed = r.Seed, accuracy = r.Accuracy, seconds = r.Seconds, detail = r.Detail }),
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>CSV of the curve points (<c>task,method,size,mean,std,runs</c>).</summary>
    public string ToPointsCsv() => "task,method,size,mean,std,runs\n" + string.Concat(Points.Select(p =>
        string.Create(CultureInfo.InvariantCulture, $"{p.Task},{p.Method},{p.Size},{p.Mean:F4},{p.Std:F4},{p.Runs}\n")));

    /// <summary>CSV of every run (<c>task,method,size,seed,accuracy,seconds</c>).</summary>
    public string ToRunsCsv() => "task,method,size,seed,accuracy,seconds\n" + string.Concat(Runs.Select(r =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Task},{r.Method},{r.Size},{r.Seed},{r.Accuracy:F4},{r.Seconds:F1}\n")));

    /// <summary>Writes <c>pet-results.json</c>, <c>pet-curves.csv</c> and <c>pet-runs.csv</c> into <paramref name="folder"/> (atomically).</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new[] { ("pet-results.json", ToJson()), ("pet-curves.csv", ToPointsCsv()), ("pet-runs.csv", ToRunsCsv()) };
        foreach (var (name, text) in files) AtomicFile.WriteText(Path.Combine(folder, name), text);
        return files.Select(f => Path.Combine(folder, f.Item1)).ToList();
    }
}

/// <summary>
/// Few-shot curves as in the PET paper's tables: for each task, training size and few-shot subset
/// seed, zero-shot cloze (once per PVP), PET, iPET (starting from PET's models) and supervised
/// fine-tuning of a classifier, all on copies of one pretrained masked LM.
/// </summary>
public static class FewShotExperiment
{
    /// <summary>
    /// Runs the curves. <paramref name="loadModel"/> returns a fresh copy of the pretrained MLM each
    /// call (every PVP model and classifier starts from it); <paramref name="log"/> gets progress lines.
    /// <paramref name="measured"/>: runs already made with this configuration on the same test slice and subsets
    /// (e.g. a notebook's walk-through of one subset, built with <see cref="FewShotRun.ZeroShot"/>,
    /// <see cref="FewShotRun.Pet"/> and <see cref="FewShotRun.IPet"/>); where they hold every PVP-based method asked
    /// for on a (task, size, seed), the experiment takes them instead of training that ensemble again, and where
    /// they hold a zero-shot run for each of the task's PVPs, it takes those instead of scoring the cloze again.
    /// Scoring and training are deterministic, so this changes the time, not the numbers.
    /// </summary>
    public static FewShotResult Run(string modelName, Func<ILanguageModel> loadModel, TextTokenizer tokenizer, IReadOnlyList<PetTask> tasks,
        FewShotConfig config, TextWriter? log = null, string? dataRoot = null, IReadOnlyList<FewShotRun>? measured = null)
    {
        foreach (var m in config.Methods)
            if (!FewShotMethods.All.Contains(m)) throw new ArgumentException($"unknown method '{m}' (known: {string.Join(", ", FewShotMethods.All)})");
        measured ??= [];
        var runs = new List<FewShotRun>();
        var ci = CultureInfo.InvariantCulture;
        foreach (var task in tasks)
        {
            var pvps = task.BuildPvps(tokenizer, config.MaxLength, config.PvpCount);
            var test = task.Read(task.TestFile, dataRoot).Take(config.TestSize).ToList();
            var pool = task.Read(task.UnlabelledFile, dataRoot).Take(config.PoolSize).Select(e => e with { Label = -1 }).ToList();
            log?.WriteLine($"== {task.Name}: {pvps.Count} PVPs, test {test.Count}, pool {pool.Count}");

            if (config.Methods.Contains(FewShotMethods.ZeroShot))
            {
                // Zero-shot runs measured before count when every PVP has one (same index and PVP).
                var known = pvps.Select((p, i) => measured.FirstOrDefault(r => r.Task == task.Name && r.Method == FewShotMethods.ZeroShot
                    && r.Seed == i && r.Detail == p.ToString())).ToList();
                bool reuse = known.All(r => r is not null);
                using var model = reuse ? null : loadModel();
                for (int p = 0; p < pvps.Count; p++)
                {
                    var run = reuse ? known[p]! : FewShotRun.ZeroShot(task.Name, p, pvps[p], model!, test, config.Pet.EvalBatchSize);
                    runs.Add(run);
                    log?.WriteLine(string.Create(ci, $"  zero-shot | {pvps[p]} | acc {run.Accuracy:F4}{(reuse ? " (measured before, reused)" : "")}"));
                }
            }

            foreach (var size in config.Sizes)
                foreach (var seed in config.Seeds)
                {
                    var train = task.FewShot(size, seed, dataRoot);
                    log?.WriteLine($"-- {task.Name} n={size} seed={seed}");
                    bool pet = config.Methods.Contains(FewShotMethods.Pet), ipet = config.Methods.Contains(FewShotMethods.IPet);
                    var reused = measured.Where(r => r.Task == task.Name && r.Size == size && r.Seed == seed
                        && (pet && r.Method == FewShotMethods.Pet || ipet && r.Method == FewShotMethods.IPet)).ToList();
                    if ((pet || ipet) && reused.Count == (pet ? 1 : 0) + (ipet ? 1 : 0))
                    {
                        runs.AddRange(reused);
                        log?.WriteLine($"  {string.Join(" and ", reused.Select(r => r.Method))}: measured before, reused");
                    }
                    else if (pet || ipet)
                    {
                        var petConfig = config.Pet with { Seeds = config.Pet.Seeds.Select(s => s + 1000 * seed).ToList() };
                        var ensemble = new PetEnsemble(loadModel, pvps, petConfig, log);
                        var clock = Stopwatch.StartNew();
                        using var petResult = ensemble.RunPet(train, pool, test, distill: pet);
                        if (pet)
                            runs.Add(FewShotRun.Pet(task.Name, size, seed, petResult, clock.Elapsed.TotalSeconds));
                        if (ipet)
                        {
                            using var ipetResult = ensemble.RunIPet(train, pool, test, petResult.Models);
                            runs.Add(FewShotRun.IPet(task.Name, size, seed, ipetResult, clock.Elapsed.TotalSeconds)); // includes generation 0 (shared with PET)
                        }
                    }
                    if (config.Methods.Contains(FewShotMethods.FineTune))
                    {
                        var clock = Stopwatch.StartNew();
                        using var classifier = new SequenceClassifier(loadModel(), task.Labels.Count, seed: 7 + seed);
                        var ftConfig = config.FineTune with { Seed = config.FineTune.Seed + 1000 * seed };
                        var trained = ClassifierTraining.FineTune(classifier, tokenizer, train, ftConfig, config.MaxLength, config.FineTuneHeadOnly);
                        var acc = Pvp.AccuracyOf(classifier.Predict(tokenizer, test, config.MaxLength, config.Pet.EvalBatchSize), test);
                        runs.Add(new FewShotRun(task.Name, FewShotMethods.FineTune, size, seed, acc, clock.Elapsed.TotalSeconds,
                            string.Create(ci, $"final loss {trained.StepLosses.TakeLast(10).Average():F4}")));
                        log?.WriteLine(string.Create(ci, $"  finetune | acc {acc:F4} | {clock.Elapsed.TotalSeconds:F1}s"));
                    }
                    foreach (var r in runs.Where(r => r.Task == task.Name && r.Size == size && r.Seed == seed))
                        log?.WriteLine(string.Create(ci, $"  => {r.Method,-9} acc {r.Accuracy:F4} ({r.Seconds:F1}s)"));
                }
        }
        return new FewShotResult(modelName, config, runs);
    }
}
