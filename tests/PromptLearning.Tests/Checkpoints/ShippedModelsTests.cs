using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>The self-pretrained checkpoints shipped in data/models load through the same path as Hugging Face folders.</summary>
public sealed class ShippedModelsTests
{
    public ShippedModelsTests() => TorchSharpNative.EnsureLoaded();

    static string RepoRoot() => TestPaths.RepoRoot();

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
        var folder = Path.Combine(RepoRoot(), "data", "models", name);
        if (Pretrained.Seq2SeqModelTypes.Contains(Pretrained.PeekModelType(Path.Combine(folder, "config.json"))))
        {
            EncoderDecoderLoadsAndReconstructs(folder);
            return;
        }
        using var m = Pretrained.Load(folder);
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

    /// <summary>An encoder-decoder: logits of the right shape, and greedy decoding of a text with a <c>&lt;mask&gt;</c> gives back its unmasked words.</summary>
    static void EncoderDecoderLoadsAndReconstructs(string folder)
    {
        using var m = Pretrained.LoadSeq2Seq(folder);
        var mask = m.Tokenizer.MaskToken ?? throw new InvalidDataException($"{folder}: a denoising encoder-decoder needs a mask token");
        var ids = m.Tokenizer.BuildInputs(m.Tokenizer.Encode($"The food was{mask} and the staff were friendly."));
        var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        using var _ = no_grad();
        var logits = m.Model.Forward(new Seq2SeqForwardArgs { InputIds = input, DecoderInputIds = tensor(new long[] { m.Model.DecoderStartTokenId }).unsqueeze(0) }).Logits!;
        Assert.Equal(new long[] { 1, 1, m.Tokenizer.VocabSize }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        using var result = Seq2SeqGeneration.Generate(m.Model, new Seq2SeqForwardArgs { InputIds = input }, m.Model.GenerationDefaults(20));
        var text = m.Tokenizer.Decode(result.Sequences[0].data<long>().Select(t => (int)t).ToArray());
        Assert.Contains("staff were friendly", text);
    }
}
