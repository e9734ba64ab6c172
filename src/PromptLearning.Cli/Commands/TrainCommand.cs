using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PromptLearning.Checkpoints;
using PromptLearning.Display;
using PromptLearning.Prompts;
using PromptLearning.Training;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn train --method M --task T [--model NAME|FOLDER] ...</c>: trains one method with the paper's
/// defaults on an embedded task, evaluating on dev every N steps, keeping the best prompt; writes the
/// prompt checkpoint (prompt.safetensors + prompt.json), result.json and history.csv.
/// </summary>
public sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => $"train a prompt method on a task (--method {PromptRun.MethodHelp} --task T [--model M])";

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "json", "train-backbone", "no-reparam", "reparam");
        if (o.Has("help"))
        {
            Console.WriteLine($"usage: plearn train --method {PromptRun.MethodHelp} --task {string.Join("|", TaskRegistry.Names)}");
            Console.WriteLine("         [--model bert-base|bert-small|gpt2-small|FOLDER|HUB-ID] [--shots N --seed S] [--steps 300] [--eval-every 50]");
            Console.WriteLine("         [--patience N] [--dev-limit 400] [--lr X] [--batch N] [--optimizer adamw|adafactor] [--length N]");
            Console.WriteLine("         [--template T] [--head cloze|cls|pooled|token|lm] [--init vocab|uniform|text] [--init-text T]");
            Console.WriteLine("         [--encoder lstm|mlp] [--train-backbone] [--no-reparam] [--reparam] [--prefix-hidden 512] [--init-std 1.0]");
            Console.WriteLine("         [--max-new-tokens 60] [--beams 1] [--threads N] [--out runs/TASK-METHOD] [--json]");
            Console.WriteLine("Defaults are the method's paper settings (see the config records in Prompts/).");
            return 0;
        }
        var method = PromptMethods.Normalize(o.Require("method")); // "zeroshot" still accepted
        var taskName = o.Require("task");
        var modelName = o.Get("model", PromptRun.DefaultModel(taskName));
        int shots = o.GetInt("shots", 0, min: 0), dataSeed = o.GetInt("data-seed", 0, min: 0), steps = o.GetInt("steps", 300, min: 1);
        int evalEvery = o.GetInt("eval-every", 50, min: 1), devLimit = o.GetInt("dev-limit", 400, min: 0), patience = o.GetInt("patience", 0, min: 0);
        int maxNew = o.GetInt("max-new-tokens", 60, min: 1), beams = o.GetInt("beams", 1, min: 1), threads = o.GetInt("threads", 0, min: 0);
        bool json = o.Has("json");
        var config = PromptRun.Config(method, o);
        if (!TaskRegistry.Names.Contains(taskName)) throw new CliUsageException($"--task expects one of {string.Join(", ", TaskRegistry.Names)}, got '{taskName}'");
        var outDir = o.OutputFolder("out", Path.Combine("runs", $"{taskName}-{method}"));
        o.RejectUnknown();
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);

        using var pretrained = PromptRun.LoadModel(modelName);
        var train = TaskRegistry.Load(taskName, "train", shots, dataSeed);
        var dev = TaskRegistry.Load(taskName, "dev").Take(devLimit);
        using var model = PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, train.Task, config);
        if (!json) Console.WriteLine($"{method} on {taskName} ({train.Examples.Count} training examples) with {modelName}: {model.TrainableParameterCount:N0} trainable parameters ({100 * model.TrainableShare:F3}% of the backbone)");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        TaskMetrics Evaluate() => PromptEvaluation.Evaluate(model, dev, config.BatchSize * 2, maxNew, beams);
        TrainResult? result = null;
        long optimizerBytes = 0;
        if (model.TrainableParameterCount > 0)
        {
            var trainerConfig = PromptTraining.TrainerConfigFor(config, steps, evalEvery) with { Patience = patience > 0 ? patience : null, LogEvery = Math.Max(1, Math.Min(evalEvery, 10)) };
            var trainer = PromptTraining.CreateTrainer(model, trainerConfig, Evaluate);
            var progress = json ? null : new Progress<TrainerProgress>(p => Console.WriteLine(p.ToString()));
            result = trainer.Train(train.Examples, progress);
            optimizerBytes = trainer.OptimizerStateBytes;
        }
        var metrics = Evaluate();
        PromptCheckpoint.Save(model, outDir);
        if (result is not null) DataFrame.SaveCsv(result.History.ToDataFrame(), Path.Combine(outDir, "history.csv"));

        var report = new JsonObject
        {
            ["method"] = method,
            ["task"] = taskName,
            ["model"] = modelName,
            ["train_examples"] = train.Examples.Count,
            ["shots"] = shots,
            ["dev_examples"] = dev.Examples.Count,
            ["steps"] = result?.Steps ?? 0,
            ["best_step"] = result?.BestStep ?? 0,
            ["stopped_early"] = result?.StoppedEarly ?? false,
            ["dev"] = new JsonObject(metrics.ToDictionary().Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(Math.Round(kv.Value, 5))))),
            ["trainable_parameters"] = model.TrainableParameterCount,
            ["trainable_share"] = model.TrainableShare,
            ["backbone_parameters"] = model.BackboneParameterCount,
            ["optimizer_state_bytes"] = optimizerBytes,
            ["prompt_file_bytes"] = PromptRun.FolderBytes(outDir),
            ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1),
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["prompt"] = Path.GetFullPath(outDir),
        };
        var text = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteText(Path.Combine(outDir, "result.json"), text);
        if (json) Console.WriteLine(text);
        else Console.WriteLine($"dev: {metrics}; prompt and result.json in {Path.GetFullPath(outDir)}");
        return 0;
    }
}
