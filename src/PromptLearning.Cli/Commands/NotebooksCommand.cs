using PromptLearning.Notebooks;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn notebooks run &lt;files or folders&gt; [--out DIR] [--in-place] [--timeout SECONDS] [--parallel N] [--no-pack] [--echo]</c>:
/// executes Polyglot C# notebooks headless in the real .NET Interactive kernel (see
/// src/PromptLearning.Notebooks) and writes each executed notebook plus a standalone HTML page whose
/// charts render offline. <c>plearn notebooks export &lt;files or folders&gt; [--out DIR]</c>: writes
/// each notebook as a .NET file-based app (<c>dotnet run name.cs</c>). <c>plearn notebooks markdown &lt;executed
/// notebooks or folders&gt; [--out DIR]</c>: writes each as a Markdown page with its charts as PNG images
/// (what GitHub shows; <c>run</c> writes these pages too).
/// </summary>
public sealed class NotebooksCommand : ICommand
{
    public string Name => "notebooks";
    public string Summary => "run notebooks in the .NET Interactive kernel, check executed ones, or export them as file-based apps or Markdown pages: notebooks run|check|export|markdown <files|folders>";

    private const string Usage =
        "usage: plearn notebooks run <files or folders> [--out DIR] [--in-place] [--timeout SECONDS] [--parallel N] [--no-pack] [--echo]\n" +
        "  --out DIR       where executed notebooks and their .html and .md pages go (default artifacts/notebooks)\n" +
        "  --in-place      overwrite the source notebooks instead (pages go beside them)\n" +
        "  --timeout S     time limit per notebook in seconds (default 900; 0 = none)\n" +
        "  --parallel N    notebooks run at once, each in its own kernel with one torch thread (default: 2 on a\n" +
        "                  machine with 2 or more cores, else 1); with N > 1 each notebook's log is printed when it ends\n" +
        "  --no-pack       do not pack the library packages into artifacts/packages first\n" +
        "  --echo          copy cell output to the console while cells run\n" +
        "       plearn notebooks pack\n" +
        "                  pack PromptLearning and PromptLearning.Display into artifacts/packages (what VS Code notebooks load) when their sources changed\n" +
        "       plearn notebooks export <files or folders> [--out DIR]\n" +
        "  --out DIR       where the .cs file-based apps go (default artifacts/notebooks-cs); run one with `dotnet run DIR/NAME.cs`\n" +
        "       plearn notebooks markdown <executed notebooks or folders> [--out DIR]\n" +
        "                  write NAME.md with each chart as a PNG in NAME_files/ (GitHub shows these, not the interactive\n" +
        "                  charts); beside each notebook unless --out; exit 1 when a chart could not be drawn\n" +
        "       plearn notebooks check <executed notebooks or folders> [--readme README.md] [--quick-run]\n" +
        "                  exit 1 when a cell has an error output, a chart is missing, or a number quoted in the\n" +
        "                  markdown (or in the README's notebook table, with --readme) is not in the outputs\n" +
        "  --quick-run     the notebooks ran as a quick run (PLEARN_QUICK_RUN=1: a tiny budget, as in CI's dotnet-repl\n" +
        "                  pass): check errors and charts only, not the numbers";

    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        return args[0] switch
        {
            "run" => RunNotebooks(args[1..]),
            "export" => Export(args[1..]),
            "markdown" => Markdown(args[1..]),
            "check" => Check(args[1..]),
            "pack" => Pack(args[1..]),
            _ => throw new CliUsageException($"unknown sub-command '{args[0]}'.\n{Usage}"),
        };
    }

    private static int RunNotebooks(string[] args)
    {
        var o = new Options(args, "in-place", "no-pack", "echo");
        bool inPlace = o.Has("in-place");
        string? outDir = o.Get("out");
        if (inPlace && outDir is not null) throw new CliUsageException("--out and --in-place exclude each other");
        var timeout = o.GetDouble("timeout", 900);
        if (!double.IsFinite(timeout) || timeout < 0 || timeout > 7 * 24 * 3600)
            throw new CliUsageException($"--timeout must be a number of seconds from 0 (no limit) to 604800, not {o.Get("timeout")}");
        var parallel = o.GetInt("parallel", Environment.ProcessorCount >= 2 ? 2 : 1, min: 1);
        if (parallel > 1 && o.Has("echo")) throw new CliUsageException("--echo copies cell output as it comes: use it with --parallel 1");
        var options = new NotebookBatchOptions(
            Inputs: o.Positional,
            OutDir: inPlace ? null : outDir ?? Path.Combine("artifacts", "notebooks"),
            InPlace: inPlace,
            TimeoutSeconds: timeout,
            Pack: !o.Has("no-pack"),
            Echo: o.Has("echo"),
            Parallel: parallel);
        o.RejectUnknown();
        if (options.Inputs.Count == 0) throw new CliUsageException("no notebook files or folders given.\n" + Usage);
        return NotebookBatch.Run(options, Console.Out);
    }

    private static int Pack(string[] args)
    {
        var o = new Options(args);
        o.RejectUnknown();
        var root = NotebookBatch.FindRepoRoot(Environment.CurrentDirectory)
            ?? throw new CliUsageException("notebooks pack: run it inside the repository (no src/PromptLearning/PromptLearning.csproj above the current folder)");
        Console.WriteLine($"the notebooks' `#r \"nuget: {LocalFeed.DisplayPackage}, *-*\"` now gets {LocalFeed.Pack(root, Console.Out)} (with {LocalFeed.LibraryPackage} of the same version)");
        return 0;
    }

    private static int Check(string[] args)
    {
        var o = new Options(args, "quick-run");
        var readme = o.Get("readme");
        var quickRun = o.Has("quick-run");
        o.RejectUnknown();
        if (o.Positional.Count == 0) throw new CliUsageException("no executed notebooks given.\n" + Usage);
        if (quickRun && readme is not null) throw new CliUsageException("--readme compares numbers, which a quick run does not produce: drop --quick-run or --readme");
        var notebooks = NotebookBatch.Expand(o.Positional, null);
        if (notebooks.Count == 0) throw new CliUsageException($"no .ipynb notebooks found in {string.Join(", ", o.Positional)}");
        var problems = notebooks.SelectMany(n => NotebookCheck.Problems(NotebookDocument.Load(n.Source), quickRun)).ToList();
        if (readme is not null)
        {
            if (!File.Exists(readme)) throw new CliUsageException($"--readme {readme}: no such file");
            if (o.Positional.Count != 1 || !Directory.Exists(o.Positional[0])) throw new CliUsageException("--readme needs exactly one folder of executed notebooks");
            problems.AddRange(NotebookCheck.ReadmeProblems(readme, o.Positional[0]));
        }
        foreach (var p in problems) Console.WriteLine(p);
        Console.WriteLine(problems.Count == 0 ? $"{notebooks.Count} notebook(s) checked: no errors, every chart present" : $"{problems.Count} problem(s)");
        return problems.Count == 0 ? 0 : 1;
    }

    private static int Markdown(string[] args)
    {
        var o = new Options(args);
        var outDir = o.Get("out");
        o.RejectUnknown();
        if (o.Positional.Count == 0) throw new CliUsageException("no executed notebooks given.\n" + Usage);
        var notebooks = NotebookBatch.Expand(o.Positional, null);
        if (notebooks.Count == 0) throw new CliUsageException($"no .ipynb notebooks found in {string.Join(", ", o.Positional)}");
        int problems = 0;
        foreach (var n in notebooks)
        {
            var page = outDir is null ? Path.ChangeExtension(n.Source, ".md") : Path.Combine(outDir, Path.ChangeExtension(n.Relative, ".md"));
            var missing = MarkdownPage.Write(NotebookDocument.Load(n.Source), page);
            foreach (var p in missing) Console.WriteLine(p);
            problems += missing.Count;
            Console.WriteLine($"{n.Source} -> {page}");
        }
        return problems == 0 ? 0 : 1;
    }

    private static int Export(string[] args)
    {
        var o = new Options(args);
        var outDir = o.Get("out") ?? Path.Combine("artifacts", "notebooks-cs");
        o.RejectUnknown();
        if (o.Positional.Count == 0) throw new CliUsageException("no notebook files or folders given.\n" + Usage);
        NotebookExport.Export(o.Positional, outDir, Console.Out);
        return 0;
    }
}
