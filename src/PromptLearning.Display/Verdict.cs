using System.Globalization;
using PromptLearning.Metrics;

namespace PromptLearning.Display;

/// <summary>
/// Verdicts on comparisons of methods or settings that notebooks print: a difference is called a
/// difference only when both sides were measured on at least <see cref="MinSeeds"/> seeds and the
/// difference of their means is larger than the spread (the larger of the two standard deviations
/// over seeds); otherwise the sentence says "no difference at this budget" or "no verdict" and
/// gives the numbers, so one or two lucky runs on a small dev set are never read as a finding.
/// </summary>
public static class Verdict
{
    /// <summary>Fewest seeds per side for a verdict.</summary>
    public const int MinSeeds = 3;

    /// <summary>
    /// One sentence comparing <paramref name="a"/> with <paramref name="b"/> from their per-seed
    /// scores, each multiplied by <paramref name="scale"/> (e.g. 100 for accuracies printed in
    /// points) and printed with <paramref name="format"/> and <paramref name="unit"/>.
    /// </summary>
    public static string Compare(string a, IReadOnlyCollection<double> aRuns, string b, IReadOnlyCollection<double> bRuns,
        string unit = "", double scale = 1, string format = "F2")
    {
        if (aRuns.Count == 0 || bRuns.Count == 0)
            throw new ArgumentException($"comparison '{a}' vs '{b}': no runs for {(aRuns.Count == 0 ? a : b)}");
        var (ma, sa) = MeanStd.Of(aRuns);
        var (mb, sb) = MeanStd.Of(bRuns);
        double diff = (ma - mb) * scale, spread = Math.Max(sa, sb) * scale;
        string u = unit.Length == 0 ? "" : " " + unit;
        string D(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        string Signed(double v) => (v >= 0 ? "+" : "") + D(v);
        int n = Math.Min(aRuns.Count, bRuns.Count);
        if (n < MinSeeds)
            return $"{a} vs {b}: {Signed(diff)}{u} from {Seeds(n)}: no verdict " +
                   $"(a verdict needs at least {MinSeeds} seeds per side and a difference larger than the spread over them)";
        if (Math.Abs(diff) <= spread)
            return $"{a} vs {b}: no difference at this budget ({Signed(diff)}{u}, spread ±{D(spread)}{u} over {Seeds(n)})";
        var (winner, loser) = diff > 0 ? (a, b) : (b, a);
        return $"{winner} beats {loser} by {D(Math.Abs(diff))}{u} (spread ±{D(spread)}{u} over {Seeds(n)})";
    }

    /// <summary>
    /// One sentence naming the best of several <paramref name="options"/> (highest mean) and
    /// whether it is clearly ahead of the runner-up (<see cref="Compare"/>'s rule).
    /// </summary>
    public static string Best(string what, IEnumerable<(string Name, IReadOnlyCollection<double> Runs)> options,
        string unit = "", double scale = 1, string format = "F2")
    {
        var ranked = options.OrderByDescending(o => o.Runs.Count == 0 ? double.NegativeInfinity : o.Runs.Average()).ToList();
        if (ranked.Count == 0) throw new ArgumentException($"best {what}: no options", nameof(options));
        string D(double v) => (v * scale).ToString(format, CultureInfo.InvariantCulture);
        string u = unit.Length == 0 ? "" : " " + unit;
        var top = ranked[0];
        if (ranked.Count == 1) return $"{what}: only {top.Name} was measured ({D(top.Runs.Average())}{u})";
        var second = ranked[1];
        var comparison = Compare(top.Name, top.Runs, second.Name, second.Runs, unit, scale, format);
        return $"{what}: highest mean {top.Name} ({D(top.Runs.Average())}{u}); against the runner-up, {comparison}";
    }

    private static string Seeds(int n) => n == 1 ? "1 seed" : $"{n} seeds";
}
