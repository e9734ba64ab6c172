using PromptLearning.Prompts;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Training;
using TorchSharp;

namespace PromptLearning.Tests.Pet;

public class PetEnsembleTests
{
    public PetEnsembleTests() => TorchSharpNative.EnsureLoaded();

    private static readonly string[] Subjects = { "the food", "the service", "it" };
    private static readonly string[] Positive = { "great", "good" };
    private static readonly string[] Negative = { "bad", "cold", "slow" };

    /// <summary>Tiny sentiment data: "subject was [very] word." labelled by the word.</summary>
    private static List<PromptExample> Data(int seed, int n)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            int label = rng.Next(2);
            var words = label == 1 ? Positive : Negative;
            var text = $"{Subjects[rng.Next(Subjects.Length)]} was {(rng.Next(2) == 0 ? "very " : "")}{words[rng.Next(words.Length)]}.";
            return Ex.Single(text, label);
        }).ToList();
    }

    [Fact]
    public void EnsembleLogitsAreAccuracyWeightedAverages()
    {
        var a = new float[,] { { 1, 0 }, { 0, 2 } };
        var b = new float[,] { { 3, 1 }, { 1, 0 } };
        var m = PetEnsemble.EnsembleLogits(new[] { (a, 0.75), (b, 0.25) });
        Assert.Equal(0.75 * 1 + 0.25 * 3, m[0, 0], 5);
        Assert.Equal(0.75 * 2 + 0.25 * 0, m[1, 1], 5);
        var uniform = PetEnsemble.EnsembleLogits(new[] { (a, 0.0), (b, 0.0) });
        Assert.Equal(2.0, uniform[0, 0], 5);
    }

    [Theory]
    [InlineData(11, 3)]   // 2.75: PET rounds, flooring would give 2
    [InlineData(3, 1)]    // 0.75
    [InlineData(2, 1)]    // 0.5 rounds to even (0), at least one model labels
    [InlineData(10, 2)]   // 2.5 rounds to even
    [InlineData(14, 4)]   // 3.5 rounds to even
    public void LabellerCountRoundsAsPet(int others, int expected) =>
        Assert.Equal(expected, PetEnsemble.LabellerCount(others, 0.25));

    [Fact]
    public void IPetWeighsEachModelOnTheGoldSetNotTheGrownOne()
    {
        var tok = PatternTests.Bert();
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("negative", "bad"), ("positive", "great")), tok, 32);
        ILanguageModel Fresh() => new TinyLm(tok.VocabSize, 16, contextual: true, seed: 7, dropout: 0);
        var texts = Data(4, 40).Select(e => e with { Label = -1 }).ToList();
        int[] freshPred;
        using (var fresh = Fresh()) freshPred = Pvp.Argmax(pvp.Predict(fresh, texts, 64));
        // Gold: half agree with the untrained model, half not (accuracy 0.5). The previous generation
        // labels the pool against the untrained model, so every added example lowers its accuracy.
        var gold = texts.Take(8).Select((e, i) => e with { Label = i % 2 == 0 ? freshPred[i] : 1 - freshPred[i] }).ToList();
        var pool = texts.Skip(8).ToList();
        var against = new float[pool.Count, 2];
        for (int i = 0; i < pool.Count; i++) against[i, 1 - freshPred[8 + i]] = 3f;
        var empty = new TrainResult(0, false, 0, 0, false, Array.Empty<double>(), Array.Empty<TrainerProgress>(), TimeSpan.Zero);
        var previous = new[] { 1, 2 }.Select(seed => new PvpModelResult(0, 0, pvp.Name, seed, gold.Count, 0.5, null, against, null, empty)).ToList();
        var config = new PetConfig
        {
            PvpTraining = new PvpTrainingConfig { Trainer = new TrainerConfig { MaxSteps = 1, BatchSize = 4, LearningRate = 1e-9, EvalEvery = 0, LogEvery = 1000 }, UnlabelledBatchSize = 0 },
            Seeds = new[] { 1, 2 }, Generations = 1, GrowthFactor = 4,
        };
        using var ipet = new PetEnsemble(Fresh, new[] { pvp }, config).RunIPet(gold, pool, null, previous, distill: false);
        var gen1 = ipet.Models.Where(m => m.Generation == 1).ToList();
        Assert.All(gen1, m => Assert.True(m.TrainSize > gold.Count, $"generation 1 trained on {m.TrainSize} examples"));
        Assert.All(gen1, m => Assert.Equal(0.5, m.Weight, 6));
    }

    [Fact]
    public void DistillationReproducesTheTeachersSoftLabels()
    {
        var tok = PatternTests.Bert();
        var pool = Data(5, 40).Select(e => e with { Label = -1 }).DistinctBy(e => e.A).Take(8).ToList();
        // Two "PVP models" with different opinions, merged by weight, are the teacher.
        var rng = new Random(9);
        float[,] Random2() { var r = new float[pool.Count, 2]; for (int i = 0; i < pool.Count; i++) for (int j = 0; j < 2; j++) r[i, j] = (float)(rng.NextDouble() * 4 - 2); return r; }
        var teacher = PetEnsemble.EnsembleLogits(new[] { (Random2(), 0.9), (Random2(), 0.6) });
        var soft = PetLoss.SoftLabels(teacher, 2.0);

        using var student = new SequenceClassifier(new TinyLm(tok.VocabSize, 16, contextual: true, seed: 2, dropout: 0), 2, seed: 1);
        var cfg = new TrainerConfig { MaxSteps = 300, BatchSize = pool.Count, LearningRate = 3e-2, EvalEvery = 0, LogEvery = 1000, Seed = 1 };
        var result = ClassifierTraining.Distill(student, tok, pool, teacher, cfg, maxLength: 32, temperature: 2.0);
        Assert.True(result.StepLosses[^1] < result.StepLosses[0] / 20, $"distillation loss {result.StepLosses[0]} -> {result.StepLosses[^1]}");

        var got = PetLoss.SoftLabels(student.Predict(tok, pool, 32), 2.0);
        for (int i = 0; i < pool.Count; i++)
            Assert.True(Math.Abs(got[i, 1] - soft[i, 1]) < 0.02, $"example {i}: student {got[i, 1]:F3} vs teacher {soft[i, 1]:F3}");
    }

    [Fact]
    public void GrowTrainingSetKeepsGoldRatioAndUsesEnsembleLabels()
    {
        var train = Data(1, 10);
        var pool = Data(2, 60).Select(e => e with { Label = -1 }).ToList();
        var logits = new float[pool.Count, 2];
        for (int i = 0; i < pool.Count; i++) logits[i, i % 2 == 0 ? 1 : 0] = 2f;  // 30 positive, 30 negative
        var grown = PetEnsemble.GrowTrainingSet(train, pool, logits, 50, new Random(4));
        Assert.Equal(50, grown.Count);
        Assert.Equal(train, grown.Take(10));
        var added = grown.Skip(10).ToList();
        int goldPos = train.Count(e => e.Label == 1);
        Assert.InRange(added.Count(e => e.Label == 1), (int)Math.Floor(40.0 * goldPos / 10), (int)Math.Ceiling(40.0 * goldPos / 10));
        foreach (var e in added) Assert.Equal(e.Label, pool.FindIndex(p => ReferenceEquals(p.A, e.A)) % 2 == 0 ? 1 : 0);
        Assert.Equal(added.Count, added.Select(e => pool.FindIndex(p => ReferenceEquals(p.A, e.A))).Distinct().Count()); // drawn without replacement
    }

    [Fact]
    public void GrowTrainingSetRepeatsARareLabelsExamplesToKeepTheGoldRatio()
    {
        var train = Data(1, 10);
        int goldPos = train.Count(e => e.Label == 1);
        Assert.InRange(goldPos, 1, 9);
        var pool = Data(2, 60).Select(e => e with { Label = -1 }).ToList();
        var logits = new float[pool.Count, 2];
        for (int i = 0; i < pool.Count; i++) logits[i, i < 3 ? 1 : 0] = 2f;  // the ensemble calls only 3 examples positive
        var grown = PetEnsemble.GrowTrainingSet(train, pool, logits, 50, new Random(4));
        var added = grown.Skip(10).ToList();
        int wantPos = (int)Math.Round(40.0 * goldPos / 10);
        Assert.InRange(added.Count(e => e.Label == 1), wantPos - 1, wantPos + 1);
        Assert.Equal(50, grown.Count);
        // Every positive is one of the three the ensemble called positive.
        Assert.All(added.Where(e => e.Label == 1), e => Assert.InRange(pool.FindIndex(p => ReferenceEquals(p.A, e.A)), 0, 2));
        // No pool example is drawn more often than its copies allow: ceil(quota / 3) times.
        var perExample = added.Where(e => e.Label == 1)
            .GroupBy(e => pool.FindIndex(p => ReferenceEquals(p.A, e.A))).Select(g => g.Count());
        Assert.All(perExample, n => Assert.InRange(n, 1, (wantPos + 1 + 2) / 3));
    }

    [Fact]
    public void PetAndIPetRunEndToEndOnATinyModel()
    {
        var tok = PatternTests.Bert();
        var train = Data(1, 8);
        var pool = Data(2, 100).Select(e => e with { Label = -1 }).ToList();
        var test = Data(3, 30);
        var pvps = new[]
        {
            new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("negative", "bad"), ("positive", "great")), tok, 32),
            new Pvp(PromptTemplate.Parse("[MASK]: {a}"), Verbalizer.Of(("negative", "no"), ("positive", "yes")), tok, 32),
        };
        var config = new PetConfig
        {
            PvpTraining = new PvpTrainingConfig { Trainer = new TrainerConfig { MaxSteps = 40, BatchSize = 4, LearningRate = 2e-2, EvalEvery = 0, LogEvery = 1000 }, UnlabelledBatchSize = 4 },
            Distillation = new TrainerConfig { MaxSteps = 40, BatchSize = 8, LearningRate = 2e-2, EvalEvery = 0, LogEvery = 1000 },
            Seeds = new[] { 1, 2 },
            Generations = 1,
        };
        int loads = 0;
        var pet = new PetEnsemble(() => { loads++; return new TinyLm(tok.VocabSize, 16, contextual: true, seed: 7, dropout: 0); }, pvps, config);
        using var petResult = pet.RunPet(train, pool, test);
        Assert.Equal(4, petResult.Models.Count);
        Assert.Equal(5, loads);                                  // 4 PVP models + the classifier
        Assert.All(petResult.Models, m => Assert.InRange(m.Weight, 0, 1));
        Assert.True(petResult.EnsembleTestAccuracy >= 0.7, $"ensemble accuracy {petResult.EnsembleTestAccuracy}");
        Assert.NotNull(petResult.DistilledTestAccuracy);

        using var ipet = pet.RunIPet(train, pool, test, petResult.Models, distill: false);
        var gen1 = ipet.Models.Where(m => m.Generation == 1).ToList();
        Assert.Equal(4, gen1.Count);
        Assert.All(gen1, m => Assert.Equal(40, m.TrainSize));   // |T| * d = 8 * 5
        Assert.Null(ipet.Classifier);
    }
}
