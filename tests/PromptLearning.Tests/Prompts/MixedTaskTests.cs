using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>One batch, several tasks' prompts: each row must come out exactly as in its own task's batch.</summary>
public class MixedTaskTests
{
    static void AssertMixedEqualsPerTask(TaskModel mixed, List<PromptExample> examples)
    {
        mixed.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = mixed.Encode(examples);
        Assert.False(batch.SingleTask);
        var output = mixed.Forward(batch, lmLogits: true);
        for (int t = 0; t < mixed.Tasks.Count; t++)
        {
            var name = mixed.Tasks[t].Task.Name;
            var rows = Enumerable.Range(0, examples.Count).Where(i => examples[i].Task == name).ToList();
            Assert.NotEmpty(rows);
            using var own = mixed.Encode(rows.Select(i => examples[i]).ToList());
            Assert.True(own.SingleTask);
            var single = mixed.Forward(own, lmLogits: true);
            for (int r = 0; r < rows.Count; r++)
            {
                int len = own.Lengths[r];
                Assert.Equal(len, batch.Lengths[rows[r]]);
                PromptTestKit.AssertClose(single.Logits![r].narrow(0, 0, len), output.Logits![rows[r]].narrow(0, 0, len), 2e-5, $"task {name} row {r} logits");
                PromptTestKit.AssertClose(single.LastHiddenState[r].narrow(0, 0, len), output.LastHiddenState[rows[r]].narrow(0, 0, len), 2e-5, $"task {name} row {r} hidden");
            }
        }
    }

    static List<PromptExample> Interleave(List<PromptExample> a, List<PromptExample> b)
        => a.Zip(b, (x, y) => new[] { x, y }).SelectMany(p => p).ToList();

    [FixtureFact]
    public void PrefixesOfDifferentLengthsOnGpt2()
    {
        using var backbone = PromptTestKit.Backbone("gpt2");
        var tok = PromptTestKit.Tokenizer("gpt2");
        using var a = new PrefixTuningModel(backbone, tok, PromptTestKit.Generation("e2e"), new PrefixTuningConfig { Length = 2, HiddenSize = 16, Seed = 1 });
        using var b = new PrefixTuningModel(backbone, tok, PromptTestKit.Generation("webnlg"), new PrefixTuningConfig { Length = 5, HiddenSize = 16, Seed = 2 });
        var mixed = TaskModel.Combine(a, b);
        AssertMixedEqualsPerTask(mixed, Interleave(PromptTestKit.GenerationExamples(3, 1, "e2e"), PromptTestKit.GenerationExamples(3, 2, "webnlg")));
    }

    [FixtureFact]
    public void InputPromptsOfDifferentLengthsOnBert()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var a = new PromptTuningModel(backbone, tok, PromptTestKit.Sentiment("sst"), new PromptTuningConfig { Length = 2, Seed = 1 });
        using var b = new PromptTuningModel(backbone, tok, PromptTestKit.Sentiment("yelp"), new PromptTuningConfig { Length = 6, Seed = 2 });
        var mixed = TaskModel.Combine(a, b);
        var xs = PromptTestKit.SentimentExamples(3, 1).Select(e => e with { Task = "sst" }).ToList();
        var ys = PromptTestKit.SentimentExamples(3, 2).Select(e => e with { Task = "yelp" }).ToList();
        AssertMixedEqualsPerTask(mixed, Interleave(xs, ys));
    }

    [FixtureFact]
    public void DeepPromptsAndInputPromptsTogetherOnBert()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var a = new PTuningV2Model(backbone, tok, PromptTestKit.Sentiment("sst"), new PTuningV2Config { Length = 4 });
        using var b = new PTuningV2Model(backbone, tok, PromptTestKit.Sentiment("yelp"), new PTuningV2Config { Length = 2, Seed = 7 });
        using var c = new PromptTuningModel(backbone, tok, PromptTestKit.Sentiment("imdb"), new PromptTuningConfig { Length = 3 });
        var mixed = TaskModel.Combine(a, b, c);
        var rows = new List<PromptExample>();
        var src = PromptTestKit.SentimentExamples(6, 5);
        string[] names = ["sst", "yelp", "imdb"];
        for (int i = 0; i < src.Count; i++) rows.Add(src[i] with { Task = names[i % 3] });
        AssertMixedEqualsPerTask(mixed, rows);
    }

    [FixtureFact]
    public void DisposingPromptModelsLeavesTheBackboneAndSharedPromptsIntact()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        long backboneSize = backbone.Module.parameters().Sum(p => p.numel());
        using var a = new PromptTuningModel(backbone, tok, PromptTestKit.Sentiment("sst"), new PromptTuningConfig { Length = 2, Seed = 1 });
        var b = new PTuningV2Model(backbone, tok, PromptTestKit.Sentiment("yelp"), new PTuningV2Config { Length = 3, Seed = 2 });
        Assert.Equal(a.TrainableParameterCount, a.parameters().Sum(p => p.numel())); // the backbone is not a child module
        long aSize = a.TrainableParameterCount;
        TaskModel.Combine(a, b).Dispose();
        Assert.Equal(aSize, a.parameters().Sum(p => p.numel()));
        b.Dispose();
        Assert.Equal(backboneSize, backbone.Module.parameters().Sum(p => p.numel()));
        Assert.Equal(aSize, a.parameters().Sum(p => p.numel()));
        a.eval();
        using var _ = no_grad();
        using var batch = a.Encode(PromptTestKit.SentimentExamples(2, 1).Select(e => e with { Task = "sst" }).ToList());
        Assert.Equal(2, a.Scores(a.Forward(batch), batch, 0).shape[0]);
    }

    [FixtureFact]
    public void ClozeScoresFromMaskOnlyLogitsEqualThoseFromAllPositions()
    {
        using var backbone = PromptTestKit.Backbone("bert");
        var tok = PromptTestKit.Tokenizer("bert");
        using var model = new PromptTuningModel(backbone, tok, PromptTestKit.Sentiment("sst"), new PromptTuningConfig { Length = 3, Seed = 1 });
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = model.Encode(PromptTestKit.SentimentExamples(4, 3).Select(e => e with { Task = "sst" }).ToList());
        var maskOnly = model.Forward(batch);
        var all = model.Forward(batch, lmLogits: true);
        Assert.Equal(1, maskOnly.Logits!.shape[1]);
        Assert.Equal(batch.InputIds.shape[1], all.Logits!.shape[1]);
        PromptTestKit.AssertClose(model.Scores(all, batch, 0), model.Scores(maskOnly, batch, 0), 1e-5, "cloze scores");
    }
}
