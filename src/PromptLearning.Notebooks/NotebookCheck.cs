using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PromptLearning.Notebooks;

/// <summary>
/// Checks executed notebooks (from <c>plearn notebooks run</c> or from <c>dotnet-repl</c>): every code
/// cell ran, none has an <c>error</c> output, every cell that draws a chart (its source calls
/// <c>Charts.</c> or <c>Chart.</c>) holds a rendered Plotly chart that <see cref="ChartImage"/> can also draw as
/// a PNG (the Markdown page's copy), and every result quoted in the
/// markdown (a decimal number such as 84.2 or a percentage such as 70%, outside <c>`code`</c> and
/// <c>$math$</c>, where settings belong) appears in the notebook's outputs, and every code cell is short
/// enough to read in class (see <see cref="StyleProblems"/>). Returns one line per problem.
/// </summary>
public static partial class NotebookCheck
{
    /// <summary>The most lines a code cell may have (trailing blank lines not counted).</summary>
    public const int MaxCellLines = 25;

    /// <summary>The most characters a line of a code cell may have.</summary>
    public const int MaxLineLength = 110;

    [GeneratedRegex(@"(?<![\w.])(\d+(?:\.\d+)?%|\d+\.\d+)")] private static partial Regex QuotedNumber();
    [GeneratedRegex(@"`[^`]*`|\$[^$]*\$|\(\d+(?:\.\d+)? s\)")] private static partial Regex NotAResult();

    /// <summary>The results quoted in <paramref name="markdown"/> that <paramref name="outputs"/> does not contain.</summary>
    public static IEnumerable<string> MissingNumbers(string markdown, string outputs) =>
        QuotedNumber().Matches(NotAResult().Replace(markdown, " "))
            .Select(m => m.Groups[1].Value)
            .Where(n => !outputs.Contains(n.TrimEnd('%'), StringComparison.Ordinal))
            .Distinct();

