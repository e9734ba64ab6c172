using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using PromptLearning.Notebooks.Kernel;

namespace PromptLearning.Notebooks;

/// <summary>How one notebook run ended.</summary>
/// <param name="FailedCell">1-based number of the cell that failed, or null.</param>
/// <param name="Message">The failure (notebook, cell, exception), or null.</param>
public sealed record NotebookRunResult(int? FailedCell, string? Message)
{
    /// <summary>Whether every cell ran.</summary>
    public bool Succeeded => FailedCell is null;
}

/// <summary>
/// Executes the C# cells of one notebook in order with Roslyn scripting, as the Polyglot C# kernel
/// does: same script options and default imports, <see cref="ScriptState"/> carried from cell to
/// cell, <c>#r "nuget:"</c> hoisted and restored for real, stdout/stderr and <c>display()</c>
/// captured, the last-expression value shown. The notebook's folder is the working directory
/// and the base for relative <c>#r</c> paths and <c>#i</c> sources. On the first failing cell it
/// stores an <c>error</c> output there, clears the outputs of the cells after it, and stops.
/// Console and the display sink are process-wide: one runner per process.
/// </summary>
public sealed class NotebookRunner
{
    private static readonly string[] DefaultImports =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    private static readonly MethodInfo HasReturnValue =
        typeof(Script).GetMethod("HasReturnValue", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingMethodException("Microsoft.CodeAnalysis.Scripting.Script.HasReturnValue is missing: the pinned Roslyn version changed.");

    private readonly NotebookDocument _notebook;
    private readonly string _notebookDir;
    private readonly PackageResolver _resolver;
    private readonly TextWriter _progress;
    private readonly bool _echo;
    private readonly object _saveGate = new();
    private CellOutputs? _current;
    private ValueFormatter? _formatter;
    private NotebookCell? _runningCell;
    private int _executionCount;

    /// <param name="notebook">The notebook to run (its outputs are replaced).</param>
    /// <param name="progress">Where progress lines go (the console's stderr in the CLI).</param>
    /// <param name="echoOutput">Also copy cell stdout/stderr to <paramref name="progress"/>.</param>
    /// <param name="packageWorkRoot">Folder for generated restore projects.</param>
    public NotebookRunner(NotebookDocument notebook, TextWriter progress, bool echoOutput, string? packageWorkRoot = null)
    {
        _notebook = notebook;
        _notebookDir = Path.GetDirectoryName(Path.GetFullPath(notebook.Path))!;
        _progress = progress;
        _echo = echoOutput;
        _resolver = new PackageResolver(packageWorkRoot ?? PackageResolver.DefaultWorkRoot(), m => _progress.WriteLine($"[{Name}] {m}"));
    }

    private string Name => Path.GetFileName(_notebook.Path);

    /// <summary>Runs every code cell; returns at the first failure.</summary>
    public async Task<NotebookRunResult> RunAsync()
    {
        Directory.SetCurrentDirectory(_notebookDir);
        var stdout = Console.Out;
        var stderr = Console.Error;
        Console.SetOut(new CellWriter("stdout", () => _current, _echo ? _progress : null));
        Console.SetError(new CellWriter("stderr", () => _current, _echo ? _progress : null));
        DisplaySink.Install(
            (value, mimes) => _current?.Display(_formatter!.Format(value, mimes)) ?? -1,
            (id, value, mimes) => _current?.Update(id, _formatter!.Format(value, mimes)));
        try
        {
            return await RunCellsAsync();
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    private async Task<NotebookRunResult> RunCellsAsync()
    {
        var options = BaseOptions();
        var packages = new List<PackageRequest>();
        var sources = new List<string>();
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        ScriptState<object>? state = null;
        var codeCells = _notebook.Cells.Where(c => c.CellType == "code").ToList();
        int total = _notebook.Cells.Count;

        foreach (var cell in codeCells)
        {
            var outputs = new CellOutputs();
            var clock = Stopwatch.StartNew();
            lock (_saveGate) { _current = outputs; _runningCell = cell; }
            _formatter = new ValueFormatter($"{Name}/{cell.Id ?? cell.Number.ToString()}");
            string label = $"[{Name}] cell {cell.Number}/{total}";
            _progress.WriteLine($"{label} ...");
            string? failure = null;
            int count = ++_executionCount;
            try
            {
                var submission = CellSubmission.Parse(cell.Source, cell.Kernel ?? _notebook.DefaultKernel);
                if (submission.Kernel != "csharp")
                    throw new NotSupportedException($"the cell runs in kernel '{submission.Kernel}'; the headless runner runs C# cells only.");

                var added = AddPackages(submission, packages, sources);
                if (added.Count > 0)
                {
                    var restore = packages.Where(p => !PackageResolver.IsKernelExtension(p.Name)).ToList();
                    if (restore.Count > 0)
                    {
                        var fresh = _resolver.Resolve(restore, sources).Where(referenced.Add).ToList();
                        options = options.AddReferences(WithoutFrameworkDuplicates(fresh).Select(Load));
                    }
                    outputs.Display(new() { ["text/html"] = InstalledPackagesHtml(added) });
                }

                var script = state is null ? CSharpScript.Create(submission.Code, options) : state.Script.ContinueWith(submission.Code, options);
                var diagnostics = script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                if (diagnostics.Count > 0) throw new CompilationErrorException(string.Join("\n", diagnostics), diagnostics.ToImmutableArray());

                var next = state is null ? await script.RunAsync(catchException: _ => true) : await script.RunFromAsync(state, catchException: _ => true);
                if (next.Exception is not null) throw new CellException(next.Exception);
                state = next;
                if ((bool)HasReturnValue.Invoke(script, null)!) outputs.Result(_formatter.Format(state.ReturnValue, []));
                if (submission.Time) outputs.Write("stdout", $"Wall time: {clock.Elapsed.TotalMilliseconds:F0}ms\n");
            }
            catch (Exception e)
            {
                failure = RecordError(outputs, e);
            }
            lock (_saveGate)
            {
                cell.SetResult(outputs.ToJson(count), count);
                _current = null;
                _runningCell = null;
            }
            _progress.WriteLine($"{label} {(failure is null ? "ok" : "FAILED")} in {clock.Elapsed.TotalSeconds:F2} s");
            if (failure is not null)
            {
                foreach (var later in codeCells.SkipWhile(c => c != cell).Skip(1)) later.SetResult([], null);
                var id = cell.Id is null ? "" : $" (id '{cell.Id}')";
                return new NotebookRunResult(cell.Number, $"{_notebook.Path}: cell {cell.Number}{id} failed:\n{failure}");
            }
        }
        return new NotebookRunResult(null, null);
    }

    /// <summary>Stores a time-out error in the running cell and clears the cells after it (call from another thread).</summary>
    public NotebookRunResult MarkTimedOut(TimeSpan limit)
    {
        lock (_saveGate)
        {
            var cell = _runningCell;
            var message = $"the notebook did not finish within its time limit of {limit.TotalSeconds:F0} s";
            if (cell is null) return new NotebookRunResult(0, $"{_notebook.Path}: {message}.");
            _current!.Error("TimeoutException", message, [message]);
            cell.SetResult(_current.ToJson(_executionCount), _executionCount);
            foreach (var later in _notebook.Cells.Where(c => c.CellType == "code" && c.Number > cell.Number)) later.SetResult([], null);
            _current = null;
            return new NotebookRunResult(cell.Number, $"{_notebook.Path}: cell {cell.Number} was still running: {message}.");
        }
    }

    /// <summary>Saves the notebook as it stands (safe while a cell is running).</summary>
    public void Save(string path)
    {
        lock (_saveGate) _notebook.Save(path);
    }

    private sealed class CellException(Exception inner) : Exception(inner.Message, inner);

    private static string RecordError(CellOutputs outputs, Exception e)
    {
        switch (e)
        {
            case CompilationErrorException c:
                outputs.Error("CompilationError", c.Message, c.Diagnostics.Select(d => d.ToString()));
                return c.Message;
            case CellException { InnerException: { } inner }:
                var text = inner.ToString();
                outputs.Error(inner.GetType().FullName ?? inner.GetType().Name, inner.Message, text.Split('\n').Select(l => l.TrimEnd('\r')));
                return text;
            case PackageRestoreException or FormatException or NotSupportedException or DirectoryNotFoundException or InvalidOperationException:
                outputs.Error(e.GetType().Name, e.Message, [e.Message]);
                return e.Message;
            default: // a fault of the runner itself: keep the stack
                outputs.Error(e.GetType().Name, e.Message, e.ToString().Split('\n').Select(l => l.TrimEnd('\r')));
                return e.ToString();
        }
    }

    /// <summary>Records the cell's packages and sources; returns the packages new to this notebook.</summary>
    private List<PackageRequest> AddPackages(CellSubmission submission, List<PackageRequest> packages, List<string> sources)
    {
        foreach (var s in submission.Sources)
        {
            var resolved = s.Contains("://", StringComparison.Ordinal) ? s : Path.GetFullPath(s, _notebookDir);
            if (!resolved.Contains("://", StringComparison.Ordinal) && !Directory.Exists(resolved))
                throw new DirectoryNotFoundException($"#i \"nuget: {s}\": the package source folder {resolved} does not exist.");
            if (!sources.Contains(resolved)) sources.Add(resolved);
        }
        var added = new List<PackageRequest>();
        foreach (var p in submission.Packages)
        {
            var existing = packages.FirstOrDefault(q => q.Name.Equals(p.Name, StringComparison.OrdinalIgnoreCase));
            if (existing is not null)
            {
                if (existing.Version != p.Version)
                    throw new InvalidOperationException($"#r \"nuget: {p}\": {existing} was already added to this notebook; one session cannot load two versions of a package.");
                continue;
            }
            packages.Add(p);
            added.Add(p);
        }
        return added;
    }

    private static string InstalledPackagesHtml(IEnumerable<PackageRequest> packages) =>
        "<div><div></div><div></div><div><strong>Installed Packages</strong><ul>"
        + string.Concat(packages.Select(p => $"<li><span>{System.Net.WebUtility.HtmlEncode(p.ToString())}</span></li>"))
        + "</ul></div></div>";

    private static readonly Dictionary<string, Assembly> PackageAssemblies = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Loads a package assembly into the default load context and references it as that loaded
    /// assembly, so the script, the packages and their dependencies all share one copy. Requests
    /// for another version of a loaded package assembly (e.g. FSharp.Core 5.0 from Plotly.NET when
    /// the restore chose 8.0) bind to the restored one, as the SDK's unification would.
    /// </summary>
    private static Assembly Load(string path)
    {
        lock (PackageAssemblies)
        {
            if (PackageAssemblies.Count == 0)
                AssemblyLoadContext.Default.Resolving += (_, name) =>
                {
                    lock (PackageAssemblies) return name.Name is not null && PackageAssemblies.TryGetValue(name.Name, out var a) ? a : null;
                };
            var simple = Path.GetFileNameWithoutExtension(path);
            if (PackageAssemblies.TryGetValue(simple, out var loaded)) return loaded;
            loaded = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
            PackageAssemblies[simple] = loaded;
            return loaded;
        }
    }

    private static readonly string FrameworkDir = RuntimeEnvironment.GetRuntimeDirectory();

    /// <summary>Framework assemblies of this runtime (what a kernel's scripts see without any #r).</summary>
    private static IEnumerable<string> FrameworkAssemblies() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.StartsWith(FrameworkDir, StringComparison.Ordinal) && p.EndsWith(".dll", StringComparison.Ordinal))
            .DistinctBy(p => Path.GetFileName(p), StringComparer.OrdinalIgnoreCase);

    /// <summary>Drops package assemblies the shared framework already carries in the same or a newer version (the SDK's conflict rule).</summary>
    private static IEnumerable<string> WithoutFrameworkDuplicates(IEnumerable<string> assemblies)
    {
        var framework = FrameworkAssemblies().ToDictionary(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase);
        foreach (var a in assemblies)
        {
            if (framework.TryGetValue(Path.GetFileNameWithoutExtension(a), out var fx)
                && AssemblyName.GetAssemblyName(fx).Version >= AssemblyName.GetAssemblyName(a).Version) continue;
            yield return a;
        }
    }

    /// <summary>The C# kernel's script options: latest language, its default imports, the framework, and the kernel shim (display, HTML).</summary>
    private ScriptOptions BaseOptions() =>
        ScriptOptions.Default
            .WithLanguageVersion(LanguageVersion.Latest)
            .AddReferences(FrameworkAssemblies()
                .Where(p => !ScriptOptions.Default.MetadataReferences.Any(r => r.Display is { } d && Path.GetFileName(d) == Path.GetFileName(p)))
                .Select(p => MetadataReference.CreateFromFile(p)))
            .AddReferences(typeof(KernelHelpers).Assembly)
            .WithImports(DefaultImports.Append(typeof(KernelHelpers).FullName!))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(_notebookDir))
            .WithSourceResolver(new SourceFileResolver([], _notebookDir))
            .WithEmitDebugInformation(false)
            .WithFilePath(Path.GetFullPath(_notebook.Path));
}
