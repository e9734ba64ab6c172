using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Pretraining;

/// <summary>
/// A batch for denoising pretraining of an encoder-decoder: the corrupted encoder input [B, S]
/// (right-padded), its attention mask (1 = token, 0 = padding) and the labels [B, T] (the original
/// sequence, <see cref="LossLabels.IgnoreIndex"/> after its end). The decoder input is the labels
/// shifted right (<see cref="Models.Seq2Seq.ShiftTokensRight"/>, done by the model).
/// </summary>
public sealed record DenoisingBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels);

/// <summary>
/// One corrupted sequence: the encoder input, the labels (the original sequence) and the spans
/// replaced: each <c>(Start, Length)</c> counts positions of the original sequence; a span of
/// length 0 is a <c>&lt;mask&gt;</c> inserted before position <c>Start</c>.
/// </summary>
public sealed record InfilledSequence(int[] InputIds, int[] Labels, IReadOnlyList<(int Start, int Length)> Spans);

/// <summary>
/// BART's text-infilling objective (Lewis et al. 2020, as fairseq's <c>DenoisingDataset</c> with
/// <c>mask_length=span-poisson</c>, <c>replace_length=1</c>): of the tokens between <c>&lt;s&gt;</c>
/// and <c>&lt;/s&gt;</c>, ceil(<see cref="MaskRatio"/> × n) are masked in spans whose lengths are
/// drawn from Poisson(<see cref="PoissonLambda"/>) until they add up to that number (the last one cut
/// to fit); every span becomes one <c>&lt;mask&gt;</c>, and a span of length 0 inserts a
/// <c>&lt;mask&gt;</c> that stands for nothing. Spans are placed at random and never touch (at least
/// one visible token between two of them; length-0 spans go between two visible tokens), so each
/// <c>&lt;mask&gt;</c> stands for exactly one span; spans that do not fit a short sequence are dropped, and
/// so are insertions that would make the input longer than the original.
/// Labels are the original sequence: the decoder reconstructs the whole text, as
/// <c>BartForConditionalGeneration</c> is trained. The corruption is drawn from the given
/// <see cref="Random"/>, so a seed fixes it.
/// </summary>
public sealed class TextInfilling
{
    private readonly int _maskId;
    private readonly HashSet<int> _special;

    /// <summary>Share of tokens masked (BART: 0.3).</summary>
    public double MaskRatio { get; }

    /// <summary>Mean span length (BART: 3).</summary>
    public double PoissonLambda { get; }

    /// <param name="maskTokenId">Id of <c>&lt;mask&gt;</c>.</param>
    /// <param name="specialTokenIds">Ids never masked (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>, ...): they stay where they are and bound the spans.</param>
    /// <param name="maskRatio">Share of non-special tokens to mask, in (0, 1).</param>
    /// <param name="poissonLambda">Mean of the Poisson span-length distribution, positive.</param>
    public TextInfilling(int maskTokenId, IEnumerable<int> specialTokenIds, double maskRatio = 0.3, double poissonLambda = 3.0)
    {
        if (maskRatio is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, "must be in (0, 1)");
        if (!(poissonLambda > 0)) throw new ArgumentOutOfRangeException(nameof(poissonLambda), poissonLambda, "must be positive");
        _maskId = maskTokenId;
        _special = new HashSet<int>(specialTokenIds) { maskTokenId };
        MaskRatio = maskRatio;
        PoissonLambda = poissonLambda;
    }

    /// <summary>Corrupts each of <paramref name="sequences"/> (token ids with <c>&lt;s&gt;</c> and <c>&lt;/s&gt;</c>) into a padded batch.</summary>
    public DenoisingBatch Collate(IReadOnlyList<IReadOnlyList<int>> sequences, int padId, Random random)
    {
        var rows = sequences.Select(s => Corrupt(s, random)).ToList();
        var (ids, mask) = LanguageModelingBatch.Pad(rows.Select(r => (IReadOnlyList<int>)r.InputIds).ToList(), padId);
        var (labelIds, labelMask) = LanguageModelingBatch.Pad(rows.Select(r => (IReadOnlyList<int>)r.Labels).ToList(), padId);
        var labels = new long[labelIds.GetLength(0), labelIds.GetLength(1)];
        for (int b = 0; b < labels.GetLength(0); b++)
            for (int i = 0; i < labels.GetLength(1); i++)
                labels[b, i] = labelMask[b, i] == 1 ? labelIds[b, i] : LossLabels.IgnoreIndex;
        return new DenoisingBatch(tensor(ids), tensor(mask), tensor(labels));
    }

