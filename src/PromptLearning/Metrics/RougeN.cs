namespace PromptLearning.Metrics;

/// <summary>Precision, recall and F-measure of one ROUGE score.</summary>
public sealed record RougeScore(double Precision, double Recall, double F);

/// <summary>
/// ROUGE-N (Lin 2004) as Google's rouge-score computes it: the n-grams of hypothesis and reference
/// (tokens as in <see cref="RougeL.Tokenize"/>: lowercase runs of letters and digits, no stemming)
/// are counted, the overlap is the sum over n-grams of the smaller count (clipped), P = overlap /
/// hypothesis n-grams, R = overlap / reference n-grams, F = 2PR / (P + R). With several references a
/// segment takes the best F; the corpus score is the mean over segments (a fraction in [0, 1]).
/// ROUGE-1 and ROUGE-2 with <see cref="RougeL"/> are the summarisation papers' triple.
/// </summary>
public static class RougeN
{
    /// <summary>ROUGE-<paramref name="n"/> of one hypothesis against one reference.</summary>
    public static RougeScore Sentence(string hypothesis, string reference, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "ROUGE-N needs n >= 1");
        var h = Counts(RougeL.Tokenize(hypothesis), n);
        var r = Counts(RougeL.Tokenize(reference), n);
        int overlap = h.Sum(kv => r.TryGetValue(kv.Key, out var c) ? Math.Min(kv.Value, c) : 0);
        double p = overlap / (double)Math.Max(1, h.Values.Sum());
        double rec = overlap / (double)Math.Max(1, r.Values.Sum());
        return new RougeScore(p, rec, p + rec > 0 ? 2 * p * rec / (p + rec) : 0);
    }

    /// <summary>Mean over segments of the best ROUGE-<paramref name="n"/> F-measure against that segment's references.</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references, int n)
    {
        if (hypotheses.Count != references.Count) throw new ArgumentException($"{hypotheses.Count} hypotheses for {references.Count} reference lists");
        if (hypotheses.Count == 0) throw new ArgumentException($"ROUGE-{n} of an empty corpus is undefined");
        double sum = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (references[i].Count == 0) throw new ArgumentException($"segment {i} has no reference");
            sum += references[i].Max(r => Sentence(hypotheses[i], r, n).F);
        }
        return sum / hypotheses.Count;
    }

    private static Dictionary<string, int> Counts(List<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>();
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            var gram = string.Join(" ", tokens.Skip(i).Take(n));
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }
}
