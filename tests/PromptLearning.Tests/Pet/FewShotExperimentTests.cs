using PromptLearning.Prompts;
using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Tokenization;
using PromptLearning.Training;

namespace PromptLearning.Tests.Pet;

public class FewShotExperimentTests
{
    public FewShotExperimentTests() => TorchSharpNative.EnsureLoaded();

    /// <summary>The fixture BERT, its tokenizer, a sentiment task its tiny vocabulary can verbalize and a tiny budget.</summary>
    private static (BertForMaskedLM Source, TextTokenizer Tokenizer, PetTask Task, FewShotConfig Config) Setup()
    {
        var folder = HfFixtures.Model("bert");
        var config = ConfigFile.Read(Path.Combine(folder, "config.json"));
        var source = new BertForMaskedLM(config);
        StateDictLoader.Load(source.Module, Path.Combine(folder, "model.safetensors"), TiedWeights.OptionsFor(config.ModelType) with { TiedAliases = source.TiedWeights });
        var tokenizer = TokenizerFactory.FromFolder(folder);

        // The fixture vocabulary is tiny: a verbalizer it knows, inputs no longer than its positions.
        var words = PetFixtureTests.SingleTokenWords(tokenizer, 2);
        var task = PetTask.Sentiment with { Pvps = new[] { new PvpSpec("{a} it was [MASK].", $"0: {words[0]}; 1: {words[1]}") } };
        int maxLength = Math.Min(48, config.MaxPositionEmbeddings);
        var tiny = new TrainerConfig { MaxSteps = 2, BatchSize = 4, LearningRate = 1e-3, EvalEvery = 0, LogEvery = 100 };
        var cfg = new FewShotConfig
        {
            Sizes = new[] { 10 }, Seeds = new[] { 0 }, PoolSize = 12, TestSize = 12, MaxLength = maxLength, PvpCount = 1,
            Pet = new PetConfig { PvpTraining = new PvpTrainingConfig { Trainer = tiny, UnlabelledBatchSize = 2 }, Distillation = tiny, Generations = 1, ClassifierMaxLength = maxLength, Seeds = [1] },
            FineTune = tiny,
        };
        return (source, tokenizer, task, cfg);
    }

    [FixtureFact]
    public void AllMethodsRunOnTheEmbeddedSentimentFilesAndWriteResults()
    {
        var (source, tokenizer, task, cfg) = Setup();
        using var copies = new ModelCopies(source);
        var log = new StringWriter();
        var result = FewShotExperiment.Run("fixture-bert", copies.Create, tokenizer, new[] { task }, cfg, log);

        Assert.Equal(new[] { "zero-shot", "pet", "ipet", "finetune" }, result.Points.Select(p => p.Method));
        Assert.All(result.Points, p => Assert.InRange(p.Mean, 0, 1));
        Assert.Equal(6, copies.Created);  // zero-shot, PET model + classifier, iPET gen-1 model + classifier, fine-tuned classifier
        var dir = Path.Combine(Path.GetTempPath(), "pet-fewshot-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = result.Write(dir);
            Assert.Equal(3, files.Count);
            using var doc = JsonDocument.Parse(File.ReadAllText(files[0]));
            Assert.Equal(4, doc.RootElement.GetProperty("points").GetArrayLength());
            Assert.StartsWith("task,method,size,mean,std,runs", File.ReadAllText(files[1]));
        }
        finally { Directory.Delete(dir, true); }
        Assert.Contains("sentiment", result.ToTable());
    }

