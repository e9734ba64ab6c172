using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.TraceObjects;
using PChart = Plotly.NET.CSharp.Chart;

namespace PromptLearning.Display;

/// <summary>An axis: its title and unit (shown as "Title (unit)"), optionally logarithmic.</summary>
public sealed record Axis(string Title, string? Unit = null, bool Log = false)
{
    /// <summary>The axis label.</summary>
    public string Label => Unit is null ? Title : $"{Title} ({Unit})";
}

/// <summary>One line of a <see cref="Charts.LineChart"/>: y over x, with optional ± error bars.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? YError = null)
{
    /// <summary>Mean ± sample standard deviation over runs (<see cref="Metrics.MeanStd"/>): <paramref name="runs"/>[i] holds the values measured at <paramref name="x"/>[i] (e.g. one per seed).</summary>
    public static Series MeanStd(string name, IReadOnlyList<double> x, IReadOnlyList<IReadOnlyList<double>> runs)
    {
        if (x.Count != runs.Count) throw new ArgumentException($"series '{name}': {x.Count} x values but {runs.Count} groups of runs.");
        var stats = runs.Select((r, i) => r.Count > 0 ? Metrics.MeanStd.Of(r) : throw new ArgumentException($"series '{name}': no runs at x = {x[i]}.")).ToList();
        return new Series(name, x, stats.Select(s => s.Mean).ToList(), stats.Select(s => s.Std).ToList());
    }
}

/// <summary>One group of bars in a <see cref="Charts.BarChart"/> (one value per category), with optional ± error bars.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);

/// <summary>A labelled point of a <see cref="Charts.Scatter"/>; points with the same <paramref name="Group"/> share a colour and legend entry.</summary>
public sealed record LabeledPoint(string Label, double X, double Y, string Group = "");

/// <summary>
/// Plotly.NET charts for results: every chart has a title and labelled axes (with units).
/// They render inline in Polyglot Notebooks (with Plotly.NET.Interactive) and in the headless runner.
/// </summary>
public static class Charts
{
    /// <summary>Default chart size in pixels.</summary>
    public const int Width = 720, Height = 420;

    /// <summary>Lines with markers (e.g. training curves, accuracy vs. number of examples); error bars where a series has them.</summary>
    public static GenericChart LineChart(string title, Axis x, Axis y, params Series[] series)
    {
        if (series.Length == 0) throw new ArgumentException($"chart '{title}': no series.");
        var traces = series.Select(s =>
        {
            Check(title, s.Name, s.X.Count, s.Y.Count, s.YError?.Count);
            var line = PChart.Line<double, double, string>(x: s.X, y: s.Y, Name: s.Name, ShowMarkers: true);
            return s.YError is null ? line : WithYError(line, s.YError);
        });
        return Style(PChart.Combine(traces), title, x, y);
    }

    /// <summary>Grouped bars: one bar per category for each series (e.g. accuracy per method and task), with ± error bars where given.</summary>
    public static GenericChart BarChart(string title, Axis x, Axis y, IReadOnlyList<string> categories, params BarSeries[] series)
    {
        if (series.Length == 0) throw new ArgumentException($"chart '{title}': no series.");
        var traces = series.Select(s =>
        {
            Check(title, s.Name, categories.Count, s.Values.Count, s.Errors?.Count);
            var bars = PChart.Column<double, string, string>(values: s.Values, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(categories, true), Name: s.Name);
            return s.Errors is null ? bars : WithYError(bars, s.Errors);
        });
        return Style(PChart.Combine(traces), title, x, y);
    }

    /// <summary>Labelled points, one colour per group (e.g. accuracy vs. trainable parameters on a log x axis).</summary>
    public static GenericChart Scatter(string title, Axis x, Axis y, IEnumerable<LabeledPoint> points)
    {
        var groups = points.GroupBy(p => p.Group).ToList();
        if (groups.Count == 0) throw new ArgumentException($"chart '{title}': no points.");
        var traces = groups.Select(g => PChart.Point<double, double, string>(
            x: g.Select(p => p.X).ToArray(), y: g.Select(p => p.Y).ToArray(),
            Name: g.Key, ShowLegend: g.Key.Length > 0,
            MultiText: g.Select(p => p.Label).ToArray(), TextPosition: StyleParam.TextPosition.TopCenter));
        return Style(PChart.Combine(traces), title, x, y);
    }

    /// <summary>Horizontal bars of labelled values, largest first (e.g. the top predictions for a [MASK]).</summary>
    public static GenericChart Ranking(string title, Axis value, IEnumerable<(string Label, double Value)> items)
    {
        var sorted = items.OrderBy(i => i.Value).ToList(); // plotly draws the first bar at the bottom
        var bars = PChart.Bar<double, string, string>(values: sorted.Select(i => i.Value).ToArray(),
            Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(sorted.Select(i => i.Label).ToArray(), true), ShowLegend: false);
        return Style(bars, title, value, new Axis(""));
    }

    private static void Check(string title, string name, int xCount, int yCount, int? errorCount)
    {
        if (xCount != yCount) throw new ArgumentException($"chart '{title}', series '{name}': {xCount} x values but {yCount} y values.");
        if (errorCount is int e && e != yCount) throw new ArgumentException($"chart '{title}', series '{name}': {yCount} values but {e} error values.");
    }

    private static GenericChart WithYError(GenericChart chart, IReadOnlyList<double> errors)
    {
        var error = Error.init<double, double>(
            FSharpOption<bool>.Some(true), FSharpOption<StyleParam.ErrorType>.Some(StyleParam.ErrorType.Data), FSharpOption<bool>.Some(true),
            FSharpOption<IEnumerable<double>>.Some(errors.ToArray()), null, null, null, null, null, null, null, null, null, null, null);
        return Plotly.NET.Chart.withYError(error).Invoke(chart);
    }

    private static GenericChart Style(GenericChart chart, string title, Axis x, Axis y)
    {
        chart = Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: x.Label,
            AxisType: x.Log ? StyleParam.AxisType.Log : StyleParam.AxisType.Auto);
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: y.Label,
            AxisType: y.Log ? StyleParam.AxisType.Log : StyleParam.AxisType.Auto);
        return Plotly.NET.CSharp.GenericChartExtensions.WithSize(chart, Width, Height);
    }
}
