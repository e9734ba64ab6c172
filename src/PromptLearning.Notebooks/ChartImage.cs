using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ScottPlot;

namespace PromptLearning.Notebooks;

/// <summary>
/// A static PNG of a chart output, for readers whose viewer runs no JavaScript (GitHub shows a notebook's
/// <c>image/png</c> and Markdown images, not Plotly's script). It reads the figure Plotly.NET.Interactive
/// writes into the output's HTML (<c>var data = [...]; var layout = {...};</c>) and draws it with ScottPlot:
/// the trace kinds the library's <c>Charts</c> make (vertical and horizontal bars, grouped, and lines,
/// markers and labelled markers, each with optional ± error bars), titles, and linear or log axes.
/// A figure with anything else (another trace type, a second axis) is not drawn: <see cref="TryRender"/>
/// returns null and names what it did not know, so no picture silently drops a series.
/// </summary>
public static partial class ChartImage
{
    /// <summary>Whether <paramref name="html"/> is a Plotly chart output.</summary>
    public static bool IsChart(string html) => html.Contains("Plotly.newPlot", StringComparison.Ordinal);

    /// <summary>
    /// The chart in <paramref name="html"/> as PNG bytes at the figure's own size (720 x 420 unless its layout
    /// says otherwise), or null with <paramref name="problem"/> saying why (no figure found, an unknown trace).
    /// </summary>
    public static byte[]? TryRender(string html, out string? problem, out string title)
    {
        title = "";
        var data = DataJson().Match(html);
        var layoutMatch = LayoutJson().Match(html);
        if (!data.Success || !layoutMatch.Success) { problem = "no Plotly figure (var data/var layout) in the output"; return null; }
        JsonArray traces;
        JsonObject layout;
        try
        {
            traces = JsonNode.Parse(data.Groups[1].Value) as JsonArray ?? throw new JsonException("data is not an array");
            layout = JsonNode.Parse(layoutMatch.Groups[1].Value) as JsonObject ?? throw new JsonException("layout is not an object");
        }
        catch (JsonException e) { problem = $"the figure's JSON does not parse: {e.Message}"; return null; }

        title = Str(layout["title"]?["text"]) ?? "";
        int width = (int?)Num(layout["width"]) ?? 720, height = (int?)Num(layout["height"]) ?? 420;
        bool logX = Str(layout["xaxis"]?["type"]) == "log", logY = Str(layout["yaxis"]?["type"]) == "log";

        if (layout.Select(p => p.Key).FirstOrDefault(k => k.StartsWith("xaxis", StringComparison.Ordinal) && k != "xaxis" || k.StartsWith("yaxis", StringComparison.Ordinal) && k != "yaxis") is { } second)
        {
            problem = $"a second axis ({second}) is not drawn";
            return null;
        }
        using var plot = new Plot();
        try
        {
            plot.Title(title, size: 13);
            plot.XLabel(Str(layout["xaxis"]?["title"]?["text"]) ?? "", size: 12);
            plot.YLabel(Str(layout["yaxis"]?["title"]?["text"]) ?? "", size: 12);
            var bars = traces.OfType<JsonObject>().Where(t => Str(t["type"]) == "bar").ToList();
            var lines = traces.OfType<JsonObject>().Where(t => Str(t["type"]) == "scatter").ToList();
            var other = traces.OfType<JsonObject>().Select(t => Str(t["type"]) ?? "?").Where(k => k is not "bar" and not "scatter").Distinct().ToList();
            if (other.Count > 0) { problem = $"trace type {string.Join(", ", other)} is not drawn"; return null; }
            if (bars.Count > 0 && lines.Count > 0) { problem = "bars and lines in one figure are not drawn"; return null; }

            int colour = 0;
            if (bars.Count > 0) DrawBars(plot, bars, logX, logY, width);
            foreach (var trace in lines) DrawScatter(plot, trace, plot.Add.Palette.GetColor(colour++), logX, logY);
            if (logX) LogTicks(plot.Axes.Bottom, lines.Concat(bars.Where(b => Str(b["orientation"]) == "h")), "x");
            if (logY) LogTicks(plot.Axes.Left, lines.Concat(bars.Where(b => Str(b["orientation"]) != "h")), "y");
            // Labelled markers name themselves; otherwise several named series get a legend on the right, and
            // the picture widens by it so that the plot area keeps the figure's width.
            bool labelled = lines.Any(t => (Str(t["mode"]) ?? "").Contains("text", StringComparison.Ordinal));
            if (labelled) plot.Axes.Margins(0.22, 0.15);
            bool legend = !labelled && traces.Count > 1 && traces.OfType<JsonObject>().Any(t => Str(t["name"]) is { Length: > 0 });
            if (legend) { plot.ShowLegend(Edge.Right); width += 180; }
            else plot.HideLegend();
            problem = null;
            return plot.GetImageBytes(width, height, ImageFormat.Png);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            problem = $"the figure could not be drawn: {e.Message}";
            return null;
        }
    }