    /// <summary>All text of a notebook's outputs (streams, every MIME value, errors).</summary>
    public static string OutputText(NotebookDocument executed)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var o in executed.Cells.SelectMany(c => c.Outputs ?? []).OfType<JsonObject>())
        {
            if (o["text"] is { } t) sb.Append(CellOutputs.Text(t)).Append('\n');
            if (o["data"] is JsonObject data) foreach (var (_, v) in data) if (v is not null) sb.Append(CellOutputs.Text(v)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Numbers in the README's notebook table (rows starting <c>| `NAME`</c>) that the executed
    /// notebook <c>NAME.ipynb</c> in <paramref name="executedFolder"/> does not show.
    /// </summary>
    public static List<string> ReadmeProblems(string readme, string executedFolder)
    {
        var problems = new List<string>();
        foreach (var (line, i) in File.ReadLines(readme).Select((l, i) => (l, i + 1)))
        {
            var m = Regex.Match(line, @"^\|\s*`([\w-]+)`\s*\|");
            if (!m.Success) continue;
            var path = Path.Combine(executedFolder, m.Groups[1].Value + ".ipynb");
            if (!File.Exists(path)) { problems.Add($"{readme}:{i}: no executed notebook {path}"); continue; }
            var outputs = OutputText(NotebookDocument.Load(path));
            var cells = line.Split('|');
            foreach (var n in MissingNumbers(cells.Length > 3 ? cells[3] : "", outputs))
                problems.Add($"{readme}:{i}: {n} is not in the outputs of {path}");
        }
        return problems;
    }

    /// <summary>
    /// What a quick run's settings table prints (<c>PromptLearning.Display.QuickRun</c>): its outputs are no
    /// results, so the markdown's numbers are not compared with them.
    /// </summary>
    public const string QuickRunMarker = "QUICK RUN (PLEARN_QUICK_RUN=1";

    /// <summary>
    /// The problems of one executed notebook (empty when it passes). <paramref name="quickRun"/>: the notebook
    /// was executed as a quick run (a tiny budget), so the numbers its markdown quotes are not looked for in
    /// its outputs; without it, the outputs of a quick run are a problem (they are not the notebook's results).
    /// </summary>
    public static List<string> Problems(NotebookDocument executed, bool quickRun = false)
    {
        var problems = new List<string>();
        foreach (var cell in executed.Cells.Where(c => c.CellType == "code" && c.Source.Trim().Length > 0))
        {
            var outputs = (cell.Outputs ?? []).OfType<JsonObject>().ToList();
            var where = $"{executed.Path}: cell {cell.Number}{(cell.Id is null ? "" : $" (id '{cell.Id}')")}";
            foreach (var error in outputs.Where(o => o["output_type"]?.GetValue<string>() == "error"))
                problems.Add($"{where}: error output: {FirstLine(error["evalue"]?.ToString() ?? "")}");
            bool drawsChart = DrawsChartUnconditionally(cell.Source);
            var charts = outputs.Select(o => o["data"]?["text/html"] is { } h ? CellOutputs.Text(h) : "").Where(ChartImage.IsChart).ToList();
            if (drawsChart && charts.Count == 0) problems.Add($"{where}: draws a chart but holds none");
            foreach (var chart in charts)
                if (ChartImage.TryRender(chart, out var problem, out var title) is null)
                    problems.Add($"{where}: chart \"{title}\" has no PNG copy for the Markdown page: {problem}");
        }
        var outputText = OutputText(executed);
        if (!quickRun)
        {
            if (outputText.Contains(QuickRunMarker, StringComparison.Ordinal))
                problems.Add($"{executed.Path}: executed as a quick run (PLEARN_QUICK_RUN=1): its numbers are no results; check it with --quick-run");
            foreach (var cell in executed.Cells.Where(c => c.CellType == "markdown"))
                foreach (var n in MissingNumbers(cell.Source, outputText))
                    problems.Add($"{executed.Path}: cell {cell.Number} (markdown) quotes {n}, which no output shows");
        }
        problems.AddRange(StyleProblems(executed));
        if (!executed.Cells.Any(c => c.CellType == "code" && c.Outputs is { Count: > 0 }))
            problems.Add($"{executed.Path}: no code cell has outputs (was it executed?)");
        return problems;
    }

    /// <summary>
    /// Code cells a class can read: each code cell has at most <see cref="MaxCellLines"/> lines and every
    /// line at most <see cref="MaxLineLength"/> characters. One line per cell that breaks a rule, naming the
    /// notebook file, the cell number and id, and the offending lines. Works on source and executed notebooks.
    /// </summary>
    public static List<string> StyleProblems(NotebookDocument notebook)
    {
        var problems = new List<string>();
        var file = Path.GetFileName(notebook.Path);
        foreach (var cell in notebook.Cells.Where(c => c.CellType == "code"))
        {
            var where = $"{file}: cell {cell.Number}{(cell.Id is null ? "" : $" (id '{cell.Id}')")}";
            var lines = cell.Source.Replace("\r\n", "\n").TrimEnd('\n', ' ').Split('\n');
            if (lines.Length > MaxCellLines)
                problems.Add($"{where}: {lines.Length} lines, more than {MaxCellLines}: split the cell");
            var tooLong = lines.Select((l, i) => (Length: l.Length, Line: i + 1)).Where(l => l.Length > MaxLineLength).ToList();
            if (tooLong.Count > 0)
                problems.Add($"{where}: line(s) {string.Join(", ", tooLong.Select(l => $"{l.Line} ({l.Length} chars)"))} "
                             + $"longer than {MaxLineLength} characters: wrap them");
        }
        return problems;
    }

    /// <summary>
    /// Whether the cell calls a chart builder (<c>Charts.X(...)</c>, <c>Chart.X(...)</c>) outside any
    /// <c>if</c>/<c>else</c>/<c>switch</c> or conditional expression: a chart drawn only in one branch
    /// (e.g. only with the real-model switch) is not expected in every run.
    /// </summary>
    public static bool DrawsChartUnconditionally(string source)
    {
        var root = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source,
            new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest, kind: Microsoft.CodeAnalysis.SourceCodeKind.Script)).GetRoot();
        return root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>()
            .Where(i => i.Expression is Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Expression: var target }
                        && (target.ToString() is "Charts" or "Chart" || target.ToString().EndsWith(".Chart", StringComparison.Ordinal) || target.ToString().EndsWith(".Charts", StringComparison.Ordinal)))
            .Any(i => !i.Ancestors().Any(a => a is Microsoft.CodeAnalysis.CSharp.Syntax.IfStatementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ElseClauseSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.SwitchSectionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ConditionalExpressionSyntax));
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
