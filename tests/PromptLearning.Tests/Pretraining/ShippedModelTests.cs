using PromptLearning.Checkpoints;
using PromptLearning.Native;
using PromptLearning.Pretraining;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pretraining;

/// <summary>The checkpoints shipped in data/models load like Hugging Face folders and meet their quality bars.</summary>
public class ShippedModelTests
{
    public ShippedModelTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    private static string RepoRoot() => TestPaths.RepoRoot();

    private static string Model(string name) => Path.Combine(RepoRoot(), "data", "models", name);

    [Theory]
    [InlineData("bert-small", "bert")]
    [InlineData("bert-base", "bert")]
    [InlineData("bert-deep", "bert")]
    [InlineData("bert-reviews", "bert")]
    [InlineData("gpt2-small", "gpt2")]
    public void LoadsAsAHuggingFaceFolderWithinTheSizeLimit(string name, string modelType)
    {
        var folder = Model(name);
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer_config.json", "special_tokens_map.json", "README.md", "loss_chart.svg", "pretraining.json" })
            Assert.True(File.Exists(Path.Combine(folder, f)), $"{name}: {f} is missing");
        Assert.True(new FileInfo(Path.Combine(folder, "model.safetensors")).Length <= 25L * 1024 * 1024, $"{name}: model.safetensors exceeds 25 MB");
        using var loaded = Pretrained.Load(folder);
        Assert.Equal(modelType, loaded.Config.ModelType);
        Assert.Equal(loaded.Config.VocabSize, loaded.Tokenizer.VocabSize);
        var readme = File.ReadAllText(Path.Combine(folder, "README.md"));
        Assert.Contains("## Held-out evaluation", readme);
        Assert.Contains(PretrainingRecord.Load(folder).Command, readme);
    }

    [Fact]
    public void SalientWordsMapToTheirTokensAndUnknownWordsAreNamed()
    {
        var tok = PromptLearning.Tokenization.TokenizerFactory.FromFolder(Model("bert-small"), "bert");
        var ids = Pretrainer.SalientIds(tok, ["great", "terrible"]);
        Assert.Equal(new[] { tok.TokenToId("great")!.Value, tok.TokenToId("terrible")!.Value }.Order(), ids);
        var e = Assert.Throws<ArgumentException>(() => Pretrainer.SalientIds(tok, ["great", "☃"]));
        Assert.Contains("'☃'", e.Message);
    }

    [Fact]
    public void BertSmallMeetsTheZeroShotClozeBarOnASlice()
    {
        using var loaded = Pretrained.Load(Model("bert-small"));
        var score = ZeroShotCloze.Score(loaded.Model, loaded.Tokenizer, "sentiment", Path.Combine(RepoRoot(), "data"), limit: 200);
        Assert.Equal("{a} It was [MASK].", score.Pattern);
        Assert.True(score.Accuracy >= ZeroShotCloze.QualityBar, $"zero-shot sentiment accuracy {score.Accuracy:P1} on {score.Examples} test examples is below 70%");
    }

    /// <summary>
    /// The zero-shot score of <paramref name="task"/>'s first PVP on every test example, as the checkpoint gives it, after
    /// checking that the model's card prints the same row.
    /// </summary>
    private static ClozeScore CardZeroShotScore(string model, string task)
    {
        var folder = Model(model);
        using var loaded = Pretrained.Load(folder);
        var score = ZeroShotCloze.Score(loaded.Model, loaded.Tokenizer, task, Path.Combine(RepoRoot(), "data"));
        var readme = File.ReadAllText(Path.Combine(folder, "README.md"));
        Assert.Contains($"| {task} | `{score.Pattern}` | {score.Verbalizer} | {score.Examples:N0} | {score.Accuracy.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)} |", readme);
        return score;
    }

    [Fact]
    public void BertSmallZeroShotScoreInTheCardIsReproduced()
    {
        var score = CardZeroShotScore("bert-small", "sentiment");
        Assert.True(score.Accuracy > 0.45, $"zero-shot accuracy {score.Accuracy:P1} is far below chance: a broken checkpoint or scorer");
    }

