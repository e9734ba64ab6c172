using System.Globalization;
using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Pet;
using PromptLearning.Prompts;
using PromptLearning.Training;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn pet</c>: PET few-shot curves (zero-shot cloze, PET, iPET, fine-tuning a classifier)
/// on the embedded tasks, mean ± std over the few-shot subset seeds, written as JSON and CSV.
/// </summary>
public sealed class PetCommand : ICommand
{
    public string Name => "pet";
    public string Summary => "PET/iPET few-shot curves vs zero-shot cloze and fine-tuning (pet [--model bert-base] [--tasks ...] [--out results/pet])";

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "head-only", "json", "quiet");
        if (o.Has("help"))
        {
            PrintHelp();
            return 0;
        }
        var d = new FewShotConfig();
        var modelName = o.Get("model", "bert-base");
        var tasks = List(o.Get("tasks", "sentiment,inference,aspect")).Select(PetTask.ByName).ToList();
        int steps = o.GetInt("steps", d.Pet.PvpTraining.Trainer.MaxSteps, min: 1);
        double lr = o.GetDouble("lr", d.Pet.PvpTraining.Trainer.LearningRate, min: 0);
        int batch = o.GetInt("batch", d.Pet.PvpTraining.Trainer.BatchSize, min: 1);
        var pvpTrainer = d.Pet.PvpTraining.Trainer with { MaxSteps = steps, LearningRate = lr, BatchSize = batch };
        var config = d with
        {
            Sizes = Ints(o.Get("sizes"), d.Sizes, "sizes", min: 1),
            Seeds = Ints(o.Get("seeds"), d.Seeds, "seeds", min: 0),
            Methods = o.Get("methods") is { } m ? List(m).Select(PromptMethods.Normalize).ToList() : d.Methods,
            PvpCount = o.Get("pvps") is { } pv ? (pv == "all" ? null : Int(pv, "pvps", min: 1)) : d.PvpCount,
            PoolSize = o.GetInt("pool", d.PoolSize, min: 0),
            TestSize = o.GetInt("test", d.TestSize, min: 1),
            MaxLength = o.GetInt("max-length", d.MaxLength, min: 8),
            Pet = d.Pet with
            {
                PvpTraining = d.Pet.PvpTraining with
                {
                    Trainer = pvpTrainer,
                    Alpha = o.GetDouble("alpha", d.Pet.PvpTraining.Alpha, min: 0, max: 1),
                    UnlabelledBatchSize = o.GetInt("unlabelled-batch", d.Pet.PvpTraining.UnlabelledBatchSize, min: 0),
                },
                Seeds = Enumerable.Range(1, o.GetInt("models-per-pvp", d.Pet.Seeds.Count, min: 1)).ToList(),
                Distillation = d.Pet.Distillation with
                {
                    MaxSteps = o.GetInt("distill-steps", d.Pet.Distillation.MaxSteps, min: 1),
                    LearningRate = o.GetDouble("distill-lr", d.Pet.Distillation.LearningRate, min: 0),
                },
                Temperature = o.GetDouble("temperature", d.Pet.Temperature, min: 1e-6),
                Generations = o.GetInt("generations", d.Pet.Generations, min: 0),
                GrowthFactor = o.GetDouble("growth", d.Pet.GrowthFactor, min: 1),
                ClassifierMaxLength = o.GetInt("max-length", d.MaxLength, min: 8),
            },
            FineTune = d.FineTune with
            {
                MaxSteps = o.GetInt("finetune-steps", steps, min: 1),
                LearningRate = o.GetDouble("finetune-lr", lr, min: 0),
                BatchSize = batch,
            },
            FineTuneHeadOnly = o.Has("head-only"),
        };
        bool json = o.Has("json"), quiet = o.Has("quiet");
        int? threads = o.Get("threads") is { } th ? Int(th, "threads", min: 1) : null;
        var outDir = o.OutputFolder("out", Path.Combine("results", "pet"));
        var data = o.Get("data");
        o.RejectUnknown();
        var paper = tasks.Where(t => PetTask.Paper.Contains(t)).ToList();
        if (paper.Count > 0 && paper.Count < tasks.Count)
            throw new CliUsageException("--tasks mixes the PET paper's tasks with embedded ones; run them separately");
        if (paper.Count > 0 && data is null)
            throw new CliUsageException($"the PET paper's tasks ({string.Join(", ", paper.Select(t => t.Name))}) need --data DIR with DIR/<task>/ holding the original files " +
                                        $"({string.Join("; ", paper.Select(t => $"{t.Name}: {t.Files.OriginalFiles!.Value.Train}, {t.Files.OriginalFiles!.Value.Test}"))})");
        string? dataRoot = null;
        if (paper.Count > 0)
        {
            dataRoot = Path.Combine(data!, "pet");
            foreach (var paperTask in paper)
                paperTask.PrepareFromOriginal(Path.Combine(data!, paperTask.Name), config.Sizes, config.Seeds, config.PoolSize, config.TestSize, dataRoot);
        }
        else if (data is not null) dataRoot = data;

        if (threads is { } t) TorchSharp.torch.set_num_threads(t);
        var folder = PromptRun.ResolveModel(modelName);
        var log = quiet || json ? null : Console.Out;
        log?.WriteLine($"loading {folder}");
        var pretrained = Pretrained.Load(folder);
        using var copies = new ModelCopies(pretrained.Model);
        int positions = pretrained.Config.MaxPositionEmbeddings - (pretrained.Config.IsRoberta ? 2 : 0);
        if (config.MaxLength > positions)
        {
            log?.WriteLine($"max length {config.MaxLength} -> {positions} (the model's positions)");
            config = config with { MaxLength = positions, Pet = config.Pet with { ClassifierMaxLength = positions } };
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = FewShotExperiment.Run(modelName, copies.Create, pretrained.Tokenizer, tasks, config, log, dataRoot);
        var files = result.Write(outDir);
        if (json) Console.WriteLine(result.ToJson());
        else
        {
            Console.WriteLine();
            Console.WriteLine($"accuracy on the test sets ({modelName}, mean ± std over seeds {string.Join(",", config.Seeds)}; zero-shot over PVPs):");
            Console.Write(result.ToTable());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{copies.Created} model copies, {clock.Elapsed.TotalMinutes:F1} min; wrote {string.Join(", ", files)}"));
        }
        return 0;
    }

    private static List<string> List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static int Int(string s, string option, int min) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? v : throw new CliUsageException($"--{option} expects integers of at least {min}, got '{s}'");

    private static IReadOnlyList<int> Ints(string? s, IReadOnlyList<int> fallback, string option, int min) =>
        s is null ? fallback : List(s).Select(x => Int(x, option, min)).ToList();

    private static void PrintHelp()
    {
        var d = new FewShotConfig();
        Console.WriteLine("usage: plearn pet [options]\n");
        Console.WriteLine("Few-shot curves of PET (Schick & Schuetze 2021) on the embedded tasks: zero-shot cloze, PET (PVP ensemble");
        Console.WriteLine("distilled into a classifier), iPET and supervised fine-tuning, mean ± std over few-shot subset seeds.");
        Console.WriteLine("Writes pet-results.json, pet-curves.csv, pet-runs.csv. Defaults run in minutes on 2 cores; scale up with");
        Console.WriteLine("--steps 250 --pvps all --models-per-pvp 3 --pool 4000 --test 800 --generations 3 --distill-steps 1000.\n");
        Console.WriteLine($"  --model NAME|FOLDER     masked LM (default bert-base = data/models/bert-base; any HF folder or hub id)");
        Console.WriteLine($"  --tasks LIST            embedded: {string.Join(",", PetTask.Embedded.Select(t => t.Name))} (default sentiment,inference,aspect);");
        Console.WriteLine($"                          the PET paper's: {string.Join(",", PetTask.Paper.Select(t => t.Name))} (need --data)");
        Console.WriteLine($"  --data DIR              embedded tasks: a data folder in the embedded layout; paper tasks: DIR/<task>/ holds the");
        Console.WriteLine($"                          original files (yelp_review_full_csv, ag_news_csv, yahoo_answers_csv: train.csv + test.csv;");
        Console.WriteLine($"                          GLUE MNLI: train.tsv + dev_matched.tsv), prepared into DIR/pet (seeded few-shot subsets)");
        Console.WriteLine($"  --sizes LIST            labelled examples (default {string.Join(",", d.Sizes)})");
        Console.WriteLine($"  --seeds LIST            few-shot subset seeds (default {string.Join(",", d.Seeds)})");
        Console.WriteLine($"  --methods LIST          {string.Join(",", FewShotMethods.All)} (default all)");
        Console.WriteLine($"  --pvps N|all            PVPs per task (default {d.PvpCount})");
        Console.WriteLine($"  --models-per-pvp N      PET models per PVP (default {d.Pet.Seeds.Count})");
        Console.WriteLine($"  --steps N --lr X --batch N   PVP model training (default {d.Pet.PvpTraining.Trainer.MaxSteps}, {d.Pet.PvpTraining.Trainer.LearningRate}, {d.Pet.PvpTraining.Trainer.BatchSize})");
        Console.WriteLine($"  --alpha X               auxiliary MLM weight (default {d.Pet.PvpTraining.Alpha}); --unlabelled-batch N (default {d.Pet.PvpTraining.UnlabelledBatchSize}, 0 = off)");
        Console.WriteLine($"  --distill-steps N --distill-lr X --temperature T   distillation (default {d.Pet.Distillation.MaxSteps}, {d.Pet.Distillation.LearningRate}, {d.Pet.Temperature})");
        Console.WriteLine($"  --generations N --growth D   iPET (default {d.Pet.Generations}, {d.Pet.GrowthFactor})");
        Console.WriteLine($"  --finetune-steps N --finetune-lr X [--head-only]   supervised baseline (default: as --steps/--lr)");
        Console.WriteLine($"  --pool N --test N       unlabelled pool and test examples used (default {d.PoolSize}, {d.TestSize})");
        Console.WriteLine($"  --max-length N          ids per input (default {d.MaxLength})");
        Console.WriteLine($"  --out DIR               output folder (default results/pet); --json prints the JSON; --quiet; --threads N");
    }
}
