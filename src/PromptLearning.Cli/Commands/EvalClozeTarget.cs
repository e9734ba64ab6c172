using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Pet;
using PromptLearning.Pretraining;
using static TorchSharp.torch;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn eval cloze --model &lt;name or folder&gt; --task sentiment [--pvp 0] [--limit N] [--data data] [--json]</c>:
/// zero-shot cloze accuracy (no training) with the task's PET pattern and verbalizer.
/// </summary>
public sealed class EvalClozeTarget : IEvalTarget
{
    public string Name => "cloze";
    public string Summary => "zero-shot cloze accuracy of a masked LM on a task's test set (--model, --task, --json)";

    public int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine($"usage: plearn eval cloze --model <name|folder> --task {string.Join("|", PetTask.Embedded.Select(t => t.Name))} [--pvp 0] [--limit N] [--data <data folder>] [--threads 1] [--json]");
            return 0;
        }
        var o = new Options(args, "json");
        var modelPath = o.Require("model");
        var task = o.Get("task", "sentiment");
        var pvp = o.GetInt("pvp", 0, min: 0);
        var limitArg = o.GetInt("limit", 0, min: 0);
        var data = o.Get("data") ?? EmbeddedData.Root;
        var json = o.Has("json");
        set_num_threads(o.GetInt("threads", 1, min: 1));
        o.RejectUnknown();
        using var loaded = Pretrained.Load(modelPath);
        var score = ZeroShotCloze.Score(loaded.Model, loaded.Tokenizer, task, data, limitArg > 0 ? limitArg : null, pvp);
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["model"] = modelPath, ["task"] = score.Task, ["pattern"] = score.Pattern, ["verbalizer"] = score.Verbalizer,
                ["examples"] = score.Examples, ["accuracy"] = score.Accuracy,
            }));
        else
            Console.WriteLine($"{modelPath}: zero-shot {score.Task} accuracy {score.Accuracy:P2} on {score.Examples} test examples, pattern \"{score.Pattern}\", verbalizer {score.Verbalizer}");
        return 0;
    }
}
