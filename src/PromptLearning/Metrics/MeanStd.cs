using System.Text.Json.Serialization;

namespace PromptLearning.Metrics;

/// <summary>
/// Mean and sample standard deviation (divided by n − 1; 0 for a single value) of repeated runs, e.g. one score per
/// seed: the one spread that the few-shot curves, the claims (in their JSON as <c>mean</c> and <c>std</c>) and the
/// notebooks' tables, charts and verdicts report.
/// </summary>
/// <param name="Mean">The mean of the values.</param>
/// <param name="Std">Their sample standard deviation.</param>
public readonly record struct MeanStd(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("std")] double Std)
{
    /// <summary>The mean and sample standard deviation of <paramref name="values"/> (at least one).</summary>
    public static MeanStd Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("mean and standard deviation of no values", nameof(values));
        double mean = values.Average();
        double std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new MeanStd(mean, std);
    }
}
