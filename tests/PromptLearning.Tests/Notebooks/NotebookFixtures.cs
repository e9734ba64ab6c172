using PromptLearning.Notebooks;
using System.Text.Json.Nodes;

namespace PromptLearning.Tests.Notebooks;

/// <summary>Builds small Polyglot C# notebooks and runs them in the real .NET Interactive kernel.</summary>
internal static class NotebookFixtures
{
    /// <summary>A Polyglot C# notebook (nbformat 4.5) whose code cells have the given sources.</summary>
    public static JsonObject Notebook(params string[] cells) => new()
    {
        ["cells"] = new JsonArray(cells.Select((source, i) => (JsonNode)new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = $"cell-{i + 1}",
            ["metadata"] = new JsonObject
            {
                ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            },
            ["outputs"] = new JsonArray(),
            ["source"] = NotebookCell.Lines(source),
        }).ToArray()),
        ["metadata"] = new JsonObject
        {
            ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
            ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
            ["polyglot_notebook"] = new JsonObject
            {
                ["kernelInfo"] = new JsonObject
                {
                    ["defaultKernelName"] = "csharp",
                    ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["languageName"] = "C#", ["name"] = "csharp" }),
                },
            },
        },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    };

    /// <summary>A fresh temporary folder.</summary>
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "plearn-nb-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static readonly Lazy<KernelTool> Tool = new(() => KernelTool.Locate(AppContext.BaseDirectory, TextWriter.Null));

    /// <summary>Writes the notebook into a fresh folder, runs it in a real kernel, saves it; returns the result, the progress log and the executed notebook.</summary>
    public static (NotebookRunResult Result, string Log, JsonObject Executed, string OutPath) Run(JsonObject notebook, double timeoutSeconds = 300, string name = "test.ipynb")
    {
        var dir = TempDir();
        var source = Path.Combine(dir, name);
        File.WriteAllText(source, notebook.ToJsonString());
        var output = Path.Combine(dir, "out", name);
        var log = new StringWriter();
        var document = NotebookDocument.Load(source);
        var runner = new NotebookRunner(document, Tool.Value, log, echoOutput: false);
        var result = runner.RunAsync(TimeSpan.FromSeconds(timeoutSeconds)).GetAwaiter().GetResult();
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        runner.Save(output);
        HtmlPage.Write(document, Path.ChangeExtension(output, ".html"));
        return (result, log.ToString() + result.Message, (JsonObject)JsonNode.Parse(File.ReadAllText(output))!, output);
    }

    /// <summary>The outputs of the n-th (1-based) cell.</summary>
    public static List<JsonObject> Outputs(JsonObject notebook, int cell) =>
        ((JsonArray)notebook["cells"]![cell - 1]!["outputs"]!).Select(o => (JsonObject)o!).ToList();

    /// <summary>Joins nbformat multi-line text.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };
}
