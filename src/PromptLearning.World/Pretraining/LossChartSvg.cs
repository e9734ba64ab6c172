using System.Globalization;
using System.Text;

namespace PromptLearning.Pretraining;

/// <summary>A self-contained SVG line chart of training loss against step (for model cards; no script, no fonts to fetch).</summary>
public static class LossChartSvg
{
    /// <summary>
    /// The chart of <paramref name="points"/> (step, loss) with axes, ticks, title and axis labels;
    /// <paramref name="heldOut"/> (step, value) is drawn as a second, dashed series when given.
    /// </summary>
    public static string Render(IReadOnlyList<(int Step, double Loss)> points, string title,
        IReadOnlyList<(int Step, double Value)>? heldOut = null, string heldOutLabel = "held-out loss")
    {
        if (points.Count == 0) throw new ArgumentException("no points to draw", nameof(points));
        const int width = 640, height = 360, left = 60, right = 20, top = 40, bottom = 50;
        var ci = CultureInfo.InvariantCulture;
        var all = points.Select(p => p.Loss).Concat(heldOut?.Select(p => p.Value) ?? Enumerable.Empty<double>()).Where(double.IsFinite).ToList();
        double yMin = 0, yMax = NiceCeiling(all.Max());
        double xMin = 0, xMax = Math.Max(1, points.Max(p => p.Step));
        double X(double s) => left + (s - xMin) / (xMax - xMin) * (width - left - right);
        double Y(double v) => top + (1 - (v - yMin) / (yMax - yMin)) * (height - top - bottom);

        var sb = new StringBuilder();
        sb.Append(ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(ci, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(ci, $"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        for (int i = 0; i <= 5; i++)
        {
            var v = yMin + (yMax - yMin) * i / 5;
            var y = Y(v);
            sb.Append(ci, $"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{width - right}\" y2=\"{y:F1}\" stroke=\"#e5e5e5\"/>\n");
            sb.Append(ci, $"<text x=\"{left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{v:0.##}</text>\n");
            var s = xMin + (xMax - xMin) * i / 5;
            sb.Append(ci, $"<text x=\"{X(s):F1}\" y=\"{height - bottom + 18}\" text-anchor=\"middle\">{s:0}</text>\n");
        }
        sb.Append(ci, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        sb.Append(ci, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        sb.Append(ci, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 12}\" text-anchor=\"middle\">optimizer step</text>\n");
        sb.Append(ci, $"<text transform=\"translate(16 {(top + height - bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">cross-entropy loss (nats)</text>\n");
        sb.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
        sb.AppendJoin(" ", points.Where(p => double.IsFinite(p.Loss)).Select(p => string.Create(ci, $"{X(p.Step):F1},{Y(p.Loss):F1}")));
        sb.Append("\"/>\n");
        sb.Append(ci, $"<text x=\"{width - right - 150}\" y=\"{top + 14}\" fill=\"#1f77b4\">— training loss</text>\n");
        if (heldOut is { Count: > 0 })
        {
            sb.Append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" points=\"");
            sb.AppendJoin(" ", heldOut.Where(p => double.IsFinite(p.Value)).Select(p => string.Create(ci, $"{X(p.Step):F1},{Y(p.Value):F1}")));
            sb.Append("\"/>\n");
            sb.Append(ci, $"<text x=\"{width - right - 150}\" y=\"{top + 30}\" fill=\"#d62728\">- - {Escape(heldOutLabel)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static double NiceCeiling(double v)
    {
        if (!(v > 0)) return 1;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
            if (m * mag >= v) return m * mag;
        return 10 * mag;
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
