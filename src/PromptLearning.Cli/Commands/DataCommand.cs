using PromptLearning.Data;
using PromptLearning.Data.World;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn data generate [--out data] [--seed N] [--tiny]</c>: regenerates the embedded data sets;
/// <c>plearn data stats [--data folder]</c>: prints their measured statistics.
/// </summary>
public sealed class DataCommand : ICommand
{
    public string Name => "data";
    public string Summary => "generate the embedded data sets and corpus (data generate [--out data] [--seed N]) or print their stats (data stats)";

    public int Run(string[] args)
    {
        var o = new Options(args, "tiny", "help");
        if (o.Has("help") || o.Positional.Count == 0)
        {
            Console.WriteLine($"usage: plearn data generate [--out data] [--seed {DatasetGenerator.DefaultSeed}] [--tiny]");
            Console.WriteLine("       plearn data stats [--data folder]\n");
            Console.WriteLine("Writes the generated restaurant world's data sets (sentiment, rating, inference, aspect, slots, e2e)");
            Console.WriteLine("and the unlabelled pretraining corpus. The same seed gives byte-identical files.");
            return o.Has("help") ? 0 : 2;
        }
        if (o.Positional[0] == "stats")
        {
            var root = o.Get("data");
            o.RejectUnknown();
            Console.Write(DataStats.Report(root));
            return 0;
        }
        if (o.Positional[0] != "generate") throw new CliUsageException($"unknown sub-command '{o.Positional[0]}' (known: generate, stats)");
        int seed = o.GetInt("seed", DatasetGenerator.DefaultSeed);
        var outDir = o.OutputFolder("out", "data");
        var sizes = o.Has("tiny") ? GenerationSizes.Tiny : GenerationSizes.Default;
        o.RejectUnknown();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        DatasetGenerator.Generate(outDir, seed, sizes, line => Console.WriteLine(line));
        Console.WriteLine($"wrote {Path.GetFullPath(outDir)} (seed {seed}) in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
