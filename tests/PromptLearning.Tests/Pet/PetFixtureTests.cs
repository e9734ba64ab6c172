using PromptLearning.Prompts;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pet;

/// <summary>PET on the real tokenizers and backbones, with the tiny Hugging Face fixtures.</summary>
public class PetFixtureTests
{
    public PetFixtureTests() => TorchSharpNative.EnsureLoaded();

    private static (ILanguageModel Model, TextTokenizer Tokenizer) Load(string name)
    {
        var folder = HfFixtures.Model(name);
        var config = ConfigFile.Read(Path.Combine(folder, "config.json"));
        var model = new BertForMaskedLM(config);
        StateDictLoader.Load(model.Module, Path.Combine(folder, "model.safetensors"), TiedWeights.OptionsFor(config.ModelType) with { TiedAliases = model.TiedWeights });
        return (model, TokenizerFactory.FromFolder(folder));
    }

    /// <summary>
    /// The first <paramref name="count"/> whole words (letters only, two or more) of the fixture's
    /// vocabulary that encode to one token where a verbalizer puts them (after a space for byte-level BPE),
    /// so the tests hold for any fixture set; <paramref name="accept"/> filters further.
    /// </summary>
    internal static string[] SingleTokenWords(TextTokenizer tok, int count, Func<string, bool>? accept = null)
    {
        var words = new List<string>();
        for (int id = 0; id < tok.VocabSize && words.Count < count; id++)
        {
            var token = tok.IdToToken(id);
            var word = tok.IsByteLevel ? (token.StartsWith('\u0120') ? token[1..] : "") : token;
            if (word.Length < 2 || !word.All(char.IsAsciiLetterLower)) continue;
            if (tok.Encode(tok.IsByteLevel ? " " + word : word).Count != 1 || words.Contains(word)) continue;
            if (accept is null || accept(word)) words.Add(word);
        }
        if (words.Count < count) throw new InvalidOperationException($"the fixture vocabulary has fewer than {count} single-token words");
        return words.ToArray();
    }

    /// <summary>One example as the PVP encodes it: ids, segment ids, mask positions.</summary>
    private sealed record Encoded(int[] InputIds, int[] TokenTypeIds, int[] MaskPositions);

    private static Encoded Encode(Pvp pvp, PromptExample example)
    {
        using var batch = pvp.EncodeBatch([example]);
        return new Encoded(batch.InputIds[0].data<long>().Select(i => (int)i).ToArray(), batch.TokenTypeIds[0].data<long>().Select(i => (int)i).ToArray(),
            batch.MaskSlots[0].Select(p => (int)p).ToArray());
    }

