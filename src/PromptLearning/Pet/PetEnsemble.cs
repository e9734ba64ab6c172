using PromptLearning.Prompts;
using System.Diagnostics;
using PromptLearning.Models;
using PromptLearning.Training;

namespace PromptLearning.Pet;

/// <summary>Settings of a PET / iPET run (defaults: the paper's, except the sizes, which the caller scales).</summary>
public sealed record PetConfig
{
    /// <summary>How each PVP model is trained (steps, batch, lr, alpha, auxiliary MLM batch).</summary>
    public PvpTrainingConfig PvpTraining { get; init; } = new();
    /// <summary>One model per PVP and seed (the paper: 3 seeds per PVP).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = new[] { 42 };
    /// <summary>Distillation of the ensemble into the final classifier (steps over the unlabelled pool).</summary>
    public TrainerConfig Distillation { get; init; } = new() { MaxSteps = 500, BatchSize = 16, LearningRate = 1e-5, EvalEvery = 0, LogEvery = 100 };
    /// <summary>Distillation temperature T (paper: 2).</summary>
    public double Temperature { get; init; } = PetLoss.DefaultTemperature;
    /// <summary>Weight each model's logits by its PVP's accuracy on the gold labelled set before training (paper; in iPET too, never the grown set); false = uniform.</summary>
    public bool WeightByTrainAccuracy { get; init; } = true;
    /// <summary>Max ids for the final classifier's plain inputs.</summary>
    public int ClassifierMaxLength { get; init; } = 128;
    /// <summary>Batch size for predictions.</summary>
    public int EvalBatchSize { get; init; } = 64;
    /// <summary>iPET: generations after the first (PET) one.</summary>
    public int Generations { get; init; } = 3;
    /// <summary>iPET: growth factor d; generation j trains on |T| · d^j examples (paper: 5).</summary>
    public double GrowthFactor { get; init; } = 5;
    /// <summary>iPET: share λ of the other models of the previous generation that label a model's new data (paper: 0.25); see <see cref="PetEnsemble.LabellerCount"/>.</summary>
    public double OtherModelsShare { get; init; } = 0.25;
}

/// <summary>One trained PVP model, kept as its outputs (the model itself is disposed after use).</summary>
/// <param name="Generation">0 = PET; 1.. = iPET generations.</param>
/// <param name="PvpIndex">Index into the PVP list.</param>
/// <param name="Pvp">The PVP's name.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="TrainSize">Examples it was trained on (iPET: gold + ensemble-labelled).</param>
/// <param name="Weight">Its ensemble weight: accuracy on the gold labelled set before training (or 1).</param>
/// <param name="TestAccuracy">Accuracy on the test set after training (null without a test set).</param>
/// <param name="UnlabelledLogits">Label scores on the unlabelled pool, [N, C].</param>
/// <param name="TestLogits">Label scores on the test set, [M, C] (null without a test set).</param>
/// <param name="Training">The trainer's report.</param>
public sealed record PvpModelResult(int Generation, int PvpIndex, string Pvp, int Seed, int TrainSize, double Weight,
    double? TestAccuracy, float[,] UnlabelledLogits, float[,]? TestLogits, TrainResult Training);

/// <summary>What a PET or iPET run produced.</summary>
/// <param name="Models">Every trained PVP model (all generations).</param>
/// <param name="TeacherLogits">The final ensemble's weighted logits on the unlabelled pool.</param>
/// <param name="SoftLabels">softmax(TeacherLogits / T): the targets the classifier was distilled on.</param>
/// <param name="EnsembleTestAccuracy">The final ensemble's test accuracy (null without a test set).</param>
/// <param name="DistilledTestAccuracy">The distilled classifier's test accuracy (null without a test set or classifier).</param>
/// <param name="Classifier">The distilled classifier (null when distillation was skipped); dispose it.</param>
public sealed record PetRunResult(IReadOnlyList<PvpModelResult> Models, float[,] TeacherLogits, float[,] SoftLabels,
    double? EnsembleTestAccuracy, double? DistilledTestAccuracy, SequenceClassifier? Classifier) : IDisposable
{
    public void Dispose() => Classifier?.Dispose();
}

