using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PromptLearning.Notebooks;

/// <summary>
/// A standalone HTML page of an executed notebook that renders its charts without a network:
/// the plotly.js that Plotly.NET embeds in its assembly is inlined, and a four-line stand-in for
/// require.js hands it to the chart scripts Plotly.NET.Interactive writes (which would otherwise
/// fetch require.js and plotly.js from CDNs). Markdown cells get a small Markdown subset
/// (headings, paragraphs, lists, code, emphasis, links, tables as text).
/// </summary>
public static partial class HtmlPage
{
    private const string RequireStandIn =
        "function requirejs() {}\n" +
        "requirejs.config = function () { return function (deps, callback) { callback(window.Plotly); }; };\n" +
        "var require = requirejs;\n";

    /// <summary>Writes the page atomically.</summary>
    public static void Write(NotebookDocument notebook, string path) => AtomicWrite.Text(path, Render(notebook));

    /// <summary>The page's HTML.</summary>
    public static string Render(NotebookDocument notebook)
    {
        var body = new StringBuilder();
        string? plotlyVersion = null;
        foreach (var cell in notebook.Cells)
        {
            if (cell.CellType == "markdown") { body.Append("<div class=\"md\">").Append(Markdown(cell.Source)).Append("</div>\n"); continue; }
            if (cell.CellType != "code") continue;
            body.Append("<div class=\"cell\"><pre class=\"code\">").Append(WebUtility.HtmlEncode(cell.Source)).Append("</pre>");
            foreach (var output in cell.Outputs ?? [])
            {
                if (output is not JsonObject o) continue;
                switch (o["output_type"]?.GetValue<string>())
                {
                    case "stream":
                        body.Append($"<pre class=\"{o["name"]}\">").Append(WebUtility.HtmlEncode(CellOutputs.Text(o["text"]))).Append("</pre>");
                        break;
                    case "error":
                        body.Append("<pre class=\"error\">").Append(WebUtility.HtmlEncode($"{o["ename"]}: {o["evalue"]}")).Append("</pre>");
                        break;
                    case "display_data" or "execute_result" when o["data"] is JsonObject data:
                        if (data["text/html"] is { } html)
                        {
                            var h = CellOutputs.Text(html);
                            if (ChartImage.IsChart(h) && PlotlyVersion().Match(h) is { Success: true } m) plotlyVersion ??= m.Groups[1].Value;
                            body.Append("<div class=\"html\">").Append(h).Append("</div>");
                        }
                        else if (data["image/png"] is { } png) body.Append($"<img src=\"data:image/png;base64,{CellOutputs.Text(png).Trim()}\"/>");
                        else if (data["text/plain"] is { } plain) body.Append("<pre class=\"result\">").Append(WebUtility.HtmlEncode(CellOutputs.Text(plain))).Append("</pre>");
                        break;
                }
            }
            body.Append("</div>\n");
        }

        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n<title>")
            .Append(WebUtility.HtmlEncode(Path.GetFileNameWithoutExtension(notebook.Path))).Append("</title>\n<style>\n")
            .Append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;line-height:1.45}\n")
            .Append("pre{padding:.5em;overflow-x:auto;margin:.3em 0}\npre.code{background:#f4f4f6;border-left:3px solid #6a8}\n")
            .Append("pre.stderr,pre.error{background:#fde8e8;color:#900}\ntable{border-collapse:collapse;margin:.5em 0}\n")
            .Append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\n.cell{margin:1.2em 0}\n</style>\n");
        if (plotlyVersion is not null && PlotlyJs(plotlyVersion) is { } js)
            page.Append("<script>\n").Append(js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)).Append("\n</script>\n<script>\n").Append(RequireStandIn).Append("</script>\n");
        page.Append("</head>\n<body>\n").Append(body).Append("</body>\n</html>\n");
        return page.ToString();
    }


    /// <summary>
    /// The plotly.js build a chart references (<c>plotly-2.28.0.min</c> in Plotly.NET.Interactive's
    /// markup), read from the Plotly.NET assemblies in NuGet's global packages folder that embed it
    /// (the kernel restored them there); null when none does.
    /// </summary>
    private static string? PlotlyJs(string version)
    {
        var root = Path.Combine(DotnetCli.GlobalPackagesFolder(), "plotly.net");
        if (!Directory.Exists(root)) return null;
        var resource = $"plotly-{version}.min.js";
        foreach (var dll in Directory.EnumerateFiles(root, "Plotly.NET.dll", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Reverse())
        {
            var context = new System.Runtime.Loader.AssemblyLoadContext("plotly-js", isCollectible: true);
            try
            {
                var asm = context.LoadFromAssemblyPath(dll);
                var name = asm.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(resource, StringComparison.OrdinalIgnoreCase));
                if (name is null) continue;
                using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
                return reader.ReadToEnd();
            }
            catch (BadImageFormatException) { }
            finally { context.Unload(); }
        }
        return null;
    }

    [GeneratedRegex(@"plotly-(\d+\.\d+\.\d+)\.min")] private static partial Regex PlotlyVersion();

    [GeneratedRegex(@"`([^`]+)`")] private static partial Regex InlineCode();
    [GeneratedRegex(@"^\s*(</?details>|<summary>[^<]*</summary>)\s*$")] private static partial Regex FoldTag();
    [GeneratedRegex(@"\*\*([^*]+)\*\*")] private static partial Regex Bold();
    [GeneratedRegex(@"(?<![*\w])\*([^*\s][^*]*)\*(?!\w)")] private static partial Regex Italic();
    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")] private static partial Regex Link();
    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")] private static partial Regex Heading();
    [GeneratedRegex(@"^\s*([-*]|\d+\.)\s+(.*)$")] private static partial Regex ListItem();

    private static string Inline(string text)
    {
        var s = WebUtility.HtmlEncode(text);
        s = InlineCode().Replace(s, "<code>$1</code>");
        s = Bold().Replace(s, "<strong>$1</strong>");
        s = Italic().Replace(s, "<em>$1</em>");
        return Link().Replace(s, "<a href=\"$2\">$1</a>");
    }

    /// <summary>A small Markdown subset, enough for notebook prose.</summary>
    public static string Markdown(string source)
    {
        var html = new StringBuilder();
        var paragraph = new List<string>();
        bool inList = false, inCode = false, inTable = false;
        void Flush()
        {
            if (paragraph.Count > 0) html.Append("<p>").Append(string.Join(" ", paragraph.Select(Inline))).Append("</p>\n");
            paragraph.Clear();
            if (inList) { html.Append("</ul>\n"); inList = false; }
            if (inTable) { html.Append("</pre>\n"); inTable = false; }
        }
        foreach (var raw in source.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                if (inCode) { html.Append("</pre>\n"); inCode = false; }
                else { Flush(); html.Append("<pre class=\"code\">"); inCode = true; }
                continue;
            }
            if (inCode) { html.Append(WebUtility.HtmlEncode(raw)).Append('\n'); continue; }
            if (string.IsNullOrWhiteSpace(raw)) { Flush(); continue; }
            if (FoldTag().IsMatch(raw)) { Flush(); html.Append(raw.Trim()).Append('\n'); continue; } // <details>/<summary> (exercise hints)
            if (Heading().Match(raw) is { Success: true } h)
            {
                Flush();
                html.Append($"<h{h.Groups[1].Length}>").Append(Inline(h.Groups[2].Value)).Append($"</h{h.Groups[1].Length}>\n");
            }
            else if (raw.TrimStart().StartsWith('|'))
            {
                if (!inTable) { Flush(); html.Append("<pre>"); inTable = true; }
                html.Append(WebUtility.HtmlEncode(raw)).Append('\n');
            }
            else if (ListItem().Match(raw) is { Success: true } li)
            {
                if (paragraph.Count > 0 || inTable) Flush();
                if (!inList) { html.Append("<ul>\n"); inList = true; }
                html.Append("<li>").Append(Inline(li.Groups[2].Value)).Append("</li>\n");
            }
            else if (inList && raw.StartsWith("  ", StringComparison.Ordinal))
            {
                html.Length -= "</li>\n".Length;
                html.Append(' ').Append(Inline(raw.Trim())).Append("</li>\n");
            }
            else
            {
                if (inList || inTable) Flush();
                paragraph.Add(raw.Trim());
            }
        }
        if (inCode) html.Append("</pre>\n");
        Flush();
        return html.ToString();
    }
}
