using System.Text.Json.Nodes;
using PromptLearning.Display;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

/// <summary>Runs small notebooks in the real .NET Interactive kernel (one at a time: each starts a kernel process).</summary>
[Collection("notebook runner")]
public class NotebookRunnerTests
{
    private static string OutputType(JsonObject o) => o["output_type"]!.GetValue<string>();

    [Fact]
    public void ChartDataFrameStdoutAndRestoredPackageRunAsInVsCode()
    {
        // The library's FSharp.Core unification is what lets Plotly.NET 6 charts render in this kernel (it ships FSharp.Core 10.0).
        var library = typeof(FSharpCoreUnification).Assembly.Location;
        var nb = Notebook(
            "#r \"nuget: Plotly.NET.Interactive, 6.0.0\"\n#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\n#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"\n" +
            $"#r \"{library}\"\nusing Microsoft.Data.Analysis;\nPromptLearning.Display.FSharpCoreUnification.Register();\n" +
            "Console.WriteLine(\"hello\");\nConsole.Write(\"wor\");\nConsole.WriteLine(\"ld\");",
            "var xs = new double[] { 1, 2, 3 };\nPlotly.NET.CSharp.Chart.Line<double, double, string>(x: xs, y: xs.Select(v => v * v).ToArray())",
            "var df = new DataFrame(new PrimitiveDataFrameColumn<int>(\"epoch\", new[] { 1, 2 }), new DoubleDataFrameColumn(\"loss\", new[] { 0.5, 0.25 }));\ndisplay(df);\n\"done\"",
            "record Point(int X);\nnew Point(xs.Length + 1)");
        var (result, log, executed, outPath) = Run(nb);
        Assert.True(result.Succeeded, log);

        var setup = Outputs(executed, 1);
        var installed = Assert.Single(setup, o => o["data"]?["text/html"] is { } h && Text(h).Contains("Installed Packages"));
        Assert.Contains("Plotly.NET.Interactive, 6.0.0", Text(installed["data"]!["text/html"]));
        var stream = Assert.Single(setup, o => OutputType(o) == "stream");
        Assert.Equal("stdout", stream["name"]!.GetValue<string>());
        Assert.Equal("hello\nworld\n", Text(stream["text"]));

        // VS Code stores a cell's value as display_data; Plotly.NET.Interactive's formatter writes the chart.
        var chart = Assert.Single(Outputs(executed, 2));
        Assert.Equal("display_data", OutputType(chart));
        Assert.Contains("Plotly.newPlot", Text(chart["data"]!["text/html"]));

        var frame = Outputs(executed, 3);
        Assert.All(frame, o => Assert.Equal("display_data", OutputType(o)));
        var table = Text(frame[0]["data"]!["text/html"]);
        Assert.Contains("<th>epoch</th><th>loss</th>", table);
        Assert.Contains("0.25", table);
        Assert.Equal("done", Text(frame[1]["data"]!["text/plain"]));

        // Records are formatted as HTML by the kernel, not as text.
        var record = Assert.Single(Outputs(executed, 4));
        Assert.Contains("Point { X = 4 }", Text(record["data"]!["text/html"]));
        Assert.Equal(4, executed["cells"]![3]!["execution_count"]!.GetValue<int>());

        // The HTML page inlines plotly.js and stands in for require.js, so the chart renders offline.
        var page = File.ReadAllText(Path.ChangeExtension(outPath, ".html"));
        Assert.Contains("requirejs.config = function", page);
        Assert.True(page.Length > 1_000_000, "plotly.js is not inlined");
    }

    [Fact]
    public void FailureInCellThreeStopsKeepsEarlierOutputsAndNamesTheCell()
    {
        var nb = Notebook(
            "Console.WriteLine(\"one\");",
            "var x = 2;",
            "if (x == 2) throw new InvalidOperationException(\"boom\");",
            "Console.WriteLine(\"never\");");
        // Stale outputs in the cell after the failure must not survive.
        nb["cells"]![3]!["outputs"] = new JsonArray(new JsonObject { ["name"] = "stdout", ["output_type"] = "stream", ["text"] = "stale" });
        var (result, log, executed, _) = Run(nb);
        Assert.Equal(3, result.FailedCell);
        Assert.Contains("cell 3", result.Message);
        Assert.Contains("boom", log);
        Assert.Equal("one\n", Text(Outputs(executed, 1)[0]["text"]));
        var error = Assert.Single(Outputs(executed, 3), o => OutputType(o) == "error");
        Assert.Contains("boom", error["evalue"]!.GetValue<string>());
        Assert.Empty(Outputs(executed, 4));
        Assert.Null(executed["cells"]![3]!["execution_count"]);
    }

    [Fact]
    public void MissingReferenceFailsWithTheCompilerError()
    {
        var (result, _, executed, _) = Run(Notebook("using Plotly.NET;\nvar x = 1;"));
        Assert.Equal(1, result.FailedCell);
        var error = Assert.Single(Outputs(executed, 1), o => OutputType(o) == "error");
        Assert.Contains("CS0246", error["evalue"]!.GetValue<string>());
    }

    [Fact]
    public void ACellThatEndsTheProcessFailsThatCellAndKeepsTheOthers()
    {
        var (result, _, executed, _) = Run(Notebook("Console.WriteLine(\"kept\");", "Environment.Exit(0);", "Console.WriteLine(\"never\");"));
        Assert.Equal(2, result.FailedCell);
        Assert.Contains("kernel process ended", result.Message);
        Assert.Equal("kept\n", Text(Outputs(executed, 1)[0]["text"]));
        Assert.Contains("kernel process ended", Assert.Single(Outputs(executed, 2))["evalue"]!.GetValue<string>());
        Assert.Empty(Outputs(executed, 3));
    }

    [Fact]
    public void TimeLimitStopsTheRunningCell()
    {
        var (result, _, executed, _) = Run(Notebook("Console.WriteLine(\"fast\");", "System.Threading.Thread.Sleep(600_000);", "Console.WriteLine(\"never\");"), timeoutSeconds: 40);
        Assert.True(result.TimedOut);
        // Normally the sleeping cell; on a loaded machine the limit may already pass during the first cell.
        var failed = result.FailedCell!.Value;
        Assert.InRange(failed, 1, 2);
        Assert.Contains("time limit of 40 s", Outputs(executed, failed).Single(o => OutputType(o) == "error")["evalue"]!.GetValue<string>());
        Assert.Empty(Outputs(executed, 3));
    }
}
