using System.Buffers.Binary;
using System.Text.Json.Nodes;
using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

/// <summary>Executed notebooks as Markdown pages with their charts as PNG images (what GitHub shows).</summary>
public class MarkdownPageTests
{
    /// <summary>A chart output as Plotly.NET.Interactive writes it: the figure as <c>var data</c> and <c>var layout</c> lines in a script.</summary>
    private static string ChartHtml(string data, string layout) =>
        "<div><div id=\"c1\"><!-- Plotly chart will be drawn inside this DIV --></div><script type=\"text/javascript\">\n" +
        "var renderPlotly_c1 = function() {\n" +
        $"    var data = {data};\n    var layout = {layout};\n    var config = {{\"responsive\":true}};\n" +
        "    Plotly.newPlot('c1', data, layout, config);\n};\n</script></div>";

    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4).ToArray());
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    private const string Layout = "{\"width\":720,\"height\":420,\"title\":{\"text\":\"Accuracy\"},\"xaxis\":{\"title\":{\"text\":\"examples\"},\"type\":\"log\"},\"yaxis\":{\"title\":{\"text\":\"acc\"},\"type\":\"-\"}}";

    [Fact]
    public void ChartsOfTheKindsTheLibraryDrawsBecomePngsOfTheFigureSize()
    {
        var lines = "[{\"type\":\"scatter\",\"name\":\"pet\",\"mode\":\"lines+markers\",\"x\":[10,100,1000],\"y\":[0.5,0.6,0.7]," +
                    "\"error_y\":{\"visible\":true,\"type\":\"data\",\"symmetric\":true,\"array\":[0.01,0.02,0.03]}}," +
                    "{\"type\":\"scatter\",\"name\":\"zero-shot\",\"mode\":\"lines+markers\",\"x\":[10,1000],\"y\":[0.4,0.4]}]";
        var png = ChartImage.TryRender(ChartHtml(lines, Layout), out var problem, out var title);
        Assert.Null(problem);
        Assert.Equal("Accuracy", title);
        Assert.Equal((720 + 180, 420), PngSize(png!));   // two named series: a legend on the right, beside the plot

        var bars = "[{\"type\":\"bar\",\"name\":\"BLEU\",\"x\":[\"prefix tuning\",\"fine-tuning\"],\"y\":[47.7,50.4],\"orientation\":\"v\"}]";
        var single = ChartImage.TryRender(ChartHtml(bars, Layout.Replace("\"log\"", "\"-\"").Replace("720", "640")), out problem, out _);
        Assert.Null(problem);
        Assert.Equal((640, 420), PngSize(single!));
    }

    [Fact]
    public void AFigureItCannotDrawIsNamedNotDropped()
    {
        var pie = "[{\"type\":\"pie\",\"labels\":[\"a\",\"b\"],\"values\":[1,2]}]";
        Assert.Null(ChartImage.TryRender(ChartHtml(pie, Layout), out var problem, out _));
        Assert.Contains("pie", problem);
        var twoAxes = Layout.Replace("\"yaxis\":", "\"yaxis2\":{\"title\":{\"text\":\"loss\"}},\"yaxis\":");
        var lines = "[{\"type\":\"scatter\",\"name\":\"a\",\"mode\":\"lines\",\"x\":[1,10],\"y\":[1,2]}]";
        Assert.Null(ChartImage.TryRender(ChartHtml(lines, twoAxes), out problem, out _));
        Assert.Contains("yaxis2", problem);
        Assert.Null(ChartImage.TryRender("<div>no chart</div>", out problem, out _));
        Assert.Contains("no Plotly figure", problem);
    }

    [Fact]
    public void ThePageHoldsCodeOutputsTablesAndChartImages()
    {
        var nb = Notebook("Console.WriteLine(1);", "Charts.BarChart(...)");
        ((JsonArray)nb["cells"]!).Insert(0, new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "# Title\n\nSome text." });
        nb["cells"]![1]!["outputs"] = new JsonArray(
            new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "accuracy 0.5\n" },
            new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["text/html"] = "<table><tr><td>0.5</td></tr></table>\n\n<style>td{color:red}</style>" } });
        var bars = "[{\"type\":\"bar\",\"name\":\"acc\",\"x\":[\"a\",\"b\"],\"y\":[1,2],\"orientation\":\"v\"}]";
        nb["cells"]![2]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["text/html"] = ChartHtml(bars, Layout.Replace("\"log\"", "\"-\"")) } });
        var dir = TempDir();
        var source = Path.Combine(dir, "demo.ipynb");
        File.WriteAllText(source, nb.ToJsonString());
        var page = Path.Combine(dir, "out", "demo.md");

        Assert.Empty(MarkdownPage.Write(NotebookDocument.Load(source), page));
        var md = File.ReadAllText(page);
        Assert.StartsWith("# Title\n\nSome text.\n\n```csharp\nConsole.WriteLine(1);\n```", md);
        Assert.Contains("```text\naccuracy 0.5\n```", md);
        Assert.Contains("<table><tr><td>0.5</td></tr></table>", md);
        Assert.DoesNotContain("<style", md);
        Assert.Contains("![Accuracy](demo_files/chart-01.png)", md);
        PngSize(File.ReadAllBytes(Path.Combine(dir, "out", "demo_files", "chart-01.png")));
    }

    [Fact]
    public void EveryChartOfTheShippedExecutedNotebooksIsDrawn()
    {
        string? dir = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null && dir is null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Notebooks.sln"))) dir = Path.Combine(d.FullName, "notebooks", NotebookBatch.ExecutedFolder);
        Assert.NotNull(dir);
        int charts = 0;
        foreach (var file in Directory.GetFiles(dir!, "*.ipynb"))
            foreach (var cell in NotebookDocument.Load(file).Cells)
                foreach (var html in (cell.Outputs ?? []).OfType<JsonObject>().Select(o => Text(o["data"]?["text/html"])).Where(ChartImage.IsChart))
                {
                    charts++;
                    var png = ChartImage.TryRender(html, out var problem, out var title);
                    Assert.True(png is not null, $"{Path.GetFileName(file)}: cell {cell.Number}: {problem}");
                    Assert.False(string.IsNullOrEmpty(title), $"{Path.GetFileName(file)}: cell {cell.Number}: a chart without a title");
                }
        Assert.True(charts > 0, "no charts in the executed notebooks");
    }

    [Fact]
    public void TheShippedMarkdownPagesAreThoseOfTheShippedExecutedNotebooks()
    {
        string? dir = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null && dir is null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Notebooks.sln"))) dir = Path.Combine(d.FullName, "notebooks", NotebookBatch.ExecutedFolder);
        var temp = TempDir();
        foreach (var file in Directory.GetFiles(dir!, "*.ipynb"))
        {
            var shipped = Path.ChangeExtension(file, ".md");
            Assert.True(File.Exists(shipped), $"{shipped} is missing: run `plearn notebooks markdown notebooks/executed`");
            var fresh = Path.Combine(temp, Path.GetFileName(shipped));
            MarkdownPage.Write(NotebookDocument.Load(file), fresh);
            Assert.True(File.ReadAllText(fresh) == File.ReadAllText(shipped),
                $"{shipped} does not match its notebook: run `plearn notebooks markdown notebooks/executed`");
            Assert.Equal(Images(Path.Combine(temp, Path.GetFileNameWithoutExtension(file) + "_files")),
                         Images(Path.Combine(dir!, Path.GetFileNameWithoutExtension(file) + "_files")));
        }
    }

    [Fact]
    public void TheCheckReportsAChartWithoutAPngCopy()
    {
        var nb = Notebook("Charts.PieChart(...)");
        var pie = "[{\"type\":\"pie\",\"labels\":[\"a\",\"b\"],\"values\":[1,2]}]";
        nb["cells"]![0]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["text/html"] = ChartHtml(pie, Layout) } });
        var path = Path.Combine(TempDir(), "pie.ipynb");
        File.WriteAllText(path, nb.ToJsonString());
        var problems = NotebookCheck.Problems(NotebookDocument.Load(path), quickRun: true);
        Assert.Contains(problems, p => p.Contains("cell 1") && p.Contains("\"Accuracy\" has no PNG copy") && p.Contains("pie"));
    }

    private static List<string?> Images(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToList() : [];

    [Fact]
    public void LongCategoryLabelsWrapAtSpaces() =>
        Assert.Equal("untrained\nprefix", ChartImage.Wrap("untrained prefix", 14));
}