/// <summary>
/// PET and iPET (Schick &amp; Schütze, EACL 2021). PET: one masked LM per PVP and seed is fine-tuned
/// on the labelled set (<see cref="PvpTrainer"/>); their scores on the unlabelled pool, weighted by
/// each PVP's training-set accuracy before training, form soft labels; a
/// <see cref="SequenceClassifier"/> is distilled on them with temperature T. iPET: generations of
/// models; model i of generation j is trained from the pretrained LM on the gold set plus
/// <c>|T|·d^j − |T|</c> pool examples labelled by a random λ-share of the previous generation's other
/// models (kept in the gold label ratio, drawn in proportion to the ensemble's confidence); the last
/// generation is distilled. A fresh model comes from <c>loadModel</c> for every PVP model and is
/// disposed as soon as its scores are taken, so only one backbone copy lives at a time.
/// </summary>
public sealed class PetEnsemble
{
    private readonly Func<ILanguageModel> _loadModel;
    private readonly IReadOnlyList<Pvp> _pvps;
    private readonly PetConfig _config;
    private readonly TextWriter? _log;

    /// <summary>
    /// <paramref name="loadModel"/> returns a fresh copy of the pretrained masked LM each call;
    /// <paramref name="pvps"/> share one tokenizer and label set; <paramref name="log"/> gets one line per model.
    /// </summary>
    public PetEnsemble(Func<ILanguageModel> loadModel, IReadOnlyList<Pvp> pvps, PetConfig config, TextWriter? log = null)
    {
        if (pvps.Count == 0) throw new ArgumentException("PET needs at least one PVP", nameof(pvps));
        if (pvps.Select(p => p.NumLabels).Distinct().Count() != 1) throw new ArgumentException("all PVPs must have the same number of labels", nameof(pvps));
        if (pvps.Select(p => p.Tokenizer).Distinct().Count() != 1) throw new ArgumentException("all PVPs must share one tokenizer", nameof(pvps));
        if (config.Seeds.Count == 0) throw new ArgumentException("PetConfig.Seeds is empty", nameof(config));
        _loadModel = loadModel;
        _pvps = pvps;
        _config = config;
        _log = log;
    }

    /// <summary>Number of labels.</summary>
    public int NumLabels => _pvps[0].NumLabels;

    /// <summary>
    /// Trains one model of <paramref name="generation"/> for PVP <paramref name="pvpIndex"/> and
    /// <paramref name="seed"/> on <paramref name="train"/> and keeps its scores. Its weight is the
    /// untrained model's accuracy on <paramref name="gold"/> (PET's <c>train_set_before_training</c>):
    /// the gold labelled set, which iPET's grown <paramref name="train"/> contains; null = <paramref name="train"/>.
    /// </summary>
    public PvpModelResult TrainModel(int generation, int pvpIndex, int seed, IReadOnlyList<PromptExample> train,
        IReadOnlyList<PromptExample> unlabelled, IReadOnlyList<PromptExample>? test, IReadOnlyList<PromptExample>? gold = null)
    {
        var pvp = _pvps[pvpIndex];
        var clock = Stopwatch.StartNew();
        using var model = _loadModel();
        double weight = _config.WeightByTrainAccuracy ? pvp.Accuracy(model, gold ?? train, _config.EvalBatchSize) : 1.0;
        var cfg = _config.PvpTraining with { Trainer = _config.PvpTraining.Trainer with { Seed = seed } };
        var training = PvpTrainer.Train(model, pvp, train, unlabelled, cfg);
        var unlabelledLogits = pvp.Predict(model, unlabelled, _config.EvalBatchSize);
        float[,]? testLogits = test is { Count: > 0 } ? pvp.Predict(model, test, _config.EvalBatchSize) : null;
        double? testAcc = testLogits is null ? null : Pvp.AccuracyOf(testLogits, test!);
        _log?.WriteLine($"  gen {generation} | {pvp.Name} | seed {seed} | train {train.Count} | weight {weight:F3} | loss {training.StepLosses.TakeLast(10).DefaultIfEmpty().Average():F4}" +
                        (testAcc is { } a ? $" | test acc {a:F4}" : "") + $" | {clock.Elapsed.TotalSeconds:F1}s");
        return new PvpModelResult(generation, pvpIndex, pvp.Name, seed, train.Count, weight, testAcc, unlabelledLogits, testLogits, training);
    }

