using PromptLearning.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void TensorOpAndBackwardRun()
    {
        TorchSharpNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        var w = tensor(new float[] { 1f, 2f, 3f }).requires_grad_();
        var x = tensor(new float[] { 4f, 5f, 6f });
        var y = (w * x).sum();
        y.backward();
        Assert.Equal(32f, y.item<float>());
        Assert.Equal(new float[] { 4f, 5f, 6f }, w.grad!.data<float>().ToArray());
        var m = matmul(ones(2, 3), ones(3, 4));
        Assert.Equal(new long[] { 2, 4 }, m.shape);
    }

    [Fact]
    public void ElfVersionTablesAreRead()
    {
        var status = TorchSharpNative.EnsureLoaded();
        Assert.False(status.StartsWith("failed"), status);
        Console.WriteLine(status);
    }
}
