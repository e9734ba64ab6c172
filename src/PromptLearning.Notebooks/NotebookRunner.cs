using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PromptLearning.Notebooks;

/// <summary>How one notebook run ended.</summary>
/// <param name="FailedCell">1-based number (counting every cell) of the cell that failed, or null.</param>
/// <param name="Message">The failure (notebook, cell, error), or null.</param>
/// <param name="TimedOut">Whether the notebook ran past its time limit.</param>
public sealed record NotebookRunResult(int? FailedCell, string? Message, bool TimedOut = false)
{
    /// <summary>Whether every cell ran.</summary>
    public bool Succeeded => FailedCell is null;
}

/// <summary>
/// Executes a notebook's code cells, in order, in a real .NET Interactive kernel
/// (<see cref="KernelProcess"/>, the same kernel VS Code starts, in the notebook's folder), and
/// stores each cell's outputs as VS Code stores them. What the runner adds: a time limit for the
/// whole notebook, progress with per-cell time, and on the first failing cell an <c>error</c>
/// output there, the outputs of later cells cleared and the failing cell named. Whatever a cell
/// does to its process (<c>Environment.Exit</c>, a crash, redirected console) happens in the kernel
/// process: the outputs of the cells before it are kept and the failure is reported.
/// </summary>
public sealed class NotebookRunner(NotebookDocument notebook, KernelTool tool, TextWriter progress, bool echoOutput)
{
    private readonly object _saveGate = new();

    private string Name => Path.GetFileName(notebook.Path);

    /// <summary>Runs every code cell; returns at the first failure or when <paramref name="limit"/> (null = none) has passed.</summary>
    public async Task<NotebookRunResult> RunAsync(TimeSpan? limit)
    {
        using var deadline = limit is { } l ? new CancellationTokenSource(l) : new CancellationTokenSource();
        var folder = Path.GetDirectoryName(Path.GetFullPath(notebook.Path))!;
        var clock = Stopwatch.StartNew();
        progress.WriteLine($"[{Name}] starting the .NET Interactive kernel {tool.Version} in {folder} ...");
        KernelProcess kernel;
        try { kernel = await KernelProcess.StartAsync(tool, folder, TimeSpan.FromSeconds(120)); }
        catch (KernelExitedException e) { return new NotebookRunResult(0, $"{notebook.Path}: {e.Message}"); }
        progress.WriteLine($"[{Name}] kernel ready (pid {kernel.ProcessId}) in {clock.Elapsed.TotalSeconds:F1} s");
        using (kernel) return await RunCellsAsync(kernel, deadline.Token, limit);
    }

    private async Task<NotebookRunResult> RunCellsAsync(KernelProcess kernel, CancellationToken deadline, TimeSpan? limit)
    {
        var codeCells = notebook.Cells.Where(c => c.CellType == "code").ToList();
        int total = notebook.Cells.Count, executionCount = 0;
        foreach (var cell in codeCells)
        {
            var outputs = new CellOutputs();
            var clock = Stopwatch.StartNew();
            string label = $"[{Name}] cell {cell.Number}/{total}";
            progress.WriteLine($"{label} ...");
            string? failure = null;
            bool timedOut = false;
            try
            {
                var final = await kernel.SubmitCodeAsync(cell.Source, cell.Kernel ?? notebook.DefaultKernel, e => Record(outputs, e), deadline);
                if (final.Type == "CommandFailed")
                {
                    failure = final.Body["message"]?.GetValue<string>() ?? "the cell failed";
                    outputs.Error("Error", failure, []);
                }
                else if (outputs.FirstError() is { } error) failure = error; // an ErrorProduced event without a failed command
            }
            catch (KernelExitedException e)
            {
                failure = e.Message;
                outputs.Error("Error", failure, []);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                failure = $"the notebook did not finish within its time limit of {limit!.Value.TotalSeconds:F0} s (this cell was still running after {clock.Elapsed.TotalSeconds:F0} s)";
                outputs.Error("Error", failure, []);
            }
            lock (_saveGate) cell.SetResult(outputs.ToJson(), ++executionCount);
            progress.WriteLine($"{label} {(failure is null ? "ok" : timedOut ? "TIMED OUT" : "FAILED")} in {clock.Elapsed.TotalSeconds:F2} s");
            if (failure is null) continue;
            lock (_saveGate)
                foreach (var later in codeCells.SkipWhile(c => c != cell).Skip(1)) later.SetResult([], null);
            var id = cell.Id is null ? "" : $" (id '{cell.Id}')";
            return new NotebookRunResult(cell.Number, $"{notebook.Path}: cell {cell.Number}{id} failed:\n{failure}", timedOut);
        }
        return new NotebookRunResult(null, null);
    }

    /// <summary>Maps one kernel event to the cell's outputs as VS Code's Polyglot extension does.</summary>
    private void Record(CellOutputs outputs, KernelEvent e)
    {
        switch (e.Type)
        {
            case "StandardOutputValueProduced" or "StandardErrorValueProduced":
                var text = Bundle(e.Body).GetValueOrDefault("text/plain") ?? "";
                outputs.Write(e.Type == "StandardOutputValueProduced" ? "stdout" : "stderr", text);
                if (echoOutput) progress.Write(text);
                break;
            case "DisplayedValueProduced" or "DisplayedValueUpdated" or "ReturnValueProduced":
                var bundle = Bundle(e.Body);
                if (bundle.Count > 0) outputs.Display(bundle, e.Body["valueId"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null);
                break;
            case "ErrorProduced":
                outputs.Error("Error", e.Body["message"]?.GetValue<string>() ?? "", []);
                break;
        }
    }

    /// <summary>The displayable MIME bundle of a display event (values marked <c>suppressDisplay</c> left out).</summary>
    private static Dictionary<string, string> Bundle(JsonObject body)
    {
        var bundle = new Dictionary<string, string>();
        foreach (var value in body["formattedValues"] as JsonArray ?? [])
        {
            if (value is not JsonObject v || v["suppressDisplay"] is JsonValue s && s.GetValue<bool>()) continue;
            if (v["mimeType"]?.GetValue<string>() is { } mime) bundle[mime] = v["value"]?.GetValue<string>() ?? "";
        }
        return bundle;
    }

    /// <summary>Saves the notebook as it stands.</summary>
    public void Save(string path)
    {
        lock (_saveGate) notebook.Save(path);
    }
}
