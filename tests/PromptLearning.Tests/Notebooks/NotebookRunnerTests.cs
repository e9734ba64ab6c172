using System.Text.Json.Nodes;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

/// <summary>Runs small notebooks through the runner process (one at a time: they share the restore cache).</summary>
[Collection("notebook runner")]
public class NotebookRunnerTests
{
    [Fact]
    public void ChartDataFrameStdoutAndRestoredPackageRun()
    {
        var nb = Notebook(
            "#r \"nuget: Plotly.NET, 6.0.0\"\n#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\n#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"\nusing Microsoft.Data.Analysis;\nConsole.WriteLine(\"hello\");\nConsole.Write(\"wor\");\nConsole.WriteLine(\"ld\");",
            "var xs = new double[] { 1, 2, 3 };\nPlotly.NET.CSharp.Chart.Line<double, double, string>(x: xs, y: xs.Select(v => v * v).ToArray())",
            "var df = new DataFrame(new PrimitiveDataFrameColumn<int>(\"epoch\", new[] { 1, 2 }), new DoubleDataFrameColumn(\"loss\", new[] { 0.5, 0.25 }));\ndisplay(df);\n\"done\"",
            "await Task.Delay(1);\nxs.Length + 1");
        var (exit, console, executed, outPath) = Run(nb);
        Assert.True(exit == 0, console);

        var setup = Outputs(executed, 1);
        Assert.Contains("Installed Packages", Text(setup[0]["data"]!["text/html"]));
        var stream = Assert.Single(setup, o => o["output_type"]!.GetValue<string>() == "stream");
        Assert.Equal("stdout", stream["name"]!.GetValue<string>());
        Assert.Equal("hello\nworld\n", Text(stream["text"]));

        var chart = Assert.Single(Outputs(executed, 2));
        Assert.Equal("execute_result", chart["output_type"]!.GetValue<string>());
        var html = Text(chart["data"]!["text/html"]);
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("https://cdn.plot.ly/plotly-2.28.0.min", html);

        var frame = Outputs(executed, 3);
        Assert.Equal("display_data", frame[0]["output_type"]!.GetValue<string>());
        var table = Text(frame[0]["data"]!["text/html"]);
        Assert.Contains("<th>epoch</th><th>loss</th>", table);
        Assert.Contains("<td>0.25</td>", table);
        Assert.Equal("done", Text(frame[1]["data"]!["text/plain"]));

        var last = Assert.Single(Outputs(executed, 4));
        Assert.Equal("4", Text(last["data"]!["text/plain"]));
        Assert.Equal(4, executed["cells"]![3]!["execution_count"]!.GetValue<int>());
        Assert.Equal(4, last["execution_count"]!.GetValue<int>());

        // The HTML page inlines plotly.js and stands in for require.js, so the chart renders offline.
        var page = File.ReadAllText(Path.ChangeExtension(outPath, ".html"));
        Assert.Contains("requirejs.config = function", page);
        Assert.True(page.Length > 1_000_000, "plotly.js is not inlined");
    }

    [Fact]
    public void FailureInCellThreeStopsWritesEarlierOutputsAndExitsNonZero()
    {
        var nb = Notebook(
            "Console.WriteLine(\"one\");",
            "var x = 2;",
            "if (x == 2) throw new InvalidOperationException(\"boom\");",
            "Console.WriteLine(\"never\");");
        // Stale outputs in the cell after the failure must not survive.
        nb["cells"]![3]!["outputs"] = new JsonArray(new JsonObject { ["name"] = "stdout", ["output_type"] = "stream", ["text"] = "stale" });
        var (exit, console, executed, _) = Run(nb);
        Assert.Equal(1, exit);
        Assert.Contains("cell 3", console);
        Assert.Contains("boom", console);
        Assert.Equal("one\n", Text(Outputs(executed, 1)[0]["text"]));
        var error = Assert.Single(Outputs(executed, 3));
        Assert.Equal("error", error["output_type"]!.GetValue<string>());
        Assert.Equal("System.InvalidOperationException", error["ename"]!.GetValue<string>());
        Assert.Equal("boom", error["evalue"]!.GetValue<string>());
        Assert.Empty(Outputs(executed, 4));
        Assert.Null(executed["cells"]![3]!["execution_count"]);
    }

    [Fact]
    public void MissingReferenceFailsAsInARealKernel()
    {
        // The runner itself never exposes its own dependencies: Plotly.NET needs its own #r.
        var (exit, console, executed, _) = Run(Notebook("using Plotly.NET;\nvar x = 1;"));
        Assert.Equal(1, exit);
        var error = Assert.Single(Outputs(executed, 1));
        Assert.Equal("CompilationError", error["ename"]!.GetValue<string>());
        Assert.Contains("CS0246", error["evalue"]!.GetValue<string>());
        Assert.Contains("cell 1", console);
    }

    [Fact]
    public void UnknownPackageFailsNamingIt()
    {
        var (exit, console, executed, _) = Run(Notebook("#r \"nuget: PromptLearning.NoSuchPackage.Xyz, 1.0.0\"\nvar x = 1;"));
        Assert.Equal(1, exit);
        Assert.Contains("PromptLearning.NoSuchPackage.Xyz, 1.0.0", console);
        Assert.Contains("could not be restored", Outputs(executed, 1).Single()["evalue"]!.GetValue<string>());
    }
}
