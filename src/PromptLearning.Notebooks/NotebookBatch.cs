using System.Diagnostics;

namespace PromptLearning.Notebooks;

/// <summary>Options of <c>plearn notebooks run</c>.</summary>
/// <param name="Inputs">Notebook files or folders (searched recursively for *.ipynb).</param>
/// <param name="OutDir">Where executed notebooks and their HTML pages go (null with <paramref name="InPlace"/>).</param>
/// <param name="InPlace">Overwrite the source notebooks with their executed versions.</param>
/// <param name="TimeoutSeconds">Time limit per notebook (0 = none).</param>
/// <param name="Pack">Pack the repo's library into its local feed first when a notebook references it (see <see cref="LocalFeed"/>).</param>
/// <param name="Echo">Copy cell output to the console while it runs.</param>
/// <param name="Parallel">How many notebooks run at once, each in its own kernel (the notebooks set one torch thread each, so two on a 2-core machine take about half the time of one after another).</param>
public sealed record NotebookBatchOptions(IReadOnlyList<string> Inputs, string? OutDir, bool InPlace, double TimeoutSeconds, bool Pack, bool Echo, int Parallel = 1);

/// <summary>
/// Runs notebooks one after another (or <see cref="NotebookBatchOptions.Parallel"/> at a time), each in a fresh .NET Interactive kernel (<see cref="NotebookRunner"/>),
/// writes each executed notebook and its standalone HTML page, and prints a summary. When a notebook
/// asks for <c>#r "nuget: PromptLearning.Display, ..."</c> (or the core <c>PromptLearning</c>) and lies
/// inside this repository, the library's packages are packed into the repository's local feed first (<see cref="LocalFeed"/>), so notebooks always run
/// against the current source.
/// </summary>
public static class NotebookBatch
{
    /// <summary>Runs the batch; returns 0 when every notebook ran, 1 when one failed, 124 when one timed out (and none failed otherwise).</summary>
    public static int Run(NotebookBatchOptions options, TextWriter log)
    {
        var notebooks = Expand(options.Inputs, options.OutDir);
        if (notebooks.Count == 0) throw new FileNotFoundException($"no .ipynb notebooks found in {string.Join(", ", options.Inputs)}");

        var loaded = new List<(NotebookDocument Notebook, string Relative)>();
        foreach (var (source, relative) in notebooks)
        {
            try { loaded.Add((NotebookDocument.Load(source), relative)); }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                log.WriteLine(e.Message);
                return 1;
            }
        }
        if (options.Pack)
        {
            try { PackLibrary(loaded.Select(n => n.Notebook), log); }
            catch (InvalidOperationException e)
            {
                log.WriteLine(e.Message);
                log.WriteLine("no notebook was run.");
                return 1;
            }
        }
        var tool = KernelTool.Locate(Path.GetDirectoryName(loaded[0].Notebook.Path)!, log);

        if (options.Parallel < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Parallel, "Parallel must be at least 1");
        var results = new (string Name, string Status, double Seconds)[loaded.Count];
        bool anyTimedOut = false;
        var gate = new object();
        // With several at once, each notebook's log is held and written in one piece when it ends.
        void RunOne(int i)
        {
            var (notebook, relative) = loaded[i];
            string output = options.InPlace ? notebook.Path : Path.GetFullPath(Path.Combine(options.OutDir!, relative));
            var clock = Stopwatch.StartNew();
            var own = options.Parallel == 1 ? log : new StringWriter();
            lock (gate) log.WriteLine($"== {relative}");
            var runner = new NotebookRunner(notebook, tool, own, options.Echo && options.Parallel == 1);
            var result = runner.RunAsync(options.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(options.TimeoutSeconds) : null).GetAwaiter().GetResult();
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            runner.Save(output);
            HtmlPage.Write(notebook, Path.ChangeExtension(output, ".html"));
            foreach (var problem in MarkdownPage.Write(notebook, Path.ChangeExtension(output, ".md"))) own.WriteLine(problem);
            if (!result.Succeeded) own.WriteLine(result.Message);
            var status = result.Succeeded ? "ok" : result.TimedOut ? "TIMED OUT" : "FAILED";
            own.WriteLine($"== {relative}: {status} in {clock.Elapsed.TotalSeconds:F1} s -> {output}");
            lock (gate)
            {
                if (own != log) log.Write(own.ToString());
                anyTimedOut |= result.TimedOut;
                results[i] = (relative, status, clock.Elapsed.TotalSeconds);
            }
        }
        System.Threading.Tasks.Parallel.For(0, loaded.Count, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = options.Parallel }, RunOne);

        log.WriteLine();
        foreach (var (name, status, seconds) in results) log.WriteLine($"{name,-48} {status,-12} {seconds,8:F1} s");
        int failed = results.Count(r => r.Status != "ok");
        log.WriteLine(failed == 0 ? $"all {results.Length} notebook(s) ran in the .NET Interactive kernel {tool.Version}" : $"{failed} of {results.Length} notebook(s) failed");
        return failed == 0 ? 0 : results.Any(r => r.Status == "FAILED") || !anyTimedOut ? 1 : 124;
    }

    /// <summary>
    /// Folder that holds the committed executed copies of a notebook folder (the outputs of the last
    /// CI run, for readers who want results without running anything): not sources, so a folder
    /// argument skips it.
    /// </summary>
    public const string ExecutedFolder = "executed";

    /// <summary>
    /// Notebook files with their output path relative to the output folder: files as given, folders
    /// searched recursively, skipping <c>.ipynb_checkpoints</c>, <see cref="ExecutedFolder"/> and the output folder.
    /// </summary>
    public static List<(string Source, string Relative)> Expand(IEnumerable<string> inputs, string? outDir)
    {
        var outFull = outDir is null ? null : Path.GetFullPath(outDir) + Path.DirectorySeparatorChar;
        var list = new List<(string, string)>();
        foreach (var input in inputs)
        {
            var full = Path.GetFullPath(input);
            if (File.Exists(full)) { list.Add((full, Path.GetFileName(full))); continue; }
            if (!Directory.Exists(full)) throw new FileNotFoundException($"{input}: no such notebook file or folder");
            foreach (var file in Directory.EnumerateFiles(full, "*.ipynb", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(full, file);
                var folders = relative.Split(Path.DirectorySeparatorChar)[..^1];
                if (folders.Contains(".ipynb_checkpoints") || folders.Contains(ExecutedFolder)) continue;
                if (outFull is not null && file.StartsWith(outFull, StringComparison.Ordinal)) continue;
                list.Add((file, relative));
            }
        }
        return list;
    }

    /// <summary>The repository root (folder with src/PromptLearning/PromptLearning.csproj) above a path, or null.</summary>
    public static string? FindRepoRoot(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "src", "PromptLearning", "PromptLearning.csproj"))) return dir.FullName;
        return null;
    }

    /// <summary>Packs the library's packages into the local feed of each repository whose notebooks reference one of them.</summary>
    private static void PackLibrary(IEnumerable<NotebookDocument> notebooks, TextWriter log)
    {
        var roots = notebooks
            .Where(n => n.Cells.Any(c => LocalFeed.Packages.Any(p => c.Source.Contains($"nuget: {p},", StringComparison.Ordinal))))
            .Select(n => FindRepoRoot(Path.GetDirectoryName(Path.GetFullPath(n.Path))!))
            .OfType<string>().Distinct().ToList();
        foreach (var root in roots) LocalFeed.Pack(root, log);
    }
}
