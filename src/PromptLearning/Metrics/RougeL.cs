using System.Text;

namespace PromptLearning.Metrics;

/// <summary>
/// ROUGE-L (Lin 2004): the longest common subsequence (LCS) of hypothesis and reference tokens
/// gives P = LCS/|hyp|, R = LCS/|ref| and F = (1 + beta^2) P R / (R + beta^2 P). Per segment the
/// best F over its references is taken; the corpus score is the mean over segments (a fraction in
/// [0, 1]). Tokens are lowercase runs of letters and digits, as in Google's rouge-score.
/// </summary>
public static class RougeL
{
    /// <summary>Mean over segments of the best ROUGE-L F-measure against that segment's references.</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references, double beta = 1.0)
    {
        if (hypotheses.Count != references.Count) throw new ArgumentException($"{hypotheses.Count} hypotheses for {references.Count} reference lists");
        if (hypotheses.Count == 0) throw new ArgumentException("ROUGE-L of an empty corpus is undefined");
        double sum = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (references[i].Count == 0) throw new ArgumentException($"segment {i} has no reference");
            sum += references[i].Max(r => Sentence(hypotheses[i], r, beta));
        }
        return sum / hypotheses.Count;
    }

    /// <summary>ROUGE-L F-measure of one hypothesis against one reference.</summary>
    public static double Sentence(string hypothesis, string reference, double beta = 1.0)
    {
        var h = Tokenize(hypothesis);
        var r = Tokenize(reference);
        if (h.Count == 0 || r.Count == 0) return 0;
        int lcs = Lcs(h, r);
        if (lcs == 0) return 0;
        double p = lcs / (double)h.Count, rec = lcs / (double)r.Count;
        double b2 = beta * beta;
        return (1 + b2) * p * rec / (rec + b2 * p);
    }

    /// <summary>Lowercased alphanumeric tokens.</summary>
    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (var ch in text.ToLowerInvariant())
        {
            if (ch is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(ch);
            else if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    /// <summary>Length of the longest common subsequence (dynamic programming, two rows).</summary>
    public static int Lcs(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }
}
