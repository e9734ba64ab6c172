using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using PromptLearning.Notebooks.Kernel;

namespace PromptLearning.Notebooks;

/// <summary>
/// Turns a displayed or returned value into a MIME bundle the way a real Polyglot kernel with
/// Plotly.NET.Interactive and Microsoft.Data.Analysis's kernel extension loaded does:
/// <list type="bullet">
/// <item>Plotly.NET <c>GenericChart</c>: <c>text/html</c>, exactly Plotly.NET.Interactive's output
/// (<c>GenericChart.toChartHTML</c> with a require.js reference to the plotly.js CDN build).</item>
/// <item>Microsoft.Data.Analysis <c>DataFrame</c>: <c>text/html</c> table.</item>
/// <item><c>HTML("...")</c>: <c>text/html</c>; <c>DisplayAs(s, mime)</c>: that MIME type.</item>
/// <item>everything else: <c>text/plain</c> (collections as <c>[ a, b ]</c>).</item>
/// </list>
/// Both chart and data-frame formatting go through reflection on the value's own assembly, so the
/// runner has no Plotly.NET or Microsoft.Data.Analysis dependency that a notebook could see.
/// Chart div ids (random GUIDs in Plotly.NET) are replaced by ids derived from
/// <paramref name="chartIdSeed"/> and a counter, so re-running a notebook gives identical files.
/// </summary>
public sealed partial class ValueFormatter(string chartIdSeed)
{
    /// <summary>Rows shown by the DataFrame table before it is cut.</summary>
    public const int MaxTableRows = 100;
    private const int MaxSequenceItems = 20;
    private int _charts;

    /// <summary>The MIME bundle for a value; <paramref name="mimeTypes"/> are those asked for by display(x, mime) or DisplayAs.</summary>
    public Dictionary<string, string> Format(object? value, IReadOnlyList<string> mimeTypes)
    {
        if (value is string s && mimeTypes.Count > 0) return new() { [mimeTypes[0]] = s };
        if (value is HtmlString html) return new() { ["text/html"] = html.Html };
        if (value is not null && IsType(value.GetType(), "Plotly.NET.GenericChart")) return new() { ["text/html"] = ChartHtml(value) };
        if (value is not null && IsType(value.GetType(), "Microsoft.Data.Analysis.DataFrame")) return new() { ["text/html"] = DataFrameHtml(value) };
        return new() { ["text/plain"] = PlainText(value) };
    }

    private static bool IsType(Type? type, string fullName)
    {
        for (; type is not null; type = type.BaseType)
            if (type.FullName == fullName) return true;
        return false;
    }

    /// <summary>Plotly.NET.Interactive's chart HTML: require.js config pointing at the plotly.js CDN build, then <c>Plotly.newPlot</c>.</summary>
    private string ChartHtml(object chart)
    {
        var asm = chart.GetType().Assembly;
        var globals = asm.GetType("Globals") ?? asm.GetType("Plotly.NET.Globals");
        string plotlyVersion = (string?)(globals?.GetField("PLOTLYJS_VERSION")?.GetValue(null) ?? globals?.GetProperty("PLOTLYJS_VERSION")?.GetValue(null))
            ?? throw new InvalidOperationException("Plotly.NET.Globals.PLOTLYJS_VERSION not found: unsupported Plotly.NET version.");
        var jsRefType = asm.GetType("Plotly.NET.PlotlyJSReference", throwOnError: true)!;
        var jsRef = jsRefType.GetMethod("NewRequire")!.Invoke(null, [$"https://cdn.plot.ly/plotly-{plotlyVersion}.min"]);
        var init = asm.GetType("Plotly.NET.DisplayOptions", throwOnError: true)!.GetMethod("init", BindingFlags.Public | BindingFlags.Static)!;
        var args = new object?[init.GetParameters().Length]; // null = None
        var last = init.GetParameters()[^1].ParameterType; // FSharpOption<PlotlyJSReference>
        args[^1] = last.GetMethod("Some", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, [jsRef]);
        var options = init.Invoke(null, args);
        var module = asm.GetTypes().First(t => t.FullName is "Plotly.NET.GenericChartModule" or "Plotly.NET.GenericChart" && t.GetMethod("toChartHTML") is not null);
        var withOptions = module.GetMethod("addDisplayOptions")!.Invoke(null, [options, chart]);
        var html = (string)module.GetMethod("toChartHTML")!.Invoke(null, [withOptions])!;
        return ReplaceGuids(html);
    }

    [GeneratedRegex("[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")]
    private static partial Regex GuidPattern();

    private string ReplaceGuids(string html)
    {
        var map = new Dictionary<string, string>();
        // The div id is a GUID ("D" format); the render function's name is the same GUID without dashes.
        return GuidPattern().Replace(html, m =>
        {
            var key = m.Value.Replace("-", "");
            if (!map.TryGetValue(key, out var id))
            {
                var bytes = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{chartIdSeed}/{++_charts}"));
                map[key] = id = new Guid(bytes.AsSpan(0, 16)).ToString();
            }
            return m.Value.Contains('-') ? id : id.Replace("-", "");
        });
    }

    /// <summary>An HTML table of a DataFrame: a header row of column names, then the first <see cref="MaxTableRows"/> rows.</summary>
    private static string DataFrameHtml(object frame)
    {
        var columns = ((IEnumerable)frame.GetType().GetProperty("Columns")!.GetValue(frame)!).Cast<object>().ToList();
        var rowCollection = frame.GetType().GetProperty("Rows")!.GetValue(frame)!;
        long rows = (long)rowCollection.GetType().GetProperty("Count")!.GetValue(rowCollection)!;
        var sb = new StringBuilder("<table><thead><tr><th><i>index</i></th>");
        foreach (var c in columns) sb.Append("<th>").Append(WebUtility.HtmlEncode((string)c.GetType().GetProperty("Name")!.GetValue(c)!)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        var indexers = columns.Select(c => c.GetType().GetProperty("Item", [typeof(long)])!).ToList();
        for (long r = 0; r < Math.Min(rows, MaxTableRows); r++)
        {
            sb.Append("<tr><td><i>").Append(r).Append("</i></td>");
            for (int c = 0; c < columns.Count; c++)
                sb.Append("<td>").Append(WebUtility.HtmlEncode(Scalar(indexers[c].GetValue(columns[c], [r])))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (rows > MaxTableRows) sb.Append($"<p>({rows - MaxTableRows} more rows of {rows})</p>");
        return sb.ToString();
    }

    private static string Scalar(object? v) => v switch
    {
        null => "<null>",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>Plain text as the kernel's text/plain formatter writes it: scalars invariant, sequences as <c>[ a, b ]</c>.</summary>
    public static string PlainText(object? value)
    {
        if (value is null) return "<null>";
        if (value is string s) return s;
        if (value is IEnumerable seq and not IDictionary)
        {
            var items = seq.Cast<object?>().Take(MaxSequenceItems + 1).ToList();
            var shown = string.Join(", ", items.Take(MaxSequenceItems).Select(PlainText));
            return items.Count > MaxSequenceItems ? $"[ {shown} ... ]" : $"[ {shown} ]";
        }
        if (value is IDictionary dict)
            return "{ " + string.Join(", ", dict.Cast<DictionaryEntry>().Take(MaxSequenceItems).Select(e => $"{PlainText(e.Key)}: {PlainText(e.Value)}")) + " }";
        return Scalar(value);
    }
}
