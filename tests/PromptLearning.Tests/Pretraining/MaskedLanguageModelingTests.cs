using PromptLearning.Training;
using PromptLearning.Native;
using PromptLearning.Pretraining;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pretraining;

public class MaskedLanguageModelingTests
{
    public MaskedLanguageModelingTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    // ids: 0 [PAD], 1 [UNK], 2 [CLS], 3 [SEP], 4 [MASK], 5.. words
    private const int Vocab = 50, Pad = 0, Cls = 2, Sep = 3, Mask = 4;

    private static IReadOnlyList<IReadOnlyList<int>> Sequences(int n, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i =>
            (IReadOnlyList<int>)new[] { Cls }.Concat(Enumerable.Range(0, length - (i % 5)).Select(_ => rng.Next(5, Vocab))).Append(Sep).ToArray()).ToList();
    }

    [Fact]
    public void FollowsTheBertRecipe()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Mask, new[] { Pad, 1, Cls, Sep });
        var seqs = Sequences(400, 60, 1);
        using var scope = NewDisposeScope();
        var batch = mlm.Collate(seqs, Pad, new Random(3));
        var ids = batch.InputIds.data<long>().ToArray();
        var labels = batch.Labels.data<long>().ToArray();
        var attn = batch.AttentionMask.data<long>().ToArray();
        int l = (int)batch.InputIds.shape[1];
        var original = new long[ids.Length];
        for (int r = 0; r < seqs.Count; r++)
            for (int i = 0; i < l; i++) original[r * l + i] = i < seqs[r].Count ? seqs[r][i] : Pad;

        long eligible = 0, chosen = 0, masked = 0, random = 0, kept = 0;
        for (int k = 0; k < ids.Length; k++)
        {
            bool special = original[k] is Pad or Cls or Sep;
            if (attn[k] == 0) { Assert.Equal(Pad, ids[k]); Assert.Equal(-100, labels[k]); continue; }
            if (special) { Assert.Equal(original[k], ids[k]); Assert.Equal(-100, labels[k]); continue; }
            eligible++;
            if (labels[k] == -100) { Assert.Equal(original[k], ids[k]); continue; }
            chosen++;
            Assert.Equal(original[k], labels[k]);
            if (ids[k] == Mask) masked++;
            else if (ids[k] == original[k]) kept++;
            else { random++; Assert.InRange(ids[k], 5, Vocab - 1); }
        }
        Assert.InRange(chosen / (double)eligible, 0.14, 0.16);
        Assert.InRange(masked / (double)chosen, 0.77, 0.83);
        // "random" can hit the original id (1/45), which then counts as kept.
        Assert.InRange(random / (double)chosen, 0.08, 0.12);
        Assert.InRange(kept / (double)chosen, 0.08, 0.12);
    }

    [Fact]
    public void SalientTokensAreChosenAtTheirOwnRate()
    {
        int[] salient = [5, 6, 7, 8, 9];
        var mlm = new MaskedLanguageModeling(Vocab, Mask, new[] { Pad, 1, Cls, Sep }, 0.15, salient, 0.6);
        var seqs = Sequences(400, 60, 4);
        using var scope = NewDisposeScope();
        var labels = mlm.Collate(seqs, Pad, new Random(5)).Labels.data<long>().ToArray();
        int l = labels.Length / seqs.Count;
        long salientSeen = 0, salientChosen = 0, otherSeen = 0, otherChosen = 0;
        for (int r = 0; r < seqs.Count; r++)
            for (int i = 1; i < seqs[r].Count - 1; i++)
            {
                bool chosen = labels[r * l + i] != -100;
                if (salient.Contains(seqs[r][i])) { salientSeen++; if (chosen) salientChosen++; }
                else { otherSeen++; if (chosen) otherChosen++; }
            }
        Assert.InRange(salientChosen / (double)salientSeen, 0.56, 0.64);
        Assert.InRange(otherChosen / (double)otherSeen, 0.14, 0.16);
    }

    [Fact]
    public void SameSeedSameMasksAndEverySequenceHasALabel()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Mask, new[] { Pad, 1, Cls, Sep });
        var seqs = Sequences(64, 6, 2); // short: often no token chosen by chance
        using var scope = NewDisposeScope();
        var a = mlm.Collate(seqs, Pad, new Random(9));
        var b = mlm.Collate(seqs, Pad, new Random(9));
        Assert.Equal(a.InputIds.data<long>().ToArray(), b.InputIds.data<long>().ToArray());
        Assert.Equal(a.Labels.data<long>().ToArray(), b.Labels.data<long>().ToArray());
        var perRow = a.Labels.ne(-100).sum(1).data<long>().ToArray();
        Assert.All(perRow, n => Assert.True(n >= 1));
    }

    [Fact]
    public void CausalLabelsAreTheInputsWithPaddingIgnored()
    {
        using var scope = NewDisposeScope();
        var batch = CausalLanguageModeling.Collate(new IReadOnlyList<int>[] { new[] { 7, 8, 9 }, new[] { 5 } }, padId: 1);
        Assert.Equal(new long[] { 7, 8, 9, 5, 1, 1 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { 7, 8, 9, 5, -100, -100 }, batch.Labels.data<long>().ToArray());
    }

    [Fact]
    public void WholeWordMaskingChoosesAWordsPiecesTogether()
    {
        // ids 40..49 are continuation pieces ("##..."): each belongs to the word of the piece before it
        var continuations = Enumerable.Range(40, 10).ToArray();
        var mlm = new MaskedLanguageModeling(Vocab, Mask, new[] { Pad, 1, Cls, Sep }, 0.2, continuationTokenIds: continuations);
        var seqs = Sequences(300, 60, 5);
        using var scope = NewDisposeScope();
        var batch = mlm.Collate(seqs, Pad, new Random(11));
        var labels = batch.Labels.data<long>().ToArray();
        int l = (int)batch.InputIds.shape[1];
        int words = 0, chosenWords = 0;
        for (int r = 0; r < seqs.Count; r++)
            for (int i = 1; i < seqs[r].Count - 1; i++)
            {
                bool chosen = labels[r * l + i] != -100;
                if (continuations.Contains(seqs[r][i]) && i > 1)
                    Assert.Equal(labels[r * l + i - 1] != -100, chosen);
                else { words++; if (chosen) chosenWords++; }
            }
        Assert.InRange(chosenWords / (double)words, 0.17, 0.23);
    }
}