    /// <summary>
    /// Corrupts one unpadded <paramref name="sequence"/>. Special tokens are never masked; the maskable
    /// tokens are the runs between them (for <c>&lt;s&gt; text &lt;/s&gt;</c>: the text).
    /// </summary>
    public InfilledSequence Corrupt(IReadOnlyList<int> sequence, Random random)
    {
        var original = sequence.ToArray();
        var maskable = Enumerable.Range(0, original.Length).Where(i => !_special.Contains(original[i])).ToArray();
        int n = maskable.Length;
        var spans = new List<(int Start, int Length)>();
        if (n > 0)
        {
            var lengths = SpanLengths((int)Math.Ceiling(MaskRatio * n), random);
            var masked = new bool[original.Length];
            // Spans of length > 0: place them in the order drawn, each at a random free start among the maskable
            // tokens whose span would neither touch a placed span nor cross a special token; one that fits nowhere is dropped.
            foreach (var length in lengths.Where(l => l > 0))
            {
                var starts = maskable.Where(s => Fits(original, masked, s, length)).ToList();
                if (starts.Count == 0) continue;
                var start = starts[random.Next(starts.Count)];
                for (int i = start; i < start + length; i++) masked[i] = true;
                spans.Add((start, length));
            }
            // Length-0 spans: a <mask> before a visible maskable token whose predecessor is visible too (or is a special token);
            // at most as many as the placed spans shortened the sequence, so the input is never longer than the original.
            var boundaries = maskable.Where(i => !masked[i] && (i == 0 || !masked[i - 1])).ToList();
            var room = spans.Sum(s => s.Length - 1);
            foreach (var _ in lengths.Where(l => l == 0).Take(room))
            {
                if (boundaries.Count == 0) break;
                var k = random.Next(boundaries.Count);
                spans.Add((boundaries[k], 0));
                boundaries.RemoveAt(k);
            }
            spans.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Length.CompareTo(b.Length));
        }
        var input = new List<int>(original.Length);
        int next = 0;
        foreach (var (start, length) in spans)
        {
            for (; next < start; next++) input.Add(original[next]);
            input.Add(_maskId);
            next = start + length;
        }
        for (; next < original.Length; next++) input.Add(original[next]);
        return new InfilledSequence(input.ToArray(), original, spans);
    }

    /// <summary>Whether a span of <paramref name="length"/> at <paramref name="start"/> covers maskable, unmasked tokens only and touches no masked token.</summary>
    private bool Fits(int[] ids, bool[] masked, int start, int length)
    {
        if (start + length > ids.Length) return false;
        for (int i = start; i < start + length; i++)
            if (masked[i] || _special.Contains(ids[i])) return false;
        return (start == 0 || !masked[start - 1]) && (start + length == ids.Length || !masked[start + length]);
    }

    /// <summary>Poisson(λ) span lengths drawn until they add up to at least <paramref name="total"/>, the last cut so they add up to it exactly.</summary>
    private List<int> SpanLengths(int total, Random random)
    {
        var lengths = new List<int>();
        int sum = 0;
        while (sum < total)
        {
            var length = Math.Min(Poisson(random), total - sum);
            lengths.Add(length);
            sum += length;
        }
        return lengths;
    }

    /// <summary>A Poisson(<see cref="PoissonLambda"/>) draw (Knuth's product of uniforms).</summary>
    private int Poisson(Random random)
    {
        double limit = Math.Exp(-PoissonLambda), product = random.NextDouble();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= random.NextDouble();
        }
        return k;
    }
}
