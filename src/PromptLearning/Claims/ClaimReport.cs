using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PromptLearning.Metrics;

namespace PromptLearning.Claims;

/// <summary>The numbers one seed of a claim's experiment measured (metric name -> value).</summary>
/// <param name="Seed">The seed (training subset, initialisation and order).</param>
/// <param name="Values">Measured values, e.g. <c>prefix_dev_bleu</c>; scores are fractions in [0, 1] as in
/// <see cref="PromptLearning.Prompts.TaskMetrics"/> (BLEU too), and the bars print them as points (x 100).</param>
public sealed record ClaimRun(
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("values")] IReadOnlyDictionary<string, double> Values);

/// <summary>One bar of a claim, checked on the means over seeds.</summary>
/// <param name="Bar">The bar in words, e.g. "prefix dev BLEU >= 45".</param>
/// <param name="Measured">The measured side, e.g. "38.2".</param>
/// <param name="Holds">Whether the bar is met.</param>
public sealed record ClaimCheck(
    [property: JsonPropertyName("bar")] string Bar,
    [property: JsonPropertyName("measured")] string Measured,
    [property: JsonPropertyName("holds")] bool Holds);

/// <summary>
/// What one claim's experiment found: per-seed numbers, mean and std per metric, and each bar
/// checked on the means. The verdict is "holds" when every bar is met, else "fails".
/// </summary>
public sealed record ClaimReport
{
    /// <summary>Short id (<c>plearn claims --only ID</c>).</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }
    /// <summary>The claim in words.</summary>
    [JsonPropertyName("title")] public required string Title { get; init; }
    /// <summary>The backbone the experiment ran on.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>Per-seed values.</summary>
    [JsonPropertyName("runs")] public required IReadOnlyList<ClaimRun> Runs { get; init; }
    /// <summary>The bars, checked on the means.</summary>
    [JsonPropertyName("checks")] public required IReadOnlyList<ClaimCheck> Checks { get; init; }
    /// <summary>Wall time of the experiment (summed over its processes when <c>plearn claims --parallel</c> ran its seeds apart).</summary>
    [JsonPropertyName("seconds")] public required double Seconds { get; init; }
    /// <summary>
    /// What the experiment found about the paper's statement when the bar is only to measure it
    /// (e.g. "real-word initialisation helps: refuted at this scale"); null for claims whose bars are the statement.
    /// </summary>
    [JsonPropertyName("finding")] public string? Finding { get; init; }

    /// <summary>Mean and std of every metric over the runs.</summary>
    [JsonPropertyName("summary")]
    public IReadOnlyDictionary<string, MeanStd> Summary => Runs.SelectMany(r => r.Values.Keys).Distinct()
        .ToDictionary(k => k, k => MeanStd.Of(Runs.Select(r => r.Values[k]).ToList()));

    /// <summary>"holds" when every check holds, else "fails".</summary>
    [JsonPropertyName("verdict")] public string Verdict => Checks.All(c => c.Holds) ? "holds" : "fails";

    /// <summary>Mean of <paramref name="metric"/> over the runs; names the metric when a run lacks it.</summary>
    public double Mean(string metric) => Runs.Count == 0 ? double.NaN : Runs.Average(r =>
        r.Values.TryGetValue(metric, out var v) ? v : throw new KeyNotFoundException($"claim '{Id}': seed {r.Seed} has no value '{metric}'"));

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Several reports as one JSON document (<c>{"claims": [...]}</c>).</summary>
    public static string ToJson(IReadOnlyList<ClaimReport> reports) => JsonSerializer.Serialize(new { claims = reports }, JsonOptions);

    /// <summary>
    /// The reports of a document written by <see cref="ToJson"/> (<c>{"claims": [...]}</c>); <paramref name="source"/> names
    /// where it came from (a file, a child process) in the error when it is not such a document.
    /// </summary>
    public static IReadOnlyList<ClaimReport> FromJson(string json, string source)
    {
        try
        {
            var doc = JsonSerializer.Deserialize<ClaimsDocument>(json, JsonOptions);
            return doc?.Claims ?? throw new FormatException($"{source}: no \"claims\" array");
        }
        catch (JsonException e) { throw new FormatException($"{source}: not a claims document ({e.Message})", e); }
    }

    private sealed record ClaimsDocument([property: JsonPropertyName("claims")] IReadOnlyList<ClaimReport>? Claims);

    /// <summary>A plain-text table: one block per claim with its metrics (mean ± std, per seed) and its checks.</summary>
    public static string ToTable(IReadOnlyList<ClaimReport> reports)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var r in reports)
        {
            var time = r.Seconds > 0 ? string.Create(ci, $", {r.Seconds:F0} s") : "";
            sb.AppendLine(ci, $"[{r.Id}] {r.Title}: {r.Verdict.ToUpperInvariant()} ({r.Model}, seeds {string.Join(",", r.Runs.Select(x => x.Seed))}{time})");
            // Per-seed values are rounded (Math.Round) before printing, as the notebooks' tables round them: F3
            // alone prints 630/800 = 0.7875 as 0.787, because the double nearest 0.7875 lies just below it.
            foreach (var (metric, s) in r.Summary)
                sb.AppendLine(ci, $"    {metric,-28} {s.Mean,8:F3} ± {s.Std:F3}   per seed: {string.Join(", ", r.Runs.Select(x => Math.Round(x.Values[metric], 3).ToString("F3", ci)))}");
            foreach (var c in r.Checks)
                sb.AppendLine(ci, $"    {(c.Holds ? "ok  " : "FAIL")} {c.Bar}: {c.Measured}");
            if (r.Finding is not null) sb.AppendLine(ci, $"    finding: {r.Finding}");
        }
        return sb.ToString();
    }
}
