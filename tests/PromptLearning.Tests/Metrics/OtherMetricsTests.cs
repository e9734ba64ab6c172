using PromptLearning.Metrics;

namespace PromptLearning.Tests.Metrics;

public class OtherMetricsTests
{
    [Fact]
    public void AccuracyAndMacroF1ByHand()
    {
        string[] gold = ["a", "a", "b", "c"];
        string[] pred = ["a", "b", "b", "c"];
        Assert.Equal(0.75, ClassificationMetrics.Accuracy(pred, gold));
        // a: P 1, R 1/2, F 2/3; b: P 1/2, R 1, F 2/3; c: F 1 -> (2/3 + 2/3 + 1) / 3 = 7/9
        Assert.Equal(7.0 / 9, ClassificationMetrics.MacroF1(pred, gold), 10);
        // a predicted class absent from gold counts with F1 0 (scikit-learn's label union)
        Assert.Equal((0 + 2.0 / 3) / 2, ClassificationMetrics.MacroF1(new[] { "x", "a" }, new[] { "a", "a" }), 10);
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy(new[] { 1 }, new[] { 1, 2 }));
    }

    [Fact]
    public void SpanF1FollowsConllevalChunkRules()
    {
        string[] gold = ["B-PER", "I-PER", "O", "B-LOC", "O"];
        string[] pred = ["B-PER", "I-PER", "O", "B-ORG", "O"];
        var s = SpanF1.Compute([pred], [gold]);
        Assert.Equal((1, 2, 2), (s.Correct, s.Predicted, s.Gold));
        Assert.Equal(0.5, s.F1, 10);
        // IOB1: I- after O starts a chunk; a type change splits a chunk
        Assert.Equal(new[] { new Chunk(0, 2, "PER"), new Chunk(3, 4, "LOC") }, SpanF1.Chunks(["I-PER", "I-PER", "O", "I-LOC"]));
        Assert.Equal(new[] { new Chunk(0, 1, "PER"), new Chunk(1, 2, "LOC") }, SpanF1.Chunks(["B-PER", "I-LOC"]));
        Assert.Equal(new[] { new Chunk(0, 1, "X"), new Chunk(1, 2, "X") }, SpanF1.Chunks(["B-X", "B-X"]));
        // a partially right span is wrong: precision 0, recall 0
        var partial = SpanF1.Compute([["B-food", "O"]], [["B-food", "I-food"]]);
        Assert.Equal(0, partial.F1);
        Assert.Throws<ArgumentException>(() => SpanF1.Chunks(["X-PER"]));
    }

    [Fact]
    public void RougeNMatchesRougeScoresOwnCasesAndLinsExample()
    {
        // rouge-score's tests (target "testing one two"): ROUGE-1 of "testing", ROUGE-2 of "testing one".
        Assert.Equal(new RougeScore(1, 1.0 / 3, 0.5), RougeN.Sentence("testing", "testing one two", 1));
        var r2 = RougeN.Sentence("testing one", "testing one two", 2);
        Assert.Equal((1.0, 0.5, 2.0 / 3), (r2.Precision, r2.Recall, r2.F));
        // Lin 2004: "police kill the gunman" vs "police killed the gunman": 3 of 4 unigrams, 1 of 3 bigrams.
        Assert.Equal(0.75, RougeN.Sentence("police kill the gunman", "police killed the gunman", 1).F, 10);
        Assert.Equal(1.0 / 3, RougeN.Sentence("police kill the gunman", "police killed the gunman", 2).F, 10);
        // Counts are clipped: "the" three times in the hypothesis matches the reference's one "the".
        Assert.Equal(new RougeScore(1.0 / 3, 0.5, 0.4), RougeN.Sentence("The the, THE!", "the cat", 1));
        Assert.Equal(new RougeScore(0, 0, 0), RougeN.Sentence("a", "a", 2));
        // Best reference per segment, mean over segments.
        Assert.Equal((1.0 + 0.5) / 2, RougeN.Corpus(["a b", "testing"], [["c", "b a"], ["testing one two", "x"]], 1), 10);
        Assert.Throws<ArgumentException>(() => RougeN.Corpus(["a"], [[]], 1));
    }

    [Fact]
    public void RougeLMatchesLinsExample()
    {
        // Lin (2004), section 3.1: against "police killed the gunman",
        // "police kill the gunman" has LCS 3 -> F = 3/4; "the gunman kill police" has LCS 2 -> F = 1/2.
        Assert.Equal(0.75, RougeL.Sentence("police kill the gunman", "police killed the gunman"), 10);
        Assert.Equal(0.5, RougeL.Sentence("the gunman kill police", "police killed the gunman"), 10);
        // best reference per segment, then the mean over segments
        var corpus = RougeL.Corpus(["police kill the gunman", "a b"], [["the gunman kill police", "police killed the gunman"], ["c d"]]);
        Assert.Equal((0.75 + 0) / 2, corpus, 10);
        // P = 1, R = 1/2: beta 1 gives 2/3
        Assert.Equal(2.0 / 3, RougeL.Sentence("A, b!", "a b c d"), 10);
    }
}