    private static void DrawScatter(Plot plot, JsonObject trace, Color color, bool logX, bool logY)
    {
        var values = Numbers(trace["y"], "y");
        var xs = Numbers(trace["x"], "x").Select(x => Axis(x, logX)).ToArray();
        var ys = values.Select(y => Axis(y, logY)).ToArray();
        if (xs.Length != ys.Length) throw new FormatException($"trace '{Str(trace["name"])}': {xs.Length} x values but {ys.Length} y values");
        string mode = Str(trace["mode"]) ?? "lines+markers";
        var scatter = plot.Add.Scatter(xs, ys, color);
        scatter.LegendText = Str(trace["name"]) ?? "";
        scatter.LineWidth = mode.Contains("lines", StringComparison.Ordinal) ? 2 : 0;
        scatter.MarkerSize = mode.Contains("markers", StringComparison.Ordinal) ? 7 : 0;
        if (Errors(trace) is { } errors)
        {
            var bars = plot.Add.ErrorBar(xs, ys, LogErrors(values, errors, logY));
            bars.Color = color;
        }
        if (mode.Contains("text", StringComparison.Ordinal) && trace["text"] is JsonArray texts)
            for (int i = 0; i < Math.Min(texts.Count, xs.Length); i++)
            {
                var label = plot.Add.Text(Str(texts[i]) ?? "", xs[i], ys[i]);
                label.LabelAlignment = Alignment.LowerCenter;
                label.LabelOffsetY = -6;
                label.LabelFontSize = 11;
                label.LabelFontColor = color;
            }
    }

    private static void DrawBars(Plot plot, List<JsonObject> traces, bool logX, bool logY, int width)
    {
        bool horizontal = Str(traces[0]["orientation"]) == "h";
        // Categories are the category axis' values in the order they first appear (Plotly's order).
        var categories = new List<string>();
        foreach (var t in traces)
            foreach (var c in Categories(t[horizontal ? "y" : "x"]))
                if (!categories.Contains(c)) categories.Add(c);
        bool logValue = horizontal ? logX : logY;
        double valueBase = logValue ? LogBase(traces) : 0;
        double barWidth = 0.8 / traces.Count;
        var all = new List<Bar>();
        for (int s = 0; s < traces.Count; s++)
        {
            var t = traces[s];
            var cats = Categories(t[horizontal ? "y" : "x"]).ToList();
            var values = Numbers(t[horizontal ? "x" : "y"], horizontal ? "x" : "y");
            var errors = Errors(t) is { } e ? LogErrors(values, e, logValue) : null;
            var color = plot.Add.Palette.GetColor(s);
            for (int i = 0; i < Math.Min(cats.Count, values.Length); i++)
            {
                double position = categories.IndexOf(cats[i]) + (s - (traces.Count - 1) / 2.0) * barWidth;
                all.Add(new Bar
                {
                    Position = position, Value = Axis(values[i], logValue), ValueBase = valueBase,
                    Error = errors is not null && i < errors.Length ? errors[i] : 0,
                    FillColor = color, Size = barWidth * 0.95,
                });
            }
            if (traces.Count > 1) plot.Legend.ManualItems.Add(new LegendItem { LabelText = Str(t["name"]) ?? "", FillColor = color });
        }
        var barPlot = plot.Add.Bars(all);
        barPlot.Horizontal = horizontal;
        // Labels under vertical bars wrap to the width of their category (about 7 pixels a character).
        int chars = Math.Max(10, (int)(0.85 * width / categories.Count / 7));
        var ticks = categories.Select((c, i) => new Tick(i, horizontal ? c : Wrap(c, chars))).ToArray();
        var axis = horizontal ? (IAxis)plot.Axes.Left : plot.Axes.Bottom;
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
    }

