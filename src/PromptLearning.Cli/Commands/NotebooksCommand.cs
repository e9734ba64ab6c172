using PromptLearning.Notebooks;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn notebooks run &lt;files or folders&gt; [--out DIR] [--in-place] [--timeout SECONDS] [--no-pack] [--echo]</c>:
/// executes Polyglot C# notebooks headless (see src/PromptLearning.Notebooks) and writes each
/// executed notebook plus a standalone HTML page whose charts render offline.
/// </summary>
public sealed class NotebooksCommand : ICommand
{
    public string Name => "notebooks";
    public string Summary => "run Polyglot C# notebooks headless: notebooks run <files|folders> [--out DIR]";

    private const string Usage =
        "usage: plearn notebooks run <files or folders> [--out DIR] [--in-place] [--timeout SECONDS] [--no-pack] [--echo]\n" +
        "  --out DIR       where executed notebooks and their .html pages go (default artifacts/notebooks)\n" +
        "  --in-place      overwrite the source notebooks instead (pages go beside them)\n" +
        "  --timeout S     time limit per notebook in seconds (default 900; 0 = none)\n" +
        "  --no-pack       do not `dotnet pack` the library into artifacts/packages first\n" +
        "  --echo          copy cell output to the console while cells run";

    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        if (args[0] != "run") throw new CliUsageException($"unknown sub-command '{args[0]}'.\n{Usage}");
        var o = new Options(args[1..], "in-place", "no-pack", "echo");
        bool inPlace = o.Has("in-place");
        string? outDir = o.Get("out");
        if (inPlace && outDir is not null) throw new CliUsageException("--out and --in-place exclude each other");
        var options = new NotebookBatchOptions(
            Inputs: o.Positional,
            OutDir: inPlace ? null : outDir ?? Path.Combine("artifacts", "notebooks"),
            InPlace: inPlace,
            TimeoutSeconds: o.GetDouble("timeout", 900),
            Pack: !o.Has("no-pack"),
            Echo: o.Has("echo"));
        o.RejectUnknown();
        if (options.Inputs.Count == 0) throw new CliUsageException("no notebook files or folders given.\n" + Usage);
        return NotebookBatch.Run(options, Console.Out);
    }
}
