using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Analysis;
using Plotly.NET;

namespace PromptLearning.Display;

/// <summary>HTML markup to show (what the kernel's <c>HTML(...)</c> returns).</summary>
/// <param name="Html">The markup.</param>
public sealed record HtmlMarkup(string Html)
{
    /// <inheritdoc/>
    public override string ToString() => Html;
}

/// <summary>
/// The notebook kernel's <c>display(...)</c> and <c>HTML(...)</c> for a notebook exported as a .NET
/// file-based app (<c>plearn notebooks export</c>, run with <c>dotnet run name.cs</c>): charts are
/// written as standalone HTML pages (plotly.js inlined, so they open offline) into
/// <see cref="OutputFolder"/>, HTML markup is saved there too and printed as text, data frames and
/// other values are printed. The exported file brings these in with
/// <c>using static PromptLearning.Display.FileBasedOutput;</c>.
/// </summary>
public static partial class FileBasedOutput
{
    private static int _count;

    /// <summary>
    /// Where charts and HTML pages go: by default <c>NAME-output/</c> beside a file-based app
    /// <c>NAME.cs</c> (from the <c>EntryPointFilePath</c> the .NET 10 SDK gives such apps), else
    /// <c>output/</c> under the current directory.
    /// </summary>
    public static string OutputFolder { get; set; } =
        AppContext.GetData("EntryPointFilePath") is string app
            ? Path.Combine(Path.GetDirectoryName(app)!, Path.GetFileNameWithoutExtension(app) + "-output")
            : Path.Combine(Environment.CurrentDirectory, "output");

    /// <summary>Shows a value: a chart or HTML markup as a page in <see cref="OutputFolder"/> (its path printed), anything else printed.</summary>
#pragma warning disable IDE1006 // the kernel's names, so exported cells compile unchanged
    public static void display(object? value)
    {
        switch (value)
        {
            case GenericChart chart:
                Console.WriteLine($"[chart] {Write("chart", GenericChart.toEmbeddedHTML(chart))}");
                break;
            case HtmlMarkup html:
                Console.WriteLine(AsText(html.Html));
                Console.WriteLine($"[html] {Write("table", $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"/></head><body>{html.Html}</body></html>")}");
                break;
            case DataFrame frame:
                Console.WriteLine(frame.ToString());
                break;
            default:
                Console.WriteLine(Tables.Format(value));
                break;
        }
    }

    /// <summary>Marks a string as HTML markup for <see cref="display"/>.</summary>
    public static HtmlMarkup HTML(string html) => new(html);
#pragma warning restore IDE1006

    private static string Write(string kind, string html)
    {
        Directory.CreateDirectory(OutputFolder);
        var path = Path.Combine(OutputFolder, $"{Interlocked.Increment(ref _count):D2}-{kind}.html");
        File.WriteAllText(path, html);
        return path;
    }

    /// <summary>Markup as readable text: table cells separated by " | ", one row per line, tags removed.</summary>
    public static string AsText(string html)
    {
        var s = RowEnd().Replace(html, "\n");
        s = CellEnd().Replace(s, " | ");
        s = Tag().Replace(s, "");
        var lines = WebUtility.HtmlDecode(s).Split('\n').Select(l => l.Trim().TrimEnd('|').Trim()).Where(l => l.Length > 0);
        return string.Join("\n", lines);
    }

    [GeneratedRegex(@"</tr>|<br\s*/?>|</caption>|</p>|</h\d>", RegexOptions.IgnoreCase)] private static partial Regex RowEnd();
    [GeneratedRegex(@"</t[dh]>", RegexOptions.IgnoreCase)] private static partial Regex CellEnd();
    [GeneratedRegex(@"<[^>]+>")] private static partial Regex Tag();
}
