using PromptLearning.Metrics;

namespace PromptLearning.Tests.Metrics;

public class MeanStdTests
{
    [Fact]
    public void SampleStandardDeviationDividesByNMinusOne()
    {
        var s = MeanStd.Of([10.0, 12.0, 14.0]);
        Assert.Equal(12.0, s.Mean, 12);
        Assert.Equal(2.0, s.Std, 12); // sqrt((4 + 0 + 4) / 2); the population formula gives 1.63
        var (mean, std) = MeanStd.Of([0.7]);
        Assert.Equal((0.7, 0.0), (mean, std));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
        // the claims' JSON writes it as {"mean": .., "std": ..}
        Assert.Equal("{\"mean\":12,\"std\":2}", System.Text.Json.JsonSerializer.Serialize(s));
    }
}
