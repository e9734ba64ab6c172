using System.Text.Json.Nodes;
using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

[Collection("notebook runner")]
public class NotebookDocumentTests
{
    private static JsonObject RichNotebook()
    {
        var nb = Notebook("Console.WriteLine(1);", "2");
        nb["metadata"]!["custom"] = new JsonObject { ["keep"] = new JsonArray(1, "two", null) };
        nb["metadata"]!["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" };
        nb["cells"]![0]!["metadata"]!["tags"] = new JsonArray("setup");
        nb["cells"]![0]!["metadata"]!["collapsed"] = true;
        ((JsonArray)nb["cells"]!).Insert(0, new JsonObject
        {
            ["attachments"] = new JsonObject { ["a.png"] = new JsonObject { ["image/png"] = "iVBORw0KGgo=" } },
            ["cell_type"] = "markdown",
            ["id"] = "intro",
            ["metadata"] = new JsonObject { ["slideshow"] = new JsonObject { ["slide_type"] = "slide" } },
            ["source"] = "# Title — naïve <b> & \"quotes\"",
        });
        return nb;
    }

    [Fact]
    public void RoundTripKeepsEveryField()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "rich.ipynb");
        var original = RichNotebook();
        File.WriteAllText(path, original.ToJsonString());
        var doc = NotebookDocument.Load(path);
        doc.Save(Path.Combine(dir, "copy.ipynb"));
        var copy = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "copy.ipynb")));
        Assert.True(JsonNode.DeepEquals(original, copy), copy!.ToJsonString());
        // Saved as Polyglot writes it: one-space indent, characters not escaped, final newline.
        var text = File.ReadAllText(Path.Combine(dir, "copy.ipynb"));
        Assert.StartsWith("{\n \"cells\": [", text);
        Assert.Contains("naïve <b> & \\\"quotes\\\"", text);
        Assert.EndsWith("}\n", text);
    }

    [Fact]
    public void ExecutionChangesOnlyOutputsAndCounts()
    {
        var original = RichNotebook();
        var (result, log, executed, _) = Run(original);
        Assert.True(result.Succeeded, log);
        foreach (var cell in ((JsonArray)executed["cells"]!).Select(c => (JsonObject)c!)) { cell.Remove("outputs"); cell.Remove("execution_count"); }
        foreach (var cell in ((JsonArray)original["cells"]!).Select(c => (JsonObject)c!)) { cell.Remove("outputs"); cell.Remove("execution_count"); }
        Assert.True(JsonNode.DeepEquals(original, executed), executed.ToJsonString());
    }

    [Fact]
    public void RejectsNonNotebookNamingTheFile()
    {
        var path = Path.Combine(TempDir(), "bad.ipynb");
        File.WriteAllText(path, "{\"nbformat\": 3, \"cells\": []}");
        var e = Assert.Throws<InvalidDataException>(() => NotebookDocument.Load(path));
        Assert.Contains("bad.ipynb", e.Message);
        Assert.Contains("nbformat", e.Message);
    }
}

public class NotebookDocumentValidationTests
{
    [Theory]
    [InlineData("{\"nbformat\": \"4\", \"cells\": []}", "nbformat")]
    [InlineData("{\"nbformat\": 4, \"cells\": [{\"cell_type\": 5, \"source\": \"x\"}]}", "cell 1: \"cell_type\"")]
    [InlineData("{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": [\"a\", 3]}]}", "cell 1: \"source\"")]
    [InlineData("{\"nbformat\": 4, \"cells\": [1]}", "cell 1 is not a JSON object")]
    [InlineData("{\"nbformat\": 4, \"cells\": {}}", "\"cells\"")]
    [InlineData("[1]", "top level")]
    public void MalformedNotebooksAreRefusedNamingFileAndCell(string json, string expected)
    {
        var path = Path.Combine(NotebookFixtures.TempDir(), "bad.ipynb");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => PromptLearning.Notebooks.NotebookDocument.Load(path));
        Assert.Contains("bad.ipynb", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
