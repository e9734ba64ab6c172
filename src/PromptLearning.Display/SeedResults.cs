using System.Globalization;
using Microsoft.Data.Analysis;
using PromptLearning.Metrics;

namespace PromptLearning.Display;

/// <summary>
/// Scores of several settings (methods, lengths, initialisations) each measured on several seeds:
/// what a notebook collects before it charts means with error bars and prints a
/// <see cref="Verdict"/>. Settings keep the order in which they were first added.
/// </summary>
public sealed class SeedResults
{
    private readonly List<(string Setting, int Seed, string Metric, double Value)> _rows = new();

    /// <summary>Records <paramref name="value"/> of <paramref name="metric"/> for <paramref name="setting"/> on <paramref name="seed"/> (once per triple).</summary>
    public void Add(string setting, int seed, string metric, double value)
    {
        if (double.IsNaN(value)) throw new ArgumentException($"{setting}, seed {seed}: {metric} is NaN", nameof(value));
        if (_rows.Any(r => r.Setting == setting && r.Seed == seed && r.Metric == metric))
            throw new ArgumentException($"{setting}, seed {seed}: {metric} was already recorded");
        _rows.Add((setting, seed, metric, value));
    }

    /// <summary>The settings, in the order first added.</summary>
    public IReadOnlyList<string> Settings => _rows.Select(r => r.Setting).Distinct().ToList();

    /// <summary>The seeds measured for <paramref name="setting"/>, ascending.</summary>
    public IReadOnlyList<int> Seeds(string setting) => _rows.Where(r => r.Setting == setting).Select(r => r.Seed).Distinct().Order().ToList();

    /// <summary>The per-seed values of <paramref name="metric"/> for <paramref name="setting"/>, by seed; throws naming both when there are none.</summary>
    public IReadOnlyList<double> Runs(string setting, string metric)
    {
        var runs = _rows.Where(r => r.Setting == setting && r.Metric == metric).OrderBy(r => r.Seed).Select(r => r.Value).ToList();
        return runs.Count > 0 ? runs
            : throw new KeyNotFoundException($"no runs of '{setting}' with metric '{metric}' (settings: {string.Join(", ", Settings)})");
    }

    /// <summary>The value of <paramref name="metric"/> for <paramref name="setting"/> on <paramref name="seed"/>; throws naming all three when it was not recorded.</summary>
    public double Value(string setting, int seed, string metric)
    {
        foreach (var r in _rows)
            if (r.Setting == setting && r.Seed == seed && r.Metric == metric) return r.Value;
        throw new KeyNotFoundException($"no value of '{metric}' for '{setting}' on seed {seed} (seeds: {string.Join(", ", Seeds(setting))})");
    }

    /// <summary>Mean and sample standard deviation over seeds.</summary>
    public MeanStd Summary(string setting, string metric) => MeanStd.Of(Runs(setting, metric).ToList());

    /// <summary>Bars of <paramref name="metric"/>'s means over the seeds with the standard deviations as error bars, one per setting of <paramref name="settings"/>.</summary>
    public BarSeries Bars(string metric, IReadOnlyList<string> settings, string? name = null)
    {
        var stats = settings.Select(s => Summary(s, metric)).ToList();
        return new(name ?? metric, stats.Select(x => x.Mean).ToList(), stats.Select(x => x.Std).ToList());
    }

    /// <summary>A line of <paramref name="metric"/>'s means (error bars: standard deviations) at each point's x value.</summary>
    public Series Line(string metric, IReadOnlyList<(double X, string Setting)> points, string? name = null)
    {
        var stats = points.Select(p => Summary(p.Setting, metric)).ToList();
        return new(name ?? metric, points.Select(p => p.X).ToList(), stats.Select(x => x.Mean).ToList(), stats.Select(x => x.Std).ToList());
    }

    /// <summary>One row per setting: the seeds, then each metric as "mean ± std".</summary>
    public DataFrame Table(params string[] metrics)
    {
        var settings = Settings;
        string Cell(string s, string m)
        {
            if (!_rows.Any(r => r.Setting == s && r.Metric == m)) return "-";
            var (mean, std) = Summary(s, m);
            return string.Create(CultureInfo.InvariantCulture, $"{mean:F2} ± {std:F2}");
        }
        var columns = new List<(string, System.Collections.IEnumerable)>
        {
            ("setting", settings),
            ("seeds", settings.Select(s => string.Join(",", Seeds(s)))),
        };
        columns.AddRange(metrics.Select(m => (m + " (mean ± std)", (System.Collections.IEnumerable)settings.Select(s => Cell(s, m)).ToList())));
        return Tables.FromColumns(columns.ToArray());
    }
}
