using PromptLearning.Checkpoints;
using PromptLearning.Pet;
using PromptLearning.Prompts;
using PromptLearning.Tests.Pet;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>The one evaluation loop: batches cut by text length, results back in the examples' order.</summary>
public class InferenceLoopTests
{
    static readonly string[] Texts = ["a much longer text than the rest", "b", "ccc ccc", "dd", "eeeeeeeeeeeeeeee", "ff ff ff", "g"];

    [Fact]
    public void BatchesHoldTextsOfSimilarLengthAndResultsComeBackInTheExamplesOrder()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        using var module = nn.Linear(2, 2);
        module.train();
        var examples = Texts.Select(t => new PromptExample(t)).ToList();
        var batches = new List<string[]>();
        var got = InferenceLoop.Run(module, examples, batchSize: 3, chunk =>
        {
            Assert.False(module.training);
            batches.Add(chunk.Select(e => e.A).ToArray());
            return chunk.Select(e => e.A.ToUpperInvariant()).ToArray();
        });
        Assert.True(module.training);
        Assert.Equal(Texts.Select(t => t.ToUpperInvariant()), got);
        // Sorted by length (stable): b, g, dd | ccc ccc, ff ff ff, eeee... | the longest.
        Assert.Equal([["b", "g", "dd"], ["ccc ccc", "ff ff ff", "eeeeeeeeeeeeeeee"], ["a much longer text than the rest"]], batches);
    }

    [Fact]
    public void OneExamplePerBatchKeepsTheExamplesOrder()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        using var module = nn.Linear(2, 2);
        var seen = new List<string>();
        InferenceLoop.Run(module, Texts.Select(t => new PromptExample(t)).ToList(), batchSize: 1, chunk =>
        {
            seen.Add(chunk[0].A);
            return new[] { 0 };
        });
        Assert.Equal(Texts, seen);
    }

    [FixtureFact]
    public void APvpScoresEachExampleAsAloneWhateverItsBatch()
    {
        using var bert = Pretrained.Load(HfFixtures.Model("bert"));
        var words = PetFixtureTests.SingleTokenWords(bert.Tokenizer, 2); // words of whichever fixture set is present
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK] ."), Verbalizer.Of(("n", words[0]), ("p", words[1])), bert.Tokenizer, 64);
        var examples = Texts.Select(t => new PromptExample(t)).ToList();
        var batched = pvp.Predict(bert.Model, examples, batchSize: 4);
        var alone = pvp.Predict(bert.Model, examples, batchSize: 1);
        for (int i = 0; i < examples.Count; i++)
            for (int c = 0; c < 2; c++)
                Assert.Equal(alone[i, c], batched[i, c], 4);
    }
}
