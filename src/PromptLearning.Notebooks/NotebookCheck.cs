using System.Text.Json.Nodes;

namespace PromptLearning.Notebooks;

/// <summary>
/// Checks executed notebooks (from <c>plearn notebooks run</c> or from <c>dotnet-repl</c>): every code
/// cell ran, none has an <c>error</c> output, and every cell that draws a chart (its source calls
/// <c>Charts.</c> or <c>Chart.</c>) holds a rendered Plotly chart. Returns one line per problem.
/// </summary>
public static class NotebookCheck
{
    /// <summary>The problems of one executed notebook (empty when it passes).</summary>
    public static List<string> Problems(NotebookDocument executed)
    {
        var problems = new List<string>();
        foreach (var cell in executed.Cells.Where(c => c.CellType == "code" && c.Source.Trim().Length > 0))
        {
            var outputs = (cell.Outputs ?? []).OfType<JsonObject>().ToList();
            var where = $"{executed.Path}: cell {cell.Number}{(cell.Id is null ? "" : $" (id '{cell.Id}')")}";
            foreach (var error in outputs.Where(o => o["output_type"]?.GetValue<string>() == "error"))
                problems.Add($"{where}: error output: {FirstLine(error["evalue"]?.ToString() ?? "")}");
            bool drawsChart = cell.Source.Contains("Charts.", StringComparison.Ordinal) || cell.Source.Contains("Chart.", StringComparison.Ordinal);
            bool hasChart = outputs.Any(o => o["data"]?["text/html"] is { } h && Text(h).Contains("Plotly.newPlot", StringComparison.Ordinal));
            if (drawsChart && !hasChart) problems.Add($"{where}: draws a chart but holds none");
        }
        if (!executed.Cells.Any(c => c.CellType == "code" && c.Outputs is { Count: > 0 }))
            problems.Add($"{executed.Path}: no code cell has outputs (was it executed?)");
        return problems;
    }

    private static string Text(JsonNode node) => node is JsonArray a ? string.Concat(a.Select(l => l?.GetValue<string>())) : node.GetValue<string>();

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
