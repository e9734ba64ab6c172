using System.Text.Json.Nodes;
using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

[Collection("notebook runner")]
public class NotebookExportTests
{
    private static JsonObject Sample()
    {
        var nb = Notebook(
            "#r \"nuget: Plotly.NET.Interactive, 6.0.0\"\nusing System.Text;\nvar sb = new StringBuilder(\"ab\");\nConsole.WriteLine(File.Exists(\"marker.txt\"));",
            "record Point(int X);\nstatic int Twice(int v) => 2 * v;\nnew Point(Twice(sb.Length))");
        ((JsonArray)nb["cells"]!).Insert(1, new JsonObject { ["cell_type"] = "markdown", ["id"] = "md", ["metadata"] = new JsonObject(), ["source"] = "## Two\nwords" });
        return nb;
    }

    [Fact]
    public void CellsBecomeATopLevelProgram()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "sample.ipynb");
        File.WriteAllText(path, Sample().ToJsonString());
        var app = NotebookExport.ToFileBasedApp(NotebookDocument.Load(path), path, "..");
        Assert.DoesNotContain("Plotly.NET.Interactive", app); // a kernel extension only
        Assert.True(app.IndexOf("using System.Text;", StringComparison.Ordinal) < app.IndexOf("var sb", StringComparison.Ordinal));
        Assert.True(app.IndexOf("record Point", StringComparison.Ordinal) > app.IndexOf("display(new Point(Twice(sb.Length)));", StringComparison.Ordinal));
        Assert.Contains("// ## Two\n// words", app);
    }

    [Theory]
    [InlineData(LocalFeed.DisplayPackage, true)]
    [InlineData(LocalFeed.LibraryPackage, false)]
    public void LocalPackagesArePinnedAndOnlyTheDisplayPackageBringsItsOutput(string package, bool display)
    {
        var path = Path.Combine(TempDir(), "lib.ipynb");
        File.WriteAllText(path, Notebook($"#r \"nuget: {package}, *-*\"\n1").ToJsonString());
        var app = NotebookExport.ToFileBasedApp(NotebookDocument.Load(path), path, ".", "9.9.9-local.1");
        Assert.Contains($"#:package {package}@9.9.9-local.1", app);
        Assert.Equal(display, app.Contains("using static PromptLearning.Display.FileBasedOutput;"));
        Assert.Equal(!display, app.Contains("static void display(object? value)"));
    }

    [Fact]
    public void UnsupportedCellsAreNamed()
    {
        var nb = Notebook("#!fsharp\n1", "2");
        nb["cells"]![0]!["metadata"]!["polyglot_notebook"]!["kernelName"] = "fsharp";
        var path = Path.Combine(TempDir(), "fs.ipynb");
        File.WriteAllText(path, nb.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => NotebookExport.ToFileBasedApp(NotebookDocument.Load(path), path, "."));
        Assert.Contains("fs.ipynb: cell 1", e.Message);
        Assert.Contains("fsharp", e.Message);
    }

    [Fact]
    public void TheExportedAppRunsWithDotnetRunFromTheNotebookFolder()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "sample.ipynb");
        File.WriteAllText(path, Sample().ToJsonString());
        File.WriteAllText(Path.Combine(dir, "marker.txt"), "relative paths resolve against the notebook's folder");
        var written = NotebookExport.Export([path], Path.Combine(dir, "cs"), TextWriter.Null);
        var app = Assert.Single(written);
        var (code, output) = DotnetCli.Run(TempDir(), "run", app);
        Assert.True(code == 0, output);
        Assert.Contains("True", output);
        Assert.Contains("Point { X = 4 }", output);
    }
}
