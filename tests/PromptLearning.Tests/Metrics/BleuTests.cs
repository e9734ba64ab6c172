using PromptLearning.Metrics;

namespace PromptLearning.Tests.Metrics;

public class BleuTests
{
    [Fact]
    public void MatchesSacreBleuReadmeExample()
    {
        // sacreBLEU README: two reference streams, BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)
        string[] sys = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
        string[][] refs =
        [
            ["The dog bit the man.", "The dog had bit the man."],
            ["It was not unexpected.", "No one was surprised."],
            ["The man bit him first.", "The man had bitten the dog."],
        ];
        var bleu = Bleu.Corpus(sys, refs);
        Assert.Equal(17, bleu.HypothesisLength);
        Assert.Equal(18, bleu.ReferenceLength);
        Assert.Equal(48.53, bleu.Score, 2);
        Assert.Equal("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)", bleu.ToString());
    }

    [Fact]
    public void HandComputedCaseWithBrevityPenaltyAndSmoothing()
    {
        // hyp "a b c d" (c = 4), ref "a b c e f" (r = 5).
        // matches: 1-grams 3/4, 2-grams 2/3, 3-grams 1/2, 4-grams 0/1.
        // exp smoothing: first zero precision -> 1 / (2 * 1) = 50%.
        // BP = exp(1 - 5/4) = 0.778801; geometric mean = (0.75 * 0.666667 * 0.5 * 0.5)^(1/4) = 0.125^(1/4) = 0.594604
        // BLEU = 100 * 0.778801 * 0.594604 = 46.3078
        var refs = new[] { new[] { "a b c e f" } };
        var smoothed = Bleu.Corpus(["a b c d"], refs);
        Assert.Equal(new[] { 3, 2, 1, 0 }, smoothed.Correct);
        Assert.Equal(new[] { 4, 3, 2, 1 }, smoothed.Total);
        Assert.Equal(0.778801, smoothed.BrevityPenalty, 5);
        Assert.Equal(46.3078, smoothed.Score, 3);
        Assert.Equal(0, Bleu.Corpus(["a b c d"], refs, new BleuOptions(Smoothing: BleuSmoothing.None)).Score);
    }

    [Fact]
    public void ClipsByTheBestSingleReferenceAndPicksClosestLength()
    {
        // "the the the" against refs with 1 and 2 "the"s: unigram matches clip at 2, not 3.
        var s = Bleu.Corpus(["the the the"], [["the cat", "the the dog sat on it"]]);
        Assert.Equal(2, s.Correct[0]);
        // closest ref length to 3 is 2 (diff 1) rather than 6 (diff 3)
        Assert.Equal(2, s.ReferenceLength);
        var perfect = Bleu.Corpus(["The cat sat on the mat."], [["The cat sat on the mat."]]);
        Assert.Equal(100, perfect.Score, 6);
    }

    [Fact]
    public void NGramsAreCountedPerOrderWhateverCharactersTheTokensHold()
    {
        var pretokenised = new BleuOptions(Tokenize: false);
        // One token holding U+0001 is a unigram, not the bigram "x y".
        var s = Bleu.Corpus(["x\u0001y z"], [["x y z"]], pretokenised);
        Assert.Equal(new[] { 1, 0, 0, 0 }, s.Correct);
        // Two different bigrams whose tokens joined by U+0001 read the same do not match.
        var t = Bleu.Corpus(["p\u0001q r"], [["p q\u0001r"]], pretokenised);
        Assert.Equal(new[] { 0, 0, 0, 0 }, t.Correct);
    }

    [Fact]
    public void Tokenizer13aSplitsPunctuationButNotNumbers()
    {
        Assert.Equal(new[] { "Hello", ",", "world", ".", "It", "costs", "$", "5.50", "-", "6", "." },
            Tokenizer13a.Tokenize("Hello, world. It costs $5.50-6."));
        Assert.Equal(new[] { "It", "wasn't", "surprising", "." }, Tokenizer13a.Tokenize("It wasn't surprising.  "));
        Assert.Equal(new[] { "a", "&", "b", "\"", "c", "\"" }, Tokenizer13a.Tokenize("a &amp; b &quot;c&quot;"));
    }
}
