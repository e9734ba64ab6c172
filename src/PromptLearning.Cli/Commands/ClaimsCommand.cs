using System.Globalization;
using PromptLearning.Checkpoints;
using PromptLearning.Claims;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn claims [--seeds 0,1,2] [--only a,b] [--json] [--out DIR] [--tiny] [--threads N] [--masked-lm M] [--causal-lm M]</c>: runs
/// each claim's experiment on the embedded default (<see cref="PaperClaims"/>), prints a table
/// (or JSON) with per-seed numbers, mean, std and a verdict per claim, and writes
/// <c>claims.json</c> into <c>--out</c>.
/// </summary>
public sealed class ClaimsCommand : ICommand
{
    public string Name => "claims";
    public string Summary => "run the papers' claims on the embedded default (--seeds 0,1,2 --only ID,... --json --out DIR)";

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "json", "tiny");
        if (o.Has("help"))
        {
            Console.WriteLine("usage: plearn claims [--seeds 0,1,2] [--only ID,...] [--json] [--out DIR] [--tiny] [--threads N] [--masked-lm M] [--causal-lm M]");
            Console.WriteLine("  claims: " + string.Join(", ", PaperClaims.All.Select(c => $"{c.Id} ({c.Title})")));
            Console.WriteLine("  --tiny: a budget that only checks that each experiment runs");
            Console.WriteLine("  --masked-lm / --causal-lm: another model (a folder or an embedded name) for the masked-LM claims");
            Console.WriteLine("      (input-prompts, pet, p-tuning-v2) / the GPT-2 claims (prefix, prefix-length, prefix-init)");
            return 0;
        }
        var seeds = (o.Get("seeds") ?? string.Join(",", PaperClaims.DefaultSeeds)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new CliUsageException($"--seeds: '{s}' is not an integer"))
            .ToList();
        if (seeds.Count == 0) throw new CliUsageException("--seeds: no seed given");
        var only = o.Get("only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var json = o.Has("json");
        var tiny = o.Has("tiny");
        var outDir = o.Get("out");
        var threads = o.GetInt("threads", Environment.ProcessorCount);
        var options = new ClaimRunOptions(tiny, o.Get("masked-lm"), o.Get("causal-lm"));
        o.RejectUnknown();

        List<ClaimDefinition> chosen;
        try { chosen = only is null ? PaperClaims.All.ToList() : only.Select(PaperClaims.ById).ToList(); }
        catch (ArgumentException e) { throw new CliUsageException("--only: " + e.Message); }
        TorchSharp.torch.set_num_threads(threads);
        var log = json ? Console.Error : Console.Out;
        var reports = new List<ClaimReport>();
        foreach (var claim in chosen)
        {
            log.WriteLine($"claim {claim.Id}: {claim.Title} (seeds {string.Join(",", seeds)}{(tiny ? ", tiny budget" : "")})");
            reports.Add(claim.Run(seeds, options, log));
            if (outDir is not null)
            {
                Directory.CreateDirectory(outDir);
                AtomicFile.WriteText(Path.Combine(outDir, "claims.json"), ClaimReport.ToJson(reports) + "\n");
            }
        }
        Console.WriteLine(json ? ClaimReport.ToJson(reports) : ClaimReport.ToTable(reports));
        return reports.All(r => r.Verdict == "holds") ? 0 : 1;
    }
}