    private static float[] MaskLogits(ILanguageModel model, Encoded enc)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Module.eval();
        var ids = tensor(enc.InputIds.Select(i => (long)i).ToArray(), new long[] { 1, enc.InputIds.Length });
        var types = tensor(enc.TokenTypeIds.Select(i => (long)i).ToArray(), new long[] { 1, enc.InputIds.Length });
        return model.Forward(new ForwardArgs { InputIds = ids, TokenTypeIds = types }).Logits![0, enc.MaskPositions[0]].data<float>().ToArray();
    }

    [FixtureFact]
    public void BertWordPieceClozeScoresAreTheMlmLogitsOfTheVerbalizerTokens()
    {
        var (model, tok) = Load("bert");
        using var _ = model;
        var (no, yes) = SingleTokenWords(tok, 2) switch { var w => (w[0], w[1]) };
        var pvp = new Pvp(PromptTemplate.Parse("{a} it was [MASK]."), Verbalizer.Of(("negative", no), ("positive", yes)), tok, maxLength: 32);
        const string text = "The quick brown fox sat on the mat.";
        var ex = Ex.Single(text, 1);
        var enc = Encode(pvp, ex);
        string Pieces(string s) => string.Join(" ", tok.Tokenize(s));
        var tail = $"{Pieces("it was")} [MASK] {Pieces(".")} [SEP]";
        Assert.Equal($"[CLS] {Pieces(text)} {tail}", string.Join(" ", enc.InputIds.Select(tok.IdToToken)));
        var logits = MaskLogits(model, enc);
        var scores = pvp.Predict(model, new[] { ex });
        Assert.Equal(logits[tok.TokenToId(no)!.Value], scores[0, 0], 5);
        Assert.Equal(logits[tok.TokenToId(yes)!.Value], scores[0, 1], 5);

        // A word of two or more pieces in this vocabulary: a whole word followed by a continuation piece.
        var continuations = Enumerable.Range(0, tok.VocabSize).Select(tok.IdToToken).Where(t => t.StartsWith("##", StringComparison.Ordinal) && t[2..].All(char.IsAsciiLetterLower)).ToList();
        var multi = SingleTokenWords(tok, tok.VocabSize / 4, _ => true)
            .SelectMany(w => continuations.Select(c => w + c[2..]))
            .First(w => tok.Tokenize(w).Count > 1 && !tok.Tokenize(w).Contains("[UNK]"));
        var e = Assert.Throws<ArgumentException>(() => new Pvp(pvp.Pattern, Verbalizer.Of(("negative", no), ("positive", multi)), tok, allowMultiToken: false));
        Assert.Contains($"'{multi}'", e.Message);
        Assert.Contains(Pieces(multi), e.Message);

        // Truncation keeps the pattern and the mask on the real tokenizer too.
        var cut = Encode(pvp, Ex.Single(string.Join(" ", Enumerable.Repeat("the lazy dog", 30))));
        Assert.Equal(32, cut.InputIds.Length);
        Assert.Equal(tail, string.Join(" ", cut.InputIds.TakeLast(tail.Split(' ').Length).Select(tok.IdToToken)));
    }

    [FixtureFact]
    public void RobertaByteLevelVerbalizerTokensCarryTheLeadingSpace()
    {
        var (model, tok) = Load("roberta");
        using var _ = model;
        // Words that are one token after a space but several at the start of a sequence.
        var words = SingleTokenWords(tok, 2, w => tok.Encode(w).Count > 1);
        var (world, model2) = (words[0], words[1]);
        var pvp = new Pvp(PromptTemplate.Parse("{a} the [MASK]."), Verbalizer.Of(("a", world), ("b", model2)), tok, maxLength: 40, allowMultiToken: false);
        Assert.Equal("\u0120" + world, tok.IdToToken(pvp.LabelTokenIds[0][0].Single()));
        Assert.Equal("\u0120" + model2, tok.IdToToken(pvp.LabelTokenIds[1][0].Single()));
        var ex = Ex.Single("the model runs");
        var enc = Encode(pvp, ex);
        Assert.Equal(tok.Encode("the model runs the").Count + 4, enc.InputIds.Length); // <s> ... <mask> . </s>
        Assert.Equal(tok.MaskTokenId, enc.InputIds[enc.MaskPositions[0]]);
        var logits = MaskLogits(model, enc);
        var scores = pvp.Predict(model, new[] { ex });
        Assert.Equal(logits[tok.TokenToId("\u0120" + world)!.Value], scores[0, 0], 5);
        Assert.Equal(logits[tok.TokenToId("\u0120" + model2)!.Value], scores[0, 1], 5);

        // At the start of a sequence there is no space: the word is then several byte-level tokens.
        var e = Assert.Throws<ArgumentException>(() => new Pvp(PromptTemplate.Parse("[MASK]: {a}"), Verbalizer.Of(("a", world), ("b", model2)), tok, allowMultiToken: false));
        Assert.Contains($"'{world}'", e.Message);
        Assert.True(new Pvp(PromptTemplate.Parse("[MASK]: {a}"), Verbalizer.Of(("a", world), ("b", model2)), tok).IsMultiToken);
    }

    [FixtureFact]
    public void PetTrainingAndTheClassifierRunOnTheRealBackbone()
    {
        var (model, tok) = Load("bert");
        using var _ = model;
        var words = SingleTokenWords(tok, 2);
        var pvp = new Pvp(PromptTemplate.Parse("{a} it was [MASK]."), Verbalizer.Of(("negative", words[0]), ("positive", words[1])), tok, maxLength: 32);
        var train = new[] { Ex.Single("the cat sat on the mat", 1), Ex.Single("the dog is lazy", 0) };
        var pool = new[] { Ex.Single("a quick brown fox"), Ex.Single("hello world"), Ex.Single("this is a test") };
        var cfg = new PvpTrainingConfig { Trainer = new TrainerConfig { MaxSteps = 30, BatchSize = 2, LearningRate = 2e-3, EvalEvery = 0, LogEvery = 100 }, UnlabelledBatchSize = 2 };
        var result = PvpTrainer.Train(model, pvp, train, pool, cfg);
        Assert.True(result.StepLosses.TakeLast(5).Average() < result.StepLosses.Take(5).Average(), $"loss {string.Join(" ", result.StepLosses)}");
        Assert.Equal(1.0, pvp.Accuracy(model, train));

        using var classifier = new SequenceClassifier(Load("bert").Model, 2);
        var logits = classifier.Predict(tok, pool, 32);
        Assert.Equal(3, logits.GetLength(0));
        Assert.All(Enumerable.Range(0, 3), i => Assert.True(float.IsFinite(logits[i, 0])));
    }
}
