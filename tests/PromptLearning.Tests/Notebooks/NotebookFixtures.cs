using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PromptLearning.Tests.Notebooks;

/// <summary>Builds small Polyglot C# notebooks and runs them through the runner process.</summary>
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
            ["source"] = PromptLearning.Notebooks.NotebookCell.Lines(source),
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

    /// <summary>Writes the notebook, runs it in the runner process, returns exit code, console output and the executed notebook.</summary>
    public static (int Exit, string Console, JsonObject Executed, string OutPath) Run(JsonObject notebook, string name = "test.ipynb")
    {
        var dir = TempDir();
        var source = Path.Combine(dir, name);
        File.WriteAllText(source, notebook.ToJsonString());
        var output = Path.Combine(dir, "out", name);
        var runner = Path.Combine(AppContext.BaseDirectory, "PromptLearning.Notebooks.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { "exec", "--runtimeconfig", Path.ChangeExtension(runner, ".runtimeconfig.json"), "--depsfile", Path.ChangeExtension(runner, ".deps.json"),
                     runner, source, "--out", output, "--html", Path.ChangeExtension(output, ".html"), "--timeout", "300" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var text = stdout + stderr.Result;
        Assert.True(File.Exists(output), $"the runner wrote no notebook; it printed:\n{text}");
        return (process.ExitCode, text, (JsonObject)JsonNode.Parse(File.ReadAllText(output))!, output);
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
