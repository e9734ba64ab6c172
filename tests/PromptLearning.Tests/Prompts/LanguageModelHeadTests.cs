using PromptLearning.Prompts;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

public class LanguageModelHeadTests
{
    [Fact]
    public void RowLossesAreEachRowsShareOfTheBatchLoss()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        var logits = randn(new long[] { 2, 6, 11 }, generator: gen);
        const long I = LossLabels.IgnoreIndex;
        // Row 0 has 2 target tokens, row 1 has 4 (position 0 is never a target: the loss is shifted).
        var labels = tensor(new long[,] { { I, I, I, I, 3, 5 }, { I, 1, 2, 9, 4, I } });
        var rows = LanguageModelHead.RowLosses(logits, labels).data<float>().ToArray();
        var batch = new LanguageModelHead().Loss(logits, labels).item<float>();
        Assert.Equal(batch, (2 * rows[0] + 4 * rows[1]) / 6, 5);
        var alone = new LanguageModelHead().Loss(logits[1].unsqueeze(0), labels[1].unsqueeze(0)).item<float>();
        Assert.Equal(alone, rows[1], 5);
    }
}