/// <summary>nbformat's multiline strings, as every reader of outputs in the Notebooks project reads them.</summary>
public class CellOutputTextTests
{
    [Fact]
    public void StringsAndListsOfLinesAreTextAnythingElseIsEmpty()
    {
        Assert.Equal("a\nb", CellOutputs.Text(JsonNode.Parse("\"a\\nb\"")));
        Assert.Equal("a\nb", CellOutputs.Text(JsonNode.Parse("[\"a\\n\", \"b\"]")));
        Assert.Equal("", CellOutputs.Text(JsonNode.Parse("{\"x\": 1}")));   // e.g. an application/json value
        Assert.Equal("", CellOutputs.Text(JsonNode.Parse("3")));
        Assert.Equal("", CellOutputs.Text(null));
    }

    [Fact]
    public void TheCheckReadsNonStringMimeValuesWithoutFailing()
    {
        var nb = NotebookFixtures.Notebook("1");
        nb["cells"]![0]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["application/json"] = new JsonObject { ["x"] = 1 }, ["text/plain"] = "1" } });
        var path = Path.Combine(NotebookFixtures.TempDir(), "json.ipynb");
        File.WriteAllText(path, nb.ToJsonString());
        Assert.Empty(NotebookCheck.Problems(NotebookDocument.Load(path), quickRun: true));
    }
}
