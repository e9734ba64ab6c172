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

    [FixtureFact]
    public void AllMethodsRunOnTheEmbeddedSentimentFilesAndWriteResults()
    {
        var folder = HfFixtures.Model("bert");
        var config = ConfigFile.Read(Path.Combine(folder, "config.json"));
        var source = new BertForMaskedLM(config);
        StateDictLoader.Load(source.Module, Path.Combine(folder, "model.safetensors"), TiedWeights.OptionsFor(config.ModelType) with { TiedAliases = source.TiedWeights });
        var tokenizer = TokenizerFactory.FromFolder(folder);
        using var copies = new ModelCopies(source);

        // The fixture vocabulary is tiny: a verbalizer it knows, inputs no longer than its positions.
        var words = PetFixtureTests.SingleTokenWords(tokenizer, 2);
        var task = PetTask.Sentiment with { Pvps = new[] { new PvpSpec("{a} it was [MASK].", $"0: {words[0]}; 1: {words[1]}") } };
        int maxLength = Math.Min(48, config.MaxPositionEmbeddings);
        var tiny = new TrainerConfig { MaxSteps = 2, BatchSize = 4, LearningRate = 1e-3, EvalEvery = 0, LogEvery = 100 };
        var cfg = new FewShotConfig
        {
            Sizes = new[] { 10 }, Seeds = new[] { 0 }, PoolSize = 12, TestSize = 12, MaxLength = maxLength, PvpCount = 1,
            Pet = new PetConfig { PvpTraining = new PvpTrainingConfig { Trainer = tiny, UnlabelledBatchSize = 2 }, Distillation = tiny, Generations = 1, ClassifierMaxLength = maxLength },
            FineTune = tiny,
        };
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
}