    /// <summary>Trains one model per PVP and seed on the gold set: PET's first stage (iPET's generation 0).</summary>
    public IReadOnlyList<PvpModelResult> TrainFirstGeneration(IReadOnlyList<PromptExample> train, IReadOnlyList<PromptExample> unlabelled, IReadOnlyList<PromptExample>? test)
    {
        var models = new List<PvpModelResult>();
        for (int p = 0; p < _pvps.Count; p++)
            foreach (var seed in _config.Seeds)
                models.Add(TrainModel(0, p, seed, train, unlabelled, test));
        return models;
    }

    /// <summary>PET: train the PVP models, merge their scores, distil (unless <paramref name="distill"/> is false).</summary>
    public PetRunResult RunPet(IReadOnlyList<PromptExample> train, IReadOnlyList<PromptExample> unlabelled, IReadOnlyList<PromptExample>? test, bool distill = true)
        => Finish(TrainFirstGeneration(train, unlabelled, test), unlabelled, test, distill);

    /// <summary>
    /// iPET: starts from <paramref name="firstGeneration"/> (e.g. the models of a PET run on the same
    /// data; trained here when null), runs <see cref="PetConfig.Generations"/> more generations, distils the last.
    /// </summary>
    public PetRunResult RunIPet(IReadOnlyList<PromptExample> train, IReadOnlyList<PromptExample> unlabelled, IReadOnlyList<PromptExample>? test,
        IReadOnlyList<PvpModelResult>? firstGeneration = null, bool distill = true)
    {
        var all = new List<PvpModelResult>(firstGeneration ?? TrainFirstGeneration(train, unlabelled, test));
        var previous = all.Where(m => m.Generation == 0).ToList();
        var rng = new Random(_config.Seeds[0] * 104729 + 3);
        for (int gen = 1; gen <= _config.Generations; gen++)
        {
            int target = (int)Math.Min(train.Count * Math.Pow(_config.GrowthFactor, gen), train.Count + unlabelled.Count);
            var current = new List<PvpModelResult>();
            for (int i = 0; i < previous.Count; i++)
            {
                var others = previous.Where((_, j) => j != i).ToList();
                if (others.Count == 0) others = previous.ToList();
                var labellers = others.OrderBy(_ => rng.Next()).Take(LabellerCount(others.Count, _config.OtherModelsShare)).ToList();
                var logits = EnsembleLogits(labellers.Select(m => (m.UnlabelledLogits, m.Weight)).ToList());
                var grown = GrowTrainingSet(train, unlabelled, logits, target, rng);
                var m = previous[i];
                current.Add(TrainModel(gen, m.PvpIndex, m.Seed, grown, unlabelled, test, gold: train));
            }
            all.AddRange(current);
            previous = current;
        }
        return Finish(all, unlabelled, test, distill);
    }

