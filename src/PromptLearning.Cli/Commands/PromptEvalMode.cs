using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Prompts;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn eval prompt --prompt DIR [--model M] [--task T] [--split dev|test|test-unseen]</c>: a saved
/// prompt on a split; or, without --prompt, an untrained method (e.g. <c>--method zero-shot</c>).
/// </summary>
public sealed class PromptEvalMode : IEvalTarget
{
    public string Name => "prompt";
    public string Summary => "a saved prompt (--prompt DIR) or an untrained method (--method zero-shot) on a task split";

    public int Run(string[] args)
    {
        var o = new Options(args, "help", "json");
        if (o.Has("help"))
        {
            Console.WriteLine("usage: plearn eval prompt (--prompt DIR | --method zero-shot --task T) [--model M] [--split dev|test|test-unseen]");
            Console.WriteLine("         [--limit N] [--beams N] [--max-new-tokens 60] [--template T] [--samples N] [--json]");
            return 0;
        }
        var promptDir = o.Get("prompt");
        string? taskName = o.Get("task"), modelName = o.Get("model"), method = o.Get("method");
        var split = o.Get("split", "dev");
        int limit = o.GetInt("limit", 0, min: 0), beams = o.GetInt("beams", 1, min: 1), maxNew = o.GetInt("max-new-tokens", 60, min: 1), samples = o.GetInt("samples", 0, min: 0);
        bool json = o.Has("json");
        if (promptDir is not null && File.Exists(Path.Combine(promptDir, "result.json")))
        {
            var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(promptDir, "result.json")))!;
            taskName ??= saved["task"]?.GetValue<string>();
            modelName ??= saved["model"]?.GetValue<string>();
        }
        taskName ??= promptDir is null ? throw new CliUsageException("missing --task") : throw new CliUsageException($"{promptDir} has no result.json naming the task; give --task");
        modelName ??= PromptRun.DefaultModel(taskName);
        PromptMethodConfig? config = promptDir is null ? PromptRun.Config(method ?? throw new CliUsageException("give --prompt DIR or --method"), o) : null;
        o.RejectUnknown();

        using var pretrained = PromptRun.LoadModel(modelName);
        var data = TaskRegistry.Load(taskName, split).Take(limit);
        using var model = promptDir is not null
            ? PromptCheckpoint.Load(promptDir, pretrained.Model, pretrained.Tokenizer)
            : PromptMethodFactory.Create(pretrained.Model, pretrained.Tokenizer, data.Task, config!);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var metrics = PromptEvaluation.Evaluate(model, data, 32, maxNew, beams);
        var report = new JsonObject
        {
            ["method"] = model.Config.Method,
            ["task"] = taskName,
            ["model"] = modelName,
            ["split"] = split,
            ["examples"] = data.Examples.Count,
            ["metrics"] = new JsonObject(metrics.ToDictionary().Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(Math.Round(kv.Value, 5))))),
            ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1),
        };
        if (samples > 0 && data.Task.Kind == TaskKind.Generation)
        {
            var few = data.Examples.Take(samples).ToList();
            var texts = metrics.Outputs!;   // the evaluation's own outputs, in the split's order
            report["samples"] = new JsonArray(few.Select((e, i) => (JsonNode)new JsonObject { ["source"] = e.A, ["generated"] = texts[i], ["reference"] = e.Target }).ToArray());
        }
        if (json) Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else
        {
            Console.WriteLine($"{model.Config.Method} on {taskName}/{split} ({data.Examples.Count} examples, {modelName}): {metrics}");
            if (report["samples"] is JsonArray arr)
                foreach (var s in arr) Console.WriteLine($"  {s!["source"]}\n    -> {s["generated"]}\n    ref {s["reference"]}");
        }
        return 0;
    }
}
