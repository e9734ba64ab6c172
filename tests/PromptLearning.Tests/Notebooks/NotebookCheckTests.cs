using System.Text.Json.Nodes;
using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

public class NotebookCheckTests
{
    [Fact]
    public void FolderArgumentsSkipCheckpointsAndTheExecutedCopies()
    {
        var dir = TempDir();
        foreach (var f in new[] { "a.ipynb", "sub/b.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb", $"{NotebookBatch.ExecutedFolder}/a.ipynb", "sub/executed-notes/c.ipynb" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, f))!);
            File.WriteAllText(Path.Combine(dir, f), "{}");
        }
        var found = NotebookBatch.Expand([dir], outDir: null).Select(x => x.Relative.Replace('\\', '/')).ToList();
        Assert.Equal(["a.ipynb", "sub/b.ipynb", "sub/executed-notes/c.ipynb"], found);
    }

    [Fact]
    public void QuotedResultsMustAppearInTheOutputs()
    {
        const string markdown = "PET reaches 70.0% and beats fine-tuning by 19.7 points; the learning rate is `0.3` and $p = 0.15$ (12.5 s).";
        Assert.Equal(["19.7"], NotebookCheck.MissingNumbers(markdown, "accuracy 70.0 ... gap 19.8").ToList());
        Assert.Empty(NotebookCheck.MissingNumbers(markdown, "70.0 19.7"));
    }

    [Theory]
    [InlineData("Charts.LineChart(\"t\", x, y)", true)]
    [InlineData("display(Charts.BarChart(a, b));\nvar n = 1;", true)]
    [InlineData("Plotly.NET.CSharp.Chart.Line<double, double, string>(x: xs, y: ys)", true)]
    [InlineData("if (real) { display(Charts.LineChart(a)); } else Console.WriteLine(\"one size\");", false)]
    [InlineData("var n = 1; // Charts.LineChart would go here", false)]
    public void OnlyUnconditionalChartCallsAreExpectedToDraw(string source, bool expected) =>
        Assert.Equal(expected, NotebookCheck.DrawsChartUnconditionally(source));

    private static NotebookDocument Executed(JsonObject nb)
    {
        var path = Path.Combine(TempDir(), "nb.ipynb");
        File.WriteAllText(path, nb.ToJsonString());
        return NotebookDocument.Load(path);
    }

    [Fact]
    public void ErrorsMissingChartsAndUnbackedNumbersAreReported()
    {
        var nb = Notebook("Charts.LineChart(a, b)", "throw new Exception();", "1");
        nb["cells"]![1]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "error", ["ename"] = "Error", ["evalue"] = "boom\nat ...", ["traceback"] = new JsonArray() });
        nb["cells"]![2]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "accuracy 0.5" });
        ((JsonArray)nb["cells"]!).Add(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "Accuracy 0.5, not 0.9." });
        var problems = NotebookCheck.Problems(Executed(nb));
        Assert.Contains(problems, p => p.Contains("cell 1") && p.Contains("draws a chart but holds none"));
        Assert.Contains(problems, p => p.Contains("cell 2") && p.Contains("error output: boom"));
        Assert.Contains(problems, p => p.Contains("cell 4 (markdown) quotes 0.9"));
        Assert.DoesNotContain(problems, p => p.Contains("quotes 0.5"));
    }

    [Fact]
    public void AQuickRunIsCheckedForErrorsAndChartsButItsNumbersAreNoResults()
    {
        string caption;
        Environment.SetEnvironmentVariable(PromptLearning.Display.QuickRun.Variable, "1");
        try { caption = PromptLearning.Display.QuickRun.Caption("the embedded default"); }
        finally { Environment.SetEnvironmentVariable(PromptLearning.Display.QuickRun.Variable, null); }
        Assert.Equal("the embedded default", PromptLearning.Display.QuickRun.Caption("the embedded default"));
        var nb = Notebook("HTML(Tables.Settings(config, QuickRun.Caption(\"the embedded default\")))");
        nb["cells"]![0]!["outputs"] = new JsonArray(new JsonObject
        {
            ["output_type"] = "display_data", ["data"] = new JsonObject { ["text/html"] = $"<caption>{caption}</caption>" },
        });
        ((JsonArray)nb["cells"]!).Add(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "PET reaches 70.0%." });
        var executed = Executed(nb);
        var asResults = NotebookCheck.Problems(executed);
        Assert.Contains(asResults, p => p.Contains("executed as a quick run"));
        Assert.Contains(asResults, p => p.Contains("quotes 70.0"));
        Assert.Empty(NotebookCheck.Problems(executed, quickRun: true));
    }

    [Fact]
    public void ReadmeTableNumbersComeFromTheExecutedNotebook()
    {
        var dir = TempDir();
        var nb = Notebook("1");
        nb["cells"]![0]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "PET 70.0%" });
        File.WriteAllText(Path.Combine(dir, "01-pet.ipynb"), nb.ToJsonString());
        var readme = Path.Combine(dir, "README.md");
        File.WriteAllText(readme, "| notebook | teaches | result |\n|---|---|---|\n| `01-pet` | PET | PET 70.0%, iPET 68.3% (161 s) |\n");
        var problem = Assert.Single(NotebookCheck.ReadmeProblems(readme, dir));
        Assert.Contains("README.md:3: 68.3%", problem);
    }

    [Fact]
    public void LongCellsAndLongLinesAreReportedWithFileAndCell()
    {
        var longCell = string.Join("\n", Enumerable.Range(1, NotebookCheck.MaxCellLines + 1).Select(i => $"var x{i} = {i};"));
        var longLine = "var s = \"" + new string('a', NotebookCheck.MaxLineLength) + "\";";
        var fits = string.Join("\n", Enumerable.Range(1, NotebookCheck.MaxCellLines).Select(_ => new string('b', NotebookCheck.MaxLineLength))) + "\n\n";
        var problems = NotebookCheck.StyleProblems(Executed(Notebook(longCell, "var n = 1;\n" + longLine, fits)));
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("nb.ipynb: cell 1 (id 'cell-1'): 26 lines, more than 25", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("nb.ipynb: cell 2 (id 'cell-2'): line(s) 2 (", StringComparison.Ordinal)
                                       && p.Contains("longer than 110 characters"));
        Assert.Contains(NotebookCheck.Problems(Executed(Notebook(longCell))), p => p.Contains("more than 25"));
    }

    [Fact]
    public void ShippedNotebooksHaveShortCellsAndLines()
    {
        string? dir = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null && dir is null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Notebooks.sln"))) dir = Path.Combine(d.FullName, "notebooks");
        Assert.NotNull(dir);
        var problems = Directory.GetFiles(dir, "*.ipynb").Order(StringComparer.Ordinal)
            .SelectMany(f => NotebookCheck.StyleProblems(NotebookDocument.Load(f))).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