    private PetRunResult Finish(IReadOnlyList<PvpModelResult> all, IReadOnlyList<PromptExample> unlabelled,
        IReadOnlyList<PromptExample>? test, bool distill)
    {
        int lastGen = all.Max(m => m.Generation);
        var final = all.Where(m => m.Generation == lastGen).ToList();
        var teacher = EnsembleLogits(final.Select(m => (m.UnlabelledLogits, m.Weight)).ToList());
        var soft = PetLoss.SoftLabels(teacher, _config.Temperature);
        double? ensembleAcc = null;
        if (test is { Count: > 0 })
            ensembleAcc = Pvp.AccuracyOf(EnsembleLogits(final.Select(m => (m.TestLogits!, m.Weight)).ToList()), test);
        if (!distill) return new PetRunResult(all, teacher, soft, ensembleAcc, null, null);

        var clock = Stopwatch.StartNew();
        var tokenizer = _pvps[0].Tokenizer;
        var classifier = new SequenceClassifier(_loadModel(), NumLabels, _config.Distillation.Seed);
        try
        {
            var result = ClassifierTraining.Distill(classifier, tokenizer, unlabelled, teacher, _config.Distillation, _config.ClassifierMaxLength, _config.Temperature);
            double? acc = test is { Count: > 0 }
                ? Pvp.AccuracyOf(classifier.Predict(tokenizer, test, _config.ClassifierMaxLength, _config.EvalBatchSize), test)
                : null;
            _log?.WriteLine($"  distilled {final.Count} gen-{lastGen} models into a classifier on {unlabelled.Count} unlabelled examples | final loss {result.StepLosses.TakeLast(10).DefaultIfEmpty().Average():F4}" +
                            (acc is { } a ? $" | test acc {a:F4}" : "") + (ensembleAcc is { } e ? $" (ensemble {e:F4})" : "") + $" | {clock.Elapsed.TotalSeconds:F1}s");
            return new PetRunResult(all, teacher, soft, ensembleAcc, acc, classifier);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>
    /// How many of <paramref name="others"/> previous-generation models label a new model's data: PET's
    /// <c>max(round(others · λ), 1)</c>, with Python's round (halves to even), e.g. 11 others at λ = 0.25 → 3.
    /// </summary>
    public static int LabellerCount(int others, double share) =>
        Math.Max(1, (int)Math.Round(others * share, MidpointRounding.ToEven));

    /// <summary>
    /// Weighted average of several models' logits (PET's merge): <c>Σ w_i z_i / Σ w_i</c>. When all
    /// weights are 0 the models count equally.
    /// </summary>
    public static float[,] EnsembleLogits(IReadOnlyList<(float[,] Logits, double Weight)> models)
    {
        if (models.Count == 0) throw new ArgumentException("no models to merge", nameof(models));
        int n = models[0].Logits.GetLength(0), c = models[0].Logits.GetLength(1);
        if (models.Any(m => m.Logits.GetLength(0) != n || m.Logits.GetLength(1) != c))
            throw new ArgumentException("models' logits differ in shape", nameof(models));
        if (models.Any(m => m.Weight < 0 || double.IsNaN(m.Weight))) throw new ArgumentException("model weights must be >= 0", nameof(models));
        double total = models.Sum(m => m.Weight);
        var weights = models.Select(m => total > 0 ? m.Weight / total : 1.0 / models.Count).ToArray();
        var r = new float[n, c];
        for (int k = 0; k < models.Count; k++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++) r[i, j] += (float)(weights[k] * models[k].Logits[i, j]);
        return r;
    }

    /// <summary>
    /// iPET's new training set: the gold <paramref name="train"/> plus <c>targetSize − |train|</c>
    /// pool examples labelled with the ensemble's argmax, per label in the gold set's label ratio,
    /// each label's examples drawn without replacement with probability proportional to the
    /// ensemble's probability for that label. As in PET's <c>generate_ipet_train_set</c>, when the ensemble
    /// predicts a label for fewer pool examples than its quota, those examples are repeated until they cover
    /// it, so the new set keeps the gold ratio (an example may then appear more than once); a label the
    /// ensemble never predicts gets none.
    /// </summary>
    public static IReadOnlyList<PromptExample> GrowTrainingSet(IReadOnlyList<PromptExample> train, IReadOnlyList<PromptExample> unlabelled,
        float[,] ensembleLogits, int targetSize, Random rng)
    {
        int c = ensembleLogits.GetLength(1);
        int newCount = Math.Max(0, targetSize - train.Count);
        var result = new List<PromptExample>(train);
        if (newCount == 0) return result;
        var probs = PetLoss.SoftLabels(ensembleLogits, 1.0);
        var pred = Pvp.Argmax(ensembleLogits);
        var goldCounts = new int[c];
        foreach (var e in train) if (e.Label >= 0) goldCounts[e.Label]++;
        int goldTotal = goldCounts.Sum();
        // Per-label quotas in the gold ratio (largest remainders get the leftovers).
        var exact = Enumerable.Range(0, c).Select(l => goldTotal > 0 ? newCount * goldCounts[l] / (double)goldTotal : newCount / (double)c).ToArray();
        var quota = exact.Select(x => (int)Math.Floor(x)).ToArray();
        foreach (var l in Enumerable.Range(0, c).OrderByDescending(l => exact[l] - quota[l]).Take(newCount - quota.Sum())) quota[l]++;
        for (int label = 0; label < c; label++)
        {
            var predicted = Enumerable.Range(0, unlabelled.Count).Where(i => pred[i] == label).ToList();
            var candidates = new List<int>(predicted);
            while (predicted.Count > 0 && candidates.Count < quota[label]) candidates.AddRange(predicted);
            var weights = candidates.Select(i => (double)probs[i, label]).ToList();
            for (int k = 0; k < quota[label] && candidates.Count > 0; k++)
            {
                double u = rng.NextDouble() * weights.Sum(), acc = 0;
                int pick = candidates.Count - 1;
                for (int j = 0; j < candidates.Count; j++) { acc += weights[j]; if (u < acc) { pick = j; break; } }
                result.Add(unlabelled[candidates[pick]] with { Label = label });
                candidates.RemoveAt(pick); weights.RemoveAt(pick);
            }
        }
        return result;
    }
}
