// The host of the kill-during-save loop (run.sh): it checks the prompt folder a killed run left,
// then saves two different fine-tuned prompts into it, A and B in turn, until it is killed. It says
// "saving" once its first save is complete, so that every kill finds a folder that has been saved.
using PromptLearning.Checkpoints;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Baselines;
using static TorchSharp.torch;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: KillDuringSave <prompt folder> <backbone folder>");
    return 2;
}
var (folder, backboneFolder) = (args[0], args[1]);
using var pretrained = Pretrained.Load(backboneFolder);
var task = new TaskDefinition { Name = "sentiment", Kind = TaskKind.Classification, Labels = ["negative", "positive"] };
TaskModel Make(int seed)
{
    manual_seed(seed);
    var m = new FineTuningModel(pretrained.Model, pretrained.Tokenizer, task, new FineTuningConfig { Seed = seed });
    m.eval();
    return m;
}
using var a = Make(1);
using var b = Make(2);
Dictionary<string, Tensor> Head(TaskModel m) => m.Tasks[0].Head.state_dict();
var expected = new Dictionary<int, Dictionary<string, Tensor>> { [1] = Head(a), [2] = Head(b) };

string[] Leftovers() => Directory.Exists(folder)
    ? Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => f!.EndsWith(".tmp") || f.EndsWith(".new")).ToArray()!
    : [];
var left = Leftovers();
string state;
if (!Directory.Exists(folder)) state = "none";
else
{
    try
    {
        using var loaded = PromptCheckpoint.Load(folder, pretrained.Model, pretrained.Tokenizer);
        int seed = loaded.Config.Seed;
        var got = Head(loaded);
        bool same = expected.TryGetValue(seed, out var want) && want.Count == got.Count
            && want.All(kv => got.TryGetValue(kv.Key, out var t) && t.bytes.SequenceEqual(kv.Value.bytes));
        state = same ? (seed == 1 ? "A" : "B") : $"MIXED (config of seed {seed}, other tensors)";
    }
    catch (Exception e)
    {
        state = $"FAIL {e.GetType().Name}: {e.Message}";
    }
}
Console.WriteLine($"check: {state}; leftovers before the next save: {left.Length} ({string.Join(" ", left)})");
PromptCheckpoint.Save(a, folder);
Console.WriteLine("saving");
Console.Out.Flush();
for (long i = 1; ; i++) PromptCheckpoint.Save(i % 2 == 0 ? a : b, folder);
