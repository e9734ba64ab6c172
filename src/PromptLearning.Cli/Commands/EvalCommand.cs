namespace PromptLearning.Cli.Commands;

/// <summary>
/// One kind of <c>plearn eval &lt;kind&gt;</c> (e.g. <c>lm</c>, <c>cloze</c>). Implementations live in
/// Commands/ and are found by reflection, so each owner adds its own kind in its own file.
/// </summary>
public interface IEvalTarget
{
    /// <summary>The word after <c>plearn eval</c>.</summary>
    string Name { get; }
    /// <summary>One line for <c>plearn eval --help</c>.</summary>
    string Summary { get; }
    /// <summary>Runs with the remaining arguments; returns the process exit code.</summary>
    int Run(string[] args);
}

/// <summary><c>plearn eval &lt;kind&gt; ...</c>: dispatches to the <see cref="IEvalTarget"/> named by the first argument.</summary>
public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "evaluate a model: " + string.Join(", ", Targets().Select(t => t.Name)) + " (plearn eval --help)";

    private static List<IEvalTarget> Targets() => typeof(IEvalTarget).Assembly.GetTypes()
        .Where(t => typeof(IEvalTarget).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
        .Select(t => (IEvalTarget)Activator.CreateInstance(t)!)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToList();

    public int Run(string[] args)
    {
        var targets = Targets();
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine("usage: plearn eval <kind> [options]   (plearn eval <kind> --help)\n");
            foreach (var t in targets) Console.WriteLine($"  {t.Name,-10} {t.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        var target = targets.FirstOrDefault(t => t.Name == args[0])
            ?? throw new CliUsageException($"unknown evaluation '{args[0]}' (known: {string.Join(", ", targets.Select(t => t.Name))})");
        return target.Run(args[1..]);
    }
}
