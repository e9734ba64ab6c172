using System.Diagnostics;
using System.Globalization;
using PromptLearning.Checkpoints;
using PromptLearning.Claims;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn claims [--seeds 0,1,2] [--only a,b] [--json] [--out DIR] [--tiny] [--threads N] [--parallel N] [--masked-lm M] [--causal-lm M]</c>:
/// runs each claim's experiment on the embedded default (<see cref="PaperClaims"/>), prints a table
/// (or JSON) with per-seed numbers, mean, std and a verdict per claim, and writes
/// <c>claims.json</c> into <c>--out</c>. With <c>--parallel N</c> (default: one per core) up to N processes run at
/// once, each <c>plearn claims --only ID --seeds ... --json</c> with its share of the threads: one per seed for a claim
/// whose seeds run apart (<see cref="ClaimDefinition.Report"/> merges them), one per claim otherwise, the longest first.
/// Every seed seeds its own random generators, so it draws the same numbers as in one process.
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
            Console.WriteLine("usage: plearn claims [--seeds 0,1,2] [--only ID,...] [--json] [--out DIR] [--tiny] [--threads N] [--parallel N] [--masked-lm M] [--causal-lm M]");
            Console.WriteLine("  claims: " + string.Join(", ", PaperClaims.All.Select(c => $"{c.Id} ({c.Title})")));
            Console.WriteLine("  --tiny: a budget that only checks that each experiment runs");
            Console.WriteLine("  --threads N: torch threads in all (default: the cores); --parallel N: processes at once, each with N-th of");
            Console.WriteLine("      the threads: one per seed of a claim (prefix-init: one in all), the longest first (default: the cores;");
            Console.WriteLine("      1 runs the claims one after another in this process)");
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
        var threads = o.GetInt("threads", Environment.ProcessorCount, min: 1);
        var parallel = o.GetInt("parallel", Environment.ProcessorCount, min: 1);
        var options = new ClaimRunOptions(tiny, o.Get("masked-lm"), o.Get("causal-lm"));
        o.RejectUnknown();

        List<ClaimDefinition> chosen;
        try { chosen = only is null ? PaperClaims.All.ToList() : only.Select(PaperClaims.ById).ToList(); }
        catch (ArgumentException e) { throw new CliUsageException("--only: " + e.Message); }
        var log = json ? Console.Error : Console.Out;
        var clock = Stopwatch.StartNew();
        var reports = new ClaimReport?[chosen.Count];
        void Done(int i, ClaimReport report)
        {
            lock (reports)
            {
                reports[i] = report;
                if (outDir is null) return;
                Directory.CreateDirectory(outDir);
                AtomicFile.WriteText(Path.Combine(outDir, "claims.json"), ClaimReport.ToJson(reports.OfType<ClaimReport>().ToList()) + "\n");
            }
        }
        // With --parallel: one process per seed for a claim that can merge its seeds' runs, one per claim otherwise;
        // the workers take the longest work first. A single piece of work runs in this process with every thread.
        var work = chosen.SelectMany((claim, i) => claim.Report is not null && seeds.Count > 1
                ? seeds.Select(s => (Claim: i, Seeds: (IReadOnlyList<int>)[s]))
                : [(Claim: i, Seeds: (IReadOnlyList<int>)seeds)])
            .OrderByDescending(w => chosen[w.Claim].SecondsPerSeed * w.Seeds.Count)
            .ToList();
        parallel = Math.Min(parallel, work.Count);
        if (parallel <= 1)
        {
            TorchSharp.torch.set_num_threads(threads);
            for (int i = 0; i < chosen.Count; i++)
            {
                log.WriteLine($"claim {chosen[i].Id}: {chosen[i].Title} (seeds {string.Join(",", seeds)}{(tiny ? ", tiny budget" : "")})");
                Done(i, chosen[i].Run(seeds, options, log));
            }
        }
        else
        {
            var childArgs = new List<string> { "--threads", Math.Max(1, threads / parallel).ToString(CultureInfo.InvariantCulture) };
            if (tiny) childArgs.Add("--tiny");
            if (options.MaskedLm is { } m) childArgs.AddRange(["--masked-lm", m]);
            if (options.CausalLm is { } c) childArgs.AddRange(["--causal-lm", c]);
            var parts = chosen.Select(_ => new List<ClaimReport>()).ToArray();
            var expected = chosen.Select((_, i) => work.Count(w => w.Claim == i)).ToArray();
            void PartDone(int i, ClaimReport part)
            {
                ClaimReport? whole = null;
                lock (parts)
                {
                    parts[i].Add(part);
                    if (parts[i].Count < expected[i]) return;
                    if (parts[i].Count == 1) whole = part;
                    else
                    {
                        var runs = parts[i].SelectMany(p => p.Runs).OrderBy(r => seeds.IndexOf(r.Seed)).ToList();
                        whole = chosen[i].Report!(part.Model, runs, options) with { Seconds = parts[i].Sum(p => p.Seconds) };
                    }
                }
                Done(i, whole);
            }
            int next = -1;
            var workers = Enumerable.Range(0, parallel).Select(_ => Task.Run(() =>
            {
                for (int k; (k = Interlocked.Increment(ref next)) < work.Count;)
                    PartDone(work[k].Claim, RunChild(chosen[work[k].Claim], work[k].Seeds, seeds.Count, childArgs, log));
            })).ToArray();
            try { Task.WaitAll(workers); }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                throw new InvalidOperationException(string.Join("\n", e.InnerExceptions.Select(x => x.Message)));
            }
        }
        var all = reports.Select(r => r!).ToList();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"claims: {clock.Elapsed.TotalSeconds:F0} s wall time"));
        Console.WriteLine(json ? ClaimReport.ToJson(all) : ClaimReport.ToTable(all));
        return all.All(r => r.Verdict == "holds") ? 0 : 1;
    }

    /// <summary>
    /// Runs one claim on <paramref name="seeds"/> in a child <c>plearn claims --only ID --seeds ... --json --parallel 1</c>; its log
    /// lines go to <paramref name="log"/> prefixed with the claim's id (and the seed when the claim's seeds run apart).
    /// </summary>
    private static ClaimReport RunChild(ClaimDefinition claim, IReadOnlyList<int> seeds, int allSeeds, IReadOnlyList<string> args, TextWriter log)
    {
        var tag = seeds.Count < allSeeds ? $"{claim.Id}:{string.Join(",", seeds)}" : claim.Id;
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable to start a claim");
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        // Under `dotnet plearn.dll` the executable is the host: the entry assembly goes first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(ClaimsCommand).Assembly.Location);
        foreach (var a in (string[])["claims", "--only", claim.Id, "--seeds", string.Join(",", seeds), "--json", "--parallel", "1", .. args])
            psi.ArgumentList.Add(a);
        lock (log) log.WriteLine($"claim {claim.Id}: {claim.Title} (own process, seeds {string.Join(",", seeds)})");
        using var child = Process.Start(psi) ?? throw new InvalidOperationException($"claim {tag}: could not start {self}");
        var tail = new Queue<string>();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log)
            {
                log.WriteLine($"[{tag}] {e.Data}");
                tail.Enqueue(e.Data);
                if (tail.Count > 20) tail.Dequeue();
            }
        };
        child.BeginErrorReadLine();
        var stdout = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        // Exit code 1 is also a claim that fails, so a child that stopped on an error is told by its output.
        IReadOnlyList<ClaimReport> found;
        try { found = ClaimReport.FromJson(stdout, $"claim {tag}'s output"); }
        catch (FormatException) when (stdout.Trim().Length == 0 || child.ExitCode is not (0 or 1))
        {
            throw new InvalidOperationException($"claim {tag}: its process (exit code {child.ExitCode}) wrote no report; its last lines:\n{string.Join("\n", tail)}");
        }
        return found.Count == 1 ? found[0] : throw new FormatException($"claim {tag}'s output holds {found.Count} reports, expected 1");
    }
}
