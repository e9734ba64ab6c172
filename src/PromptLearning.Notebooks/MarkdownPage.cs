using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PromptLearning.Notebooks;

/// <summary>
/// An executed notebook as a Markdown page that GitHub renders with its charts: markdown cells as they are,
/// code cells as fenced C#, text outputs as fenced text, HTML outputs (tables, model summaries) as HTML
/// without their styles and scripts, and each Plotly chart as a PNG (<see cref="ChartImage"/>) in the
/// folder <c>NAME_files/</c> beside <c>NAME.md</c> (nbconvert's layout). A chart that cannot be drawn is
/// named in the page and in the returned problems, never dropped silently.
/// </summary>
public static partial class MarkdownPage
{
    /// <summary>Writes <paramref name="path"/> (<c>NAME.md</c>) and its chart images; returns the charts it could not draw.</summary>
    public static IReadOnlyList<string> Write(NotebookDocument notebook, string path)
    {
        var full = Path.GetFullPath(path);
        var stem = Path.GetFileNameWithoutExtension(full);
        var filesDir = Path.Combine(Path.GetDirectoryName(full)!, stem + "_files");
        if (Directory.Exists(filesDir)) Directory.Delete(filesDir, recursive: true);
        var problems = new List<string>();
        var page = new StringBuilder();
        int chart = 0;
        foreach (var cell in notebook.Cells)
        {
            if (cell.CellType == "markdown") { page.Append(cell.Source.TrimEnd()).Append("\n\n"); continue; }
            if (cell.CellType != "code") continue;
            page.Append("```").Append(cell.Kernel is null or "csharp" ? "csharp" : cell.Kernel).Append('\n')
                .Append(cell.Source.TrimEnd()).Append("\n```\n\n");
            foreach (var output in cell.Outputs ?? [])
            {
                if (output is not JsonObject o) continue;
                switch (o["output_type"]?.GetValue<string>())
                {
                    case "stream":
                        Fenced(page, CellOutputs.Text(o["text"]));
                        break;
                    case "error":
                        Fenced(page, $"{o["ename"]}: {o["evalue"]}");
                        break;
                    case "display_data" or "execute_result" when o["data"] is JsonObject data:
                        if (data["text/html"] is { } htmlNode)
                        {
                            var html = CellOutputs.Text(htmlNode);
                            if (ChartImage.IsChart(html))
                            {
                                chart++;
                                var png = ChartImage.TryRender(html, out var problem, out var title);
                                if (png is null)
                                {
                                    problems.Add($"{notebook.Path}: cell {cell.Number}: chart {chart}: {problem}");
                                    page.Append($"*(chart {chart} \"{title}\" is interactive only: {problem})*\n\n");
                                    break;
                                }
                                var name = $"chart-{chart:D2}.png";
                                Directory.CreateDirectory(filesDir);
                                AtomicWrite.Bytes(Path.Combine(filesDir, name), png);
                                page.Append($"![{Escape(title)}]({Uri.EscapeDataString(stem + "_files")}/{name})\n\n");
                            }
                            else page.Append(StaticHtml(html)).Append("\n\n");
                        }
                        else if (data["text/plain"] is { } plain) Fenced(page, CellOutputs.Text(plain));
                        break;
                }
            }
        }
        AtomicWrite.Text(full, page.ToString().TrimEnd() + "\n");
        return problems;
    }

    /// <summary>The HTML without <c>style</c> and <c>script</c> elements, on lines of its own so Markdown keeps it as a block.</summary>
    private static string StaticHtml(string html)
    {
        var s = StyleOrScript().Replace(html, "");
        // A blank line inside an HTML block ends it in GitHub's Markdown: drop empty lines.
        return string.Join("\n", s.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0)).Trim();
    }

    private static void Fenced(StringBuilder page, string text)
    {
        var body = text.TrimEnd();
        if (body.Length == 0) return;
        var fence = body.Contains("```", StringComparison.Ordinal) ? "~~~~" : "```";
        page.Append(fence).Append("text\n").Append(body).Append('\n').Append(fence).Append("\n\n");
    }

    private static string Escape(string title) => title.Replace("[", "\\[").Replace("]", "\\]");


    [GeneratedRegex(@"<(style|script)\b[^>]*>.*?</\1\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex StyleOrScript();
}
