using System.Diagnostics;

namespace PromptLearning.Notebooks;

/// <summary>Options of <c>plearn notebooks run</c>.</summary>
/// <param name="Inputs">Notebook files or folders (searched recursively for *.ipynb).</param>
/// <param name="OutDir">Where executed notebooks and their HTML pages go (null with <paramref name="InPlace"/>).</param>
/// <param name="InPlace">Overwrite the source notebooks with their executed versions.</param>
/// <param name="TimeoutSeconds">Time limit per notebook (0 = none).</param>
/// <param name="Pack">Pack the repo's library into artifacts/packages first when a notebook references it.</param>
/// <param name="Echo">Copy cell output to the console while it runs.</param>
public sealed record NotebookBatchOptions(IReadOnlyList<string> Inputs, string? OutDir, bool InPlace, double TimeoutSeconds, bool Pack, bool Echo);

/// <summary>
/// Runs notebooks one after another, each in its own runner process (see Program.cs), and prints
/// a summary. When a notebook asks for <c>#r "nuget: PromptLearning, ..."</c> and lies inside this
/// repository, the library is packed into <c>artifacts/packages</c> first, so notebooks always run
/// against the current source (the runner's package resolver then evicts a stale extracted copy).
/// </summary>
public static class NotebookBatch
{
    /// <summary>The package id notebooks use for the library.</summary>
    public const string LibraryPackage = "PromptLearning";

    /// <summary>Runs the batch; returns 0 when every notebook ran, 1 otherwise.</summary>
    public static int Run(NotebookBatchOptions options, TextWriter log)
    {
        var notebooks = Expand(options.Inputs, options.OutDir);
        if (notebooks.Count == 0) throw new FileNotFoundException($"no .ipynb notebooks found in {string.Join(", ", options.Inputs)}");

        if (options.Pack && !PackLibrary(notebooks.Select(n => n.Source), log)) return 1;

        var runner = Path.Combine(AppContext.BaseDirectory, "PromptLearning.Notebooks.dll");
        var runtimeConfig = Path.ChangeExtension(runner, ".runtimeconfig.json");
        if (!File.Exists(runner) || !File.Exists(runtimeConfig))
            throw new FileNotFoundException($"the notebook runner {runner} (with its .runtimeconfig.json) is missing: rebuild src/PromptLearning.Cli.");

        var results = new List<(string Name, string Status, double Seconds)>();
        foreach (var (source, relative) in notebooks)
        {
            string output = options.InPlace ? source : Path.GetFullPath(Path.Combine(options.OutDir!, relative));
            string html = Path.ChangeExtension(output, ".html");
            var psi = new ProcessStartInfo(PackageResolver.DotnetHost()) { WorkingDirectory = Path.GetDirectoryName(source)! };
            foreach (var a in new[] { "exec", "--runtimeconfig", runtimeConfig, "--depsfile", Path.ChangeExtension(runner, ".deps.json"), runner, source, "--out", output, "--html", html })
                psi.ArgumentList.Add(a);
            if (options.TimeoutSeconds > 0) { psi.ArgumentList.Add("--timeout"); psi.ArgumentList.Add(options.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
            if (options.Echo) psi.ArgumentList.Add("--echo");
            var clock = Stopwatch.StartNew();
            log.WriteLine($"== {relative}");
            using var process = Process.Start(psi)!;
            // The runner enforces the limit itself; this is the backstop for a wedged process.
            if (!process.WaitForExit(options.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(options.TimeoutSeconds + 120) : Timeout.InfiniteTimeSpan))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            var status = process.ExitCode switch { 0 => "ok", 124 => "TIMED OUT", 1 => "FAILED", var c => $"FAILED (exit {c})" };
            results.Add((relative, status, clock.Elapsed.TotalSeconds));
            log.WriteLine($"== {relative}: {status} in {clock.Elapsed.TotalSeconds:F1} s -> {output}");
        }

        log.WriteLine();
        foreach (var (name, status, seconds) in results) log.WriteLine($"{name,-48} {status,-12} {seconds,8:F1} s");
        int failed = results.Count(r => r.Status != "ok");
        log.WriteLine(failed == 0 ? $"all {results.Count} notebook(s) ran" : $"{failed} of {results.Count} notebook(s) failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Notebook files with their output path relative to the output folder.</summary>
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
                if (file.Contains($"{Path.DirectorySeparatorChar}.ipynb_checkpoints{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
                if (outFull is not null && file.StartsWith(outFull, StringComparison.Ordinal)) continue;
                list.Add((file, Path.GetRelativePath(full, file)));
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

    /// <summary>Packs the library into each referencing notebook's repo artifacts/packages.</summary>
    private static bool PackLibrary(IEnumerable<string> notebooks, TextWriter log)
    {
        var roots = notebooks
            .Where(n => File.ReadAllText(n).Contains($"nuget: {LibraryPackage},", StringComparison.Ordinal))
            .Select(n => FindRepoRoot(Path.GetDirectoryName(n)!))
            .OfType<string>().Distinct().ToList();
        foreach (var root in roots)
        {
            var clock = Stopwatch.StartNew();
            var feed = Path.Combine(root, "artifacts", "packages");
            log.WriteLine($"packing {LibraryPackage} into {feed} ...");
            var (code, output) = PackageResolver.Dotnet(root, "pack", Path.Combine("src", "PromptLearning", "PromptLearning.csproj"), "-c", "Release", "-o", feed, "--nologo", "-v", "q");
            if (code != 0)
            {
                log.WriteLine(output);
                log.WriteLine($"dotnet pack of {LibraryPackage} failed (exit {code}); no notebook was run.");
                return false;
            }
            log.WriteLine($"packed in {clock.Elapsed.TotalSeconds:F1} s");
        }
        return true;
    }
}
