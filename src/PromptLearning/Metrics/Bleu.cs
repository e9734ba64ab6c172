namespace PromptLearning.Metrics;

/// <summary>How zero n-gram matches are smoothed (sacreBLEU's names).</summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing: any zero precision gives BLEU 0.</summary>
    None,
    /// <summary>sacreBLEU's default ('exp', NIST/mteval-v13a): the k-th zero precision becomes 1 / (2^k * total).</summary>
    Exp,
}

/// <summary>Options of <see cref="Bleu.Corpus"/>; the defaults are sacreBLEU's.</summary>
/// <param name="Lowercase">Lowercase hypotheses and references first.</param>
/// <param name="Smoothing">Smoothing of zero n-gram precisions.</param>
/// <param name="Tokenize">Tokenise with 13a (true) or split on whitespace only (false, for pre-tokenised text).</param>
public sealed record BleuOptions(bool Lowercase = false, BleuSmoothing Smoothing = BleuSmoothing.Exp, bool Tokenize = true);

/// <summary>A corpus BLEU score and its sufficient statistics.</summary>
/// <param name="Score">BLEU on sacreBLEU's 0-100 scale.</param>
/// <param name="Precisions">Modified n-gram precisions for n = 1..4, in percent (after smoothing).</param>
/// <param name="BrevityPenalty">exp(1 - r/c) when the hypotheses are shorter than the references, else 1.</param>
/// <param name="HypothesisLength">Total hypothesis tokens (c).</param>
/// <param name="ReferenceLength">Sum over segments of the reference length closest to the hypothesis length (r).</param>
/// <param name="Correct">Clipped n-gram matches for n = 1..4.</param>
/// <param name="Total">Hypothesis n-grams for n = 1..4.</param>
public sealed record BleuScore(double Score, double[] Precisions, double BrevityPenalty, int HypothesisLength, int ReferenceLength, int[] Correct, int[] Total)
{
    /// <summary>sacreBLEU's summary line, e.g. "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"BLEU = {Score:F2} {string.Join("/", Precisions.Select(p => p.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} (BP = {BrevityPenalty:F3} ratio = {(ReferenceLength == 0 ? 0 : HypothesisLength / (double)ReferenceLength):F3} hyp_len = {HypothesisLength} ref_len = {ReferenceLength})");
}

/// <summary>
/// Corpus-level BLEU (Papineni et al. 2002) computed as sacreBLEU does: 13a tokenisation; n-gram
/// matches for n = 1..4 clipped by the maximum count of that n-gram in any one reference and summed
/// over the corpus; for each segment the reference length closest to the hypothesis length (the
/// shorter one on ties); brevity penalty exp(1 - r/c) when c &lt; r; score = BP * exp(mean of the log
/// precisions). Any number of references per segment.
/// </summary>
public static class Bleu
{
    private const int MaxOrder = 4;

    /// <summary>BLEU of hypotheses against their references (<c>references[i]</c> are all references of hypothesis i).</summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references, BleuOptions? options = null)
    {
        options ??= new BleuOptions();
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses for {references.Count} reference lists");
        var correct = new int[MaxOrder];
        var total = new int[MaxOrder];
        int hypLen = 0, refLen = 0;
        for (int s = 0; s < hypotheses.Count; s++)
        {
            if (references[s].Count == 0) throw new ArgumentException($"segment {s} has no reference");
            var hyp = Tokens(hypotheses[s], options);
            var maxRef = NewCounts();
            int closest = -1;
            foreach (var reference in references[s])
            {
                var tokens = Tokens(reference, options);
                int diff = Math.Abs(hyp.Length - tokens.Length);
                if (closest < 0 || diff < Math.Abs(hyp.Length - closest) || (diff == Math.Abs(hyp.Length - closest) && tokens.Length < closest))
                    closest = tokens.Length;
                var counts = NGrams(tokens);
                for (int n = 0; n < MaxOrder; n++)
                    foreach (var (gram, count) in counts[n])
                        if (!maxRef[n].TryGetValue(gram, out var c) || count > c) maxRef[n][gram] = count;
            }
            hypLen += hyp.Length;
            refLen += closest;
            var hypCounts = NGrams(hyp);
            for (int n = 0; n < MaxOrder; n++)
                foreach (var (gram, count) in hypCounts[n])
                    if (maxRef[n].TryGetValue(gram, out var m)) correct[n] += Math.Min(count, m);
            for (int n = 1; n <= MaxOrder; n++) total[n - 1] += Math.Max(0, hyp.Length - n + 1);
        }
        return FromStatistics(correct, total, hypLen, refLen, options.Smoothing);
    }

    /// <summary>The score from summed statistics (sacreBLEU's <c>compute_bleu</c>).</summary>
    public static BleuScore FromStatistics(int[] correct, int[] total, int hypLen, int refLen, BleuSmoothing smoothing)
    {
        double bp = hypLen < refLen ? (hypLen > 0 ? Math.Exp(1 - refLen / (double)hypLen) : 0) : 1;
        var precisions = new double[MaxOrder];
        if (correct.All(c => c == 0)) return new BleuScore(0, precisions, bp, hypLen, refLen, correct, total);
        double smooth = 1;
        for (int n = 0; n < MaxOrder; n++)
        {
            if (total[n] == 0) break;
            if (correct[n] == 0)
            {
                if (smoothing == BleuSmoothing.Exp)
                {
                    smooth *= 2;
                    precisions[n] = 100.0 / (smooth * total[n]);
                }
            }
            else precisions[n] = 100.0 * correct[n] / total[n];
        }
        // a zero precision makes the geometric mean 0 (sacreBLEU logs 0 as -9999999999)
        double score = precisions.Any(p => p == 0) ? 0 : bp * Math.Exp(precisions.Sum(Math.Log) / MaxOrder);
        return new BleuScore(score, precisions, bp, hypLen, refLen, correct, total);
    }

    private static string[] Tokens(string text, BleuOptions o)
    {
        if (o.Lowercase) text = text.ToLowerInvariant();
        return o.Tokenize ? Tokenizer13a.Tokenize(text) : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    private static Dictionary<string, int>[] NewCounts() =>
        Enumerable.Range(0, MaxOrder).Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();

    /// <summary>
    /// Counts of all n-grams, one dictionary per order (index n - 1); an n-gram's key writes each token as
    /// its length, ':' and the token, so no token's characters can make two different n-grams collide.
    /// </summary>
    private static Dictionary<string, int>[] NGrams(string[] tokens)
    {
        var counts = NewCounts();
        var key = new System.Text.StringBuilder();
        for (int n = 1; n <= MaxOrder; n++)
            for (int i = 0; i + n <= tokens.Length; i++)
            {
                key.Clear();
                for (int j = i; j < i + n; j++) key.Append(tokens[j].Length).Append(':').Append(tokens[j]);
                var gram = key.ToString();
                counts[n - 1][gram] = counts[n - 1].TryGetValue(gram, out var c) ? c + 1 : 1;
            }
        return counts;
    }
}
