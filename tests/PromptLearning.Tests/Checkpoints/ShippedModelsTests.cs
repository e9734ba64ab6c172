using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>The self-pretrained checkpoints shipped in data/models load through the same path as Hugging Face folders.</summary>
public sealed class ShippedModelsTests
{
    public ShippedModelsTests() => TorchSharpNative.EnsureLoaded();

    static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Notebooks.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("Repository root (Notebooks.sln) not found above the test binaries.");
    }

    public static TheoryData<string> Folders()
    {
        var data = new TheoryData<string>();
        var models = Path.Combine(RepoRoot(), "data", "models");
        if (Directory.Exists(models))
            foreach (var d in Directory.GetDirectories(models).Where(d => File.Exists(Path.Combine(d, "config.json"))).Order())
                data.Add(Path.GetFileName(d));
        return data;
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void ShippedModelLoadsAndPredicts(string name)
    {
        using var scope = NewDisposeScope();
        using var m = Pretrained.Load(Path.Combine(RepoRoot(), "data", "models", name));
        var text = m.Tokenizer.MaskToken is { } mask ? $"the food was {mask} ." : "the food was";
        var ids = m.Tokenizer.BuildInputs(m.Tokenizer.Encode(text));
        Assert.All(ids, id => Assert.InRange(id, 0, m.Config.VocabSize - 1));
        using (no_grad())
        {
            var logits = m.Model.Forward(new ForwardArgs { InputIds = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0) }).Logits!;
            Assert.Equal(new long[] { 1, ids.Count, m.Config.VocabSize }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
    }
}
