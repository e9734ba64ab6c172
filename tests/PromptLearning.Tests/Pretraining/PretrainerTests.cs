using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pretraining;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pretraining;

public class PretrainerTests
{
    public PretrainerTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    private static readonly string[] Foods = { "pizza", "soup", "curry", "salad", "pasta", "fish" };
    private static readonly string[] Good = { "great", "lovely", "superb" };
    private static readonly string[] Bad = { "terrible", "awful", "dreadful" };

    /// <summary>A tiny corpus with a learnable regularity: the word after "was" follows the review's sentiment.</summary>
    private static List<string> TinyCorpus(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var good = r.Next(2) == 0;
            var food = Foods[r.Next(Foods.Length)];
            var liked = good ? "we loved the" : "we hated the";
            var word = good ? Good[r.Next(Good.Length)] : Bad[r.Next(Bad.Length)];
            return $"{liked} {food} . it was {word} .";
        }).ToList();
    }

    private static (ILanguageModel Model, TextTokenizer Tokenizer) Tiny(string arch, IEnumerable<string> corpus)
    {
        var dir = Path.Combine(Path.GetTempPath(), "plearn-pretrain-" + Guid.NewGuid().ToString("N"));
        if (arch == "bert") WordPieceVocabBuilder.Save(WordPieceVocabBuilder.Build(corpus, 200), dir, 64);
        else ByteLevelBpeBuilder.Save(ByteLevelBpeBuilder.Build(corpus, 400), dir, 64);
        var tok = TokenizerFactory.FromFolder(dir, arch);
        var config = ModelPresets.Create(arch, "small", tok.VocabSize, 64, arch == "bert" ? tok.PadTokenId : null, tok.EosTokenId)
            with { HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        manual_seed(1);
        ILanguageModel model = arch == "bert" ? new BertForMaskedLM(config) : new GPT2LMHeadModel(config);
        return (model, tok);
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("gpt2")]
    public void PretrainingLearnsTheTinyCorpus(string arch)
    {
        var corpus = TinyCorpus(400, 1);
        var (model, tok) = Tiny(arch, corpus);
        using var _ = model;
        var config = new PretrainingConfig
        {
            MaxLength = 32, Packing = arch == "gpt2", MaxHeldOutSequences = 64,
            Trainer = new TrainerConfig { MaxSteps = 150, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 10, EvalEvery = 75, RestoreBest = false, Seed = 3 },
        };
        var result = Pretrainer.Run(model, tok, corpus, TinyCorpus(60, 2), config);
        var h = result.Training.History;
        var first = Enumerable.Range(0, (int)h.Rows.Count).Select(i => h["dev_loss"][i]).OfType<double>().First();
        Assert.True(result.HeldOut.Loss < 0.8 * result.Training.StepLosses.Take(5).Average(),
            $"held-out loss {result.HeldOut.Loss} vs first training losses {result.Training.StepLosses.Take(5).Average()}");
        Assert.True(result.HeldOut.Loss <= first + 1e-6, $"held-out loss went from {first} to {result.HeldOut.Loss}");
        Assert.InRange(result.HeldOut.Perplexity, 1.0, tok.VocabSize);
        Assert.Equal(Math.Exp(result.HeldOut.Loss), result.HeldOut.Perplexity, 9);
        Assert.True(result.HeldOut.Accuracy > 0.3, $"held-out accuracy {result.HeldOut.Accuracy}");
    }

    [Fact]
    public void MaskedLmLossOnLabelledPositionsEqualsTheFullLogitsLoss()
    {
        var corpus = TinyCorpus(50, 4);
        var (model, tok) = Tiny("bert", corpus);
        using var _ = model;
        model.Module.eval();
        using var scope = NewDisposeScope();
        var seqs = Pretrainer.BuildSequences(tok, corpus.Take(8).ToList(), 32, packing: false, causal: false);
        var mlm = new MaskedLanguageModeling(tok.VocabSize, tok.MaskTokenId!.Value, Pretrainer.SpecialIds(tok));
        var batch = mlm.Collate(seqs, tok.PadTokenId, new Random(5));
        var fast = LanguageModelingLoss.Compute(model, batch).item<float>();
        var logits = model.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask }).Logits!;
        var full = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), batch.Labels.reshape(-1), ignore_index: -100).item<float>();
        Assert.Equal(full, fast, 4);
    }

    [Fact]
    public void MaskedLmSequencesAreWrappedAndPacked()
    {
        var corpus = TinyCorpus(30, 5);
        var (model, tok) = Tiny("bert", corpus);
        model.Dispose();
        int cls = tok.BosTokenId!.Value, sep = tok.EosTokenId!.Value;
        var single = Pretrainer.BuildSequences(tok, corpus, 64, packing: false, causal: false);
        Assert.Equal(corpus.Count, single.Count);
        Assert.All(single, s => { Assert.Equal(cls, s[0]); Assert.Equal(sep, s[^1]); Assert.Equal(1, s.Count(t => t == sep)); });
        var packed = Pretrainer.BuildSequences(tok, corpus, 64, packing: true, causal: false);
        Assert.True(packed.Count < corpus.Count / 2);
        Assert.All(packed, s => { Assert.Equal(cls, s[0]); Assert.Equal(sep, s[^1]); Assert.True(s.Count <= 64); Assert.Equal(1, s.Count(t => t == cls)); });
        // Packing keeps every document: one [SEP] per document.
        Assert.Equal(corpus.Count, packed.Sum(s => s.Count(t => t == sep)));
    }

    [Fact]
    public void CausalPackingCutsTheStreamIntoFullChunks()
    {
        var corpus = TinyCorpus(30, 6);
        var (model, tok) = Tiny("gpt2", corpus);
        model.Dispose();
        var eos = tok.EosTokenId!.Value;
        var packed = Pretrainer.BuildSequences(tok, corpus, 16, packing: true, causal: true);
        Assert.All(packed.Take(packed.Count - 1), s => Assert.Equal(16, s.Count));
        var stream = packed.SelectMany(s => s).ToList();
        var expected = corpus.SelectMany(t => tok.Encode(t).Append(eos)).ToList();
        Assert.Equal(expected.Take(stream.Count), stream);
        var single = Pretrainer.BuildSequences(tok, corpus, 64, packing: false, causal: true);
        Assert.All(single, s => Assert.Equal(eos, s[^1]));
    }

    [Fact]
    public void SalientWordsReachTheMaskingAndAnUnknownOneIsNamed()
    {
        var corpus = TinyCorpus(40, 9);
        var (model, tok) = Tiny("bert", corpus);
        using var _ = model;
        var config = new PretrainingConfig
        {
            MaxLength = 32, SalientWords = ["☃"],
            Trainer = new TrainerConfig { MaxSteps = 1, BatchSize = 4, EvalEvery = 0, RestoreBest = false },
        };
        var e = Assert.Throws<ArgumentException>(() => Pretrainer.Run(model, tok, corpus, TinyCorpus(8, 10), config));
        Assert.Contains("'☃'", e.Message);
    }

    [Fact]
    public void HeldOutScoresAreDeterministic()
    {
        var corpus = TinyCorpus(40, 7);
        var (model, tok) = Tiny("bert", corpus);
        using var _ = model;
        model.Module.eval();
        var seqs = Pretrainer.BuildSequences(tok, corpus, 32, packing: false, causal: false);
        using var noGrad = no_grad();
        var a = Pretrainer.Score(model, tok, seqs);
        var b = Pretrainer.Score(model, tok, seqs);
        Assert.Equal(a, b);
        Assert.True(a.Tokens > 0);
    }
}