    [FixtureFact]
    public void PetAndIPetRunsMeasuredBeforeAreReusedAndEqualWhatTheExperimentTrains()
    {
        var (source, tokenizer, task, cfg) = Setup();
        using var copies = new ModelCopies(source);
        var trained = FewShotExperiment.Run("fixture-bert", copies.Create, tokenizer, new[] { task }, cfg);

        // A walk-through of subset seed 0 as notebook 01 makes it: the same PVPs, subsets and seeds.
        var pvps = task.BuildPvps(tokenizer, cfg.MaxLength, cfg.PvpCount);
        var train = task.FewShot(10, 0);
        var pool = task.Read(task.UnlabelledFile).Take(cfg.PoolSize).Select(e => e with { Label = -1 }).ToList();
        var test = task.Read(task.TestFile).Take(cfg.TestSize).ToList();
        var ensemble = new PetEnsemble(copies.Create, pvps, cfg.Pet);
        using var pet = ensemble.RunPet(train, pool, test);
        using var ipet = ensemble.RunIPet(train, pool, test, pet.Models);
        FewShotRun[] measured = [FewShotRun.Pet(task.Name, 10, 0, pet, 1), FewShotRun.IPet(task.Name, 10, 0, ipet, 2)];
        FewShotRun Trained(string method) => trained.Runs.Single(r => r.Method == method);
        Assert.Equal(Trained(FewShotMethods.Pet).Accuracy, measured[0].Accuracy);
        Assert.Equal(Trained(FewShotMethods.Pet).PvpModels, measured[0].PvpModels);
        Assert.Equal(Trained(FewShotMethods.IPet).Accuracy, measured[1].Accuracy);
        Assert.Equal(pet.EnsembleTestAccuracy, measured[0].EnsembleAccuracy);
        Assert.Equal(ipet.EnsembleTestAccuracy, measured[1].EnsembleAccuracy);
        Assert.Equal(Trained(FewShotMethods.IPet).EnsembleAccuracy, measured[1].EnsembleAccuracy);

        int before = copies.Created;
        var log = new StringWriter();
        var reused = FewShotExperiment.Run("fixture-bert", copies.Create, tokenizer, new[] { task }, cfg, log, measured: measured);
        Assert.Equal(2, copies.Created - before);   // zero-shot and fine-tuning only
        Assert.Contains("pet and ipet: measured before, reused", log.ToString());
        Assert.Same(measured[0], reused.Runs.Single(r => r.Method == FewShotMethods.Pet));
        Assert.Equal(trained.Points.Select(p => (p.Method, p.Mean)), reused.Points.Select(p => (p.Method, p.Mean)));

        // The zero-shot scores measured too (as notebook 01's section 3 does): only fine-tuning loads a model.
        FewShotRun[] zeroShot;
        using (var untrained = copies.Create())
            zeroShot = pvps.Select((p, i) => FewShotRun.ZeroShot(task.Name, i, p, untrained, test, cfg.Pet.EvalBatchSize)).ToArray();
        Assert.Equal(trained.Runs.Where(r => r.Method == FewShotMethods.ZeroShot).Select(r => (r.Seed, r.Accuracy, r.Detail)),
            zeroShot.Select(r => (r.Seed, r.Accuracy, r.Detail)));
        before = copies.Created;
        log = new StringWriter();
        var all = FewShotExperiment.Run("fixture-bert", copies.Create, tokenizer, new[] { task }, cfg, log, measured: [.. zeroShot, .. measured]);
        Assert.Equal(1, copies.Created - before);
        Assert.Contains("(measured before, reused)", log.ToString());
        Assert.Equal(trained.Points.Select(p => (p.Method, p.Mean)), all.Points.Select(p => (p.Method, p.Mean)));
        // A zero-shot run of another PVP at the same index is not taken: the cloze is scored again.
        before = copies.Created;
        FewShotExperiment.Run("fixture-bert", copies.Create, tokenizer, new[] { task }, cfg, measured: [.. zeroShot.Select(z => z with { Detail = "another PVP" }), .. measured]);
        Assert.Equal(2, copies.Created - before);

        // Only PET measured while iPET is asked for too: the ensemble trains again.
        before = copies.Created;
        FewShotExperiment.Run("fixture-bert", copies.Create, tokenizer, new[] { task }, cfg, measured: [measured[0]]);
        Assert.Equal(6, copies.Created - before);
    }

    [FixtureFact]
    public void ARunWithoutTestAccuraciesCannotBecomeAFewShotRun()
    {
        var (source, tokenizer, task, cfg) = Setup();
        using var copies = new ModelCopies(source);
        var pool = task.Read(task.UnlabelledFile).Take(cfg.PoolSize).Select(e => e with { Label = -1 }).ToList();
        var ensemble = new PetEnsemble(copies.Create, task.BuildPvps(tokenizer, cfg.MaxLength, cfg.PvpCount), cfg.Pet);
        using var untested = ensemble.RunPet(task.FewShot(10, 0), pool, test: null);
        var e = Assert.Throws<ArgumentException>(() => FewShotRun.Pet(task.Name, 10, 0, untested, 1));
        Assert.Contains("PET run: it has no test accuracies", e.Message);
        Assert.Equal("result", e.ParamName);
    }
}
