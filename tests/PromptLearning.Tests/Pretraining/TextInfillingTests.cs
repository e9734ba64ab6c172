using PromptLearning.Native;
using PromptLearning.Pretraining;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pretraining;

public class TextInfillingTests
{
    public TextInfillingTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    // ids as BART's: 0 <s>, 1 <pad>, 2 </s>, 3 <unk>, 4 <mask>, 5.. words
    private const int Vocab = 60, Bos = 0, Pad = 1, Eos = 2, Unk = 3, Mask = 4;

    private static TextInfilling Objective(double ratio = 0.3) => new(Mask, new[] { Bos, Pad, Eos, Unk }, ratio);

    private static IReadOnlyList<IReadOnlyList<int>> Sequences(int n, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i =>
            (IReadOnlyList<int>)new[] { Bos }.Concat(Enumerable.Range(0, length - (i % 7)).Select(_ => rng.Next(5, Vocab))).Append(Eos).ToArray()).ToList();
    }

    [Fact]
    public void MasksAboutTheShareInPoissonSpansEachOneMask()
    {
        var objective = Objective();
        var random = new Random(3);
        long maskable = 0, maskedTokens = 0, positiveSpans = 0, emptySpans = 0;
        foreach (var seq in Sequences(400, 60, 1))
        {
            var row = objective.Corrupt(seq, random);
            Assert.Equal(seq, row.Labels);
            maskable += seq.Count - 2;
            // The spans never cover <s> or </s>, are sorted and never touch (an empty one sits between two visible tokens).
            Assert.All(row.Spans, span => Assert.InRange(span.Start, 1, seq.Count - 1 - span.Length));
            for (int k = 1; k < row.Spans.Count; k++)
                Assert.True(row.Spans[k].Start > row.Spans[k - 1].Start + row.Spans[k - 1].Length, $"spans {row.Spans[k - 1]} and {row.Spans[k]} touch");
            maskedTokens += row.Spans.Sum(s => s.Length);
            positiveSpans += row.Spans.Count(s => s.Length > 0);
            emptySpans += row.Spans.Count(s => s.Length == 0);

            // Each span is one <mask>; every other token stays, in order: the input is the original with each span
            // replaced by one <mask> (inserted before Start when the span is empty).
            Assert.Equal(row.Spans.Count, row.InputIds.Count(t => t == Mask));
            var expected = new List<int>();
            int next = 0;
            foreach (var (start, length) in row.Spans)
            {
                expected.AddRange(seq.Skip(next).Take(start - next));
                expected.Add(Mask);
                next = start + length;
            }
            expected.AddRange(seq.Skip(next));
            Assert.Equal(expected, row.InputIds);
            Assert.Equal(Bos, row.InputIds[0]);
            Assert.Equal(Eos, row.InputIds[^1]);
            Assert.True(row.InputIds.Length <= seq.Count, "the corrupted input is longer than the original");
            for (int i = 1; i < row.InputIds.Length; i++)
                Assert.False(row.InputIds[i] == Mask && row.InputIds[i - 1] == Mask, "two <mask> tokens in a row");
        }
        Assert.InRange(maskedTokens / (double)maskable, 0.27, 0.31);
        // Poisson(3): P(0) = e^-3 ≈ 5% of the spans are insertions; a non-empty span is 3 / (1 - e^-3) ≈ 3.16 long on average (the last one cut).
        Assert.InRange(emptySpans / (double)(emptySpans + positiveSpans), 0.02, 0.08);
        Assert.InRange(maskedTokens / (double)positiveSpans, 2.6, 3.4);
    }

    [Fact]
    public void ShortSequencesAndSpecialTokensInsideAreHandled()
    {
        var objective = Objective();
        var random = new Random(5);
        // one word: ceil(0.3) = 1 token masked
        var one = objective.Corrupt(new[] { Bos, 9, Eos }, random);
        Assert.Equal(new[] { Bos, Mask, Eos }, one.InputIds);
        Assert.Equal(new[] { (1, 1) }, one.Spans);
        // nothing to mask
        var empty = objective.Corrupt(new[] { Bos, Eos }, random);
        Assert.Equal(new[] { Bos, Eos }, empty.InputIds);
        Assert.Empty(empty.Spans);
        // a special token in the middle is never masked and no span crosses it
        var sequence = new[] { Bos }.Concat(Enumerable.Range(10, 20)).Append(Eos).Append(Eos).Concat(Enumerable.Range(30, 20)).Append(Eos).ToArray();
        for (int trial = 0; trial < 50; trial++)
        {
            var row = objective.Corrupt(sequence, random);
            Assert.Equal(3, row.InputIds.Count(t => t == Eos));
            Assert.All(row.Spans, s => Assert.DoesNotContain(Enumerable.Range(s.Start, s.Length), i => sequence[i] is Bos or Eos));
        }
    }

    [Fact]
    public void CollatePadsInputsAndLabelsAndASeedFixesTheMasks()
    {
        var objective = Objective();
        var seqs = Sequences(12, 30, 2);
        using var scope = NewDisposeScope();
        var batch = objective.Collate(seqs, Pad, new Random(7));
        var again = objective.Collate(seqs, Pad, new Random(7));
        Assert.Equal(batch.InputIds.data<long>().ToArray(), again.InputIds.data<long>().ToArray());
        Assert.Equal(batch.Labels.data<long>().ToArray(), again.Labels.data<long>().ToArray());

        // Collate corrupts row after row from the generator it is given.
        var random = new Random(7);
        long s = batch.InputIds.shape[1], t = batch.Labels.shape[1];
        Assert.Equal(seqs.Max(q => q.Count), (int)t);
        for (int r = 0; r < seqs.Count; r++)
        {
            var row = objective.Corrupt(seqs[r], random);
            var ids = batch.InputIds[r].data<long>().ToArray();
            var mask = batch.AttentionMask[r].data<long>().ToArray();
            var labels = batch.Labels[r].data<long>().ToArray();
            Assert.Equal(row.InputIds.Select(i => (long)i), ids.Take(row.InputIds.Length));
            Assert.All(ids.Skip(row.InputIds.Length), i => Assert.Equal(Pad, i));
            Assert.Equal(Enumerable.Repeat(1L, row.InputIds.Length).Concat(Enumerable.Repeat(0L, (int)s - row.InputIds.Length)), mask);
            Assert.Equal(seqs[r].Select(i => (long)i).Concat(Enumerable.Repeat(-100L, (int)t - seqs[r].Count)), labels);
        }
    }

    [Fact]
    public void OutOfRangeSettingsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextInfilling(Mask, [Bos, Eos], maskRatio: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextInfilling(Mask, [Bos, Eos], poissonLambda: 0));
    }
}