    /// <summary>
    /// bert-base, the notebooks' masked LM: its card's zero-shot aspect score (the task's first PVP, every test
    /// example) is what the checkpoint gives, and the cloze reads the review-site layout well above the majority class.
    /// </summary>
    [Fact]
    public void BertBaseZeroShotAspectScoreInTheCardIsReproduced()
    {
        var score = CardZeroShotScore("bert-base", "aspect");
        var test = PromptLearning.Pet.PetTask.Aspect.Read(PromptLearning.Pet.PetTask.Aspect.TestFile, Path.Combine(RepoRoot(), "data"));
        double majority = test.GroupBy(e => e.Label).Max(g => g.Count()) / (double)test.Count;
        Assert.True(score.Accuracy >= majority + 0.15, $"zero-shot aspect accuracy {score.Accuracy:P1} vs majority class {majority:P1} + 15 points");
    }

    /// <summary>
    /// bert-reviews, the PET claim's backbone on rating: its card's zero-shot rating score (the task's first PVP, every
    /// test example) is what the checkpoint gives, and the cloze reads a review's verdict well above chance (5 labels).
    /// </summary>
    [Fact]
    public void BertReviewsZeroShotRatingScoreInTheCardIsReproduced()
    {
        var score = CardZeroShotScore("bert-reviews", "rating");
        Assert.True(score.Accuracy >= 0.2 + 0.1, $"zero-shot rating accuracy {score.Accuracy:P1} vs chance 20% + 10 points");
    }

    [Fact]
    public void Gpt2SmallContinuesADescriptionInDomain()
    {
        using var loaded = Pretrained.Load(Model("gpt2-small"));
        var sample = SampleText.Greedy(loaded.Model, loaded.Tokenizer, new[] { "The Wild Swan is a" }, 12).Single();
        var words = sample.Continuation.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length >= 3, $"continuation '{sample.Continuation}'");
        // In-domain: the continuation uses the corpus's vocabulary (every word occurs in the training corpus).
        var vocabulary = File.ReadLines(Path.Combine(RepoRoot(), "data", "corpus", "train.txt")).Take(5000)
            .SelectMany(l => l.Split(' ')).Select(w => w.Trim('.', ',', '!', '?')).ToHashSet();
        Assert.All(words.Select(w => w.Trim('.', ',', '!', '?')).Where(w => w.Length > 0), w => Assert.Contains(w, vocabulary));
    }

    [Fact]
    public void Gpt2SmallHeldOutPerplexityIsLow()
    {
        using var loaded = Pretrained.Load(Model("gpt2-small"));
        var corpus = Corpus.Read(Path.Combine(RepoRoot(), "data", "corpus"));
        var sequences = Pretrainer.BuildSequences(loaded.Tokenizer, corpus.HeldOut.Take(60).ToList(), 128, packing: true, causal: true);
        loaded.Model.Module.eval();
        using var noGrad = no_grad();
        var scores = Pretrainer.Score(loaded.Model, loaded.Tokenizer, sequences);
        Assert.True(scores.Perplexity < 8, $"held-out perplexity {scores.Perplexity:F2}");
    }

    [Fact]
    public void CorpusFilterKeepsMatchingTrainingDocumentsAndAllHeldOut()
    {
        var corpus = Corpus.Read(Path.Combine(RepoRoot(), "data", "corpus"));
        var reviews = corpus.WithTrainingDocumentsMatching(@"[Ii]t was (great|terrible)\.");
        Assert.InRange(reviews.Train.Count, 1, corpus.Train.Count - 1);
        Assert.All(reviews.Train, d => Assert.Matches(@"[Ii]t was (great|terrible)\.", d));
        Assert.Equal(corpus.HeldOut, reviews.HeldOut);
        var e = Assert.Throws<InvalidDataException>(() => corpus.WithTrainingDocumentsMatching("no such words here"));
        Assert.Contains("no such words here", e.Message);
    }
}