    /// <summary>A category label on lines of about <paramref name="width"/> characters, broken at spaces.</summary>
    public static string Wrap(string label, int width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in label.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { lines.Add(line); line = word; }
            else line = line.Length == 0 ? word : line + " " + word;
        }
        lines.Add(line);
        return string.Join("\n", lines);
    }

    /// <summary>The bottom of log-scale bars: the decade below the smallest value.</summary>
    private static double LogBase(List<JsonObject> traces)
    {
        var all = traces.SelectMany(t => Numbers(t[Str(t["orientation"]) == "h" ? "x" : "y"], "value")).Where(v => v > 0).DefaultIfEmpty(1);
        return Math.Floor(Math.Log10(all.Min()));
    }

    /// <summary>
    /// Log axes are drawn in log10 units with ticks labelled as the values themselves: at whole decades when
    /// the values span one or more, else at a few values in between (two models of 1M and 4M parameters).
    /// </summary>
    private static void LogTicks(IAxis axis, IEnumerable<JsonObject> traces, string field)
    {
        var values = traces.SelectMany(t => Numbers(t[field], field)).Where(v => v > 0).ToList();
        if (values.Count == 0 || Math.Log10(values.Max()) - Math.Log10(values.Min()) >= 1)
        {
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => FormatValue(Math.Pow(10, v)),
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
            return;
        }
        // Less than a decade: ticks at 1-9 times a power of ten, the axis from the tick below the smallest value
        // to the one above the largest.
        var candidates = Enumerable.Range((int)Math.Floor(Math.Log10(values.Min())), 2 + (int)Math.Ceiling(Math.Log10(values.Max()) - Math.Floor(Math.Log10(values.Min()))))
            .SelectMany(k => Enumerable.Range(1, 9).Select(m => m * Math.Pow(10, k))).ToList();
        double from = candidates.Where(v => v <= values.Min()).DefaultIfEmpty(values.Min()).Max();
        double to = candidates.Where(v => v >= values.Max()).DefaultIfEmpty(values.Max()).Min();
        var ticks = candidates.Where(v => v >= from && v <= to).Select(v => new Tick(Math.Log10(v), FormatValue(v))).ToArray();
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        double pad = (Math.Log10(to) - Math.Log10(from)) * 0.03;
        axis.Range.Set(Math.Log10(from) - pad, Math.Log10(to) + pad);
    }

    private static string FormatValue(double v) =>
        v.ToString(v >= 1e4 ? "0.##e+0" : "G4", CultureInfo.InvariantCulture);

    private static double Axis(double value, bool log) => log ? Math.Log10(Math.Max(value, double.Epsilon)) : value;

    /// <summary>± errors on a log axis become the (mean of the) distances in log units.</summary>
    private static double[] LogErrors(double[] values, double[] errors, bool log) => !log ? errors
        : values.Zip(errors, (v, e) => v <= 0 ? 0 : (Math.Log10(v + e) - Math.Log10(Math.Max(v - e, v * 1e-3))) / 2).ToArray();

    private static double[]? Errors(JsonObject trace) =>
        trace["error_y"] is JsonObject e && e["visible"]?.GetValue<bool>() != false && e["array"] is JsonArray a ? Numbers(a, "error_y") : null;

    private static IEnumerable<string> Categories(JsonNode? node) =>
        (node as JsonArray ?? throw new FormatException("a bar trace has no categories")).Select(c => c is JsonValue v && v.TryGetValue<string>(out var s) ? s : c?.ToJsonString() ?? "");

    private static double[] Numbers(JsonNode? node, string field) => node is JsonArray a
        ? a.Select(v => Num(v) ?? throw new FormatException($"{field} holds a value that is not a number: {v?.ToJsonString()}")).ToArray()
        : throw new FormatException($"a trace has no '{field}' array");

    private static double? Num(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    [GeneratedRegex(@"var data = (\[.*?\]);\s*\n", RegexOptions.Singleline)] private static partial Regex DataJson();
    [GeneratedRegex(@"var layout = (\{.*?\});\s*\n", RegexOptions.Singleline)] private static partial Regex LayoutJson();
}
