using PromptLearning.Display;

namespace PromptLearning.Tests.Display;

public class SectionTimerTests
{
    [Fact]
    public void SectionsRunUntilTheNextStartsAndARerunDropsTheLaterOnes()
    {
        var timer = new SectionTimer();
        timer.Start("1. data");
        Thread.Sleep(30);
        timer.Start("2. training");
        double spin = 0;
        var cpuStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        while ((System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds < 0.2)
            for (int i = 0; i < 100_000; i++) spin += Math.Sqrt(spin + i);   // CPU work, not a pause
        timer.Start("3. results");
        var s = timer.Sections;
        Assert.Equal(new[] { "1. data", "2. training", "3. results" }, s.Select(x => x.Section));
        Assert.True(s[0].WallSeconds >= 0.0 && s[1].WallSeconds > 0.0, $"{s[0]} {s[1]} ({spin})");
        Assert.True(s[1].CpuSeconds >= 0.15, $"the busy section used CPU: {s[1]}");

        timer.Start("2. training");   // a rerun of section 2
        Assert.Equal(new[] { "1. data", "2. training" }, timer.Sections.Select(x => x.Section));
        var table = timer.Table();
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("total", table.Columns["section"][2]);
        Assert.Throws<ArgumentException>(() => timer.Start(" "));
    }
}

public class SeedResultsTests
{
    [Fact]
    public void MeansStdsBarsAndTablesComeFromThePerSeedValues()
    {
        var r = new SeedResults();
        foreach (var (seed, a, b) in new[] { (0, 10.0, 1.0), (1, 12.0, 3.0), (2, 14.0, 2.0) })
        {
            r.Add("prefix", seed, "BLEU", a);
            r.Add("untrained", seed, "BLEU", b);
        }
        r.Add("prefix", 0, "ROUGE-L", 30);
        Assert.Equal(new[] { "prefix", "untrained" }, r.Settings);
        Assert.Equal(new[] { 10.0, 12.0, 14.0 }, r.Runs("prefix", "BLEU"));
        var (mean, std) = r.Summary("prefix", "BLEU");
        Assert.Equal(12.0, mean, 9);
        Assert.Equal(2.0, std, 9); // sample standard deviation (n - 1)
        var bars = r.Bars("BLEU", r.Settings);
        Assert.Equal(new[] { 12.0, 2.0 }, bars.Values);
        Assert.Equal(1.0, bars.Errors![1], 9);
        var line = r.Line("BLEU", [(1, "untrained"), (10, "prefix")]);
        Assert.Equal(new[] { 2.0, 12.0 }, line.Y);
        var table = r.Table("BLEU", "ROUGE-L");
        Assert.Equal("12.00 ± 2.00", table.Columns["BLEU (mean ± std)"][0]);
        Assert.Equal("-", table.Columns["ROUGE-L (mean ± std)"][1]);
        Assert.Throws<ArgumentException>(() => r.Add("prefix", 0, "BLEU", 1));
        Assert.Contains("nope", Assert.Throws<KeyNotFoundException>(() => r.Runs("nope", "BLEU")).Message);
        Assert.Equal(3.0, r.Value("untrained", 1, "BLEU"));
        Assert.Contains("seed 5", Assert.Throws<KeyNotFoundException>(() => r.Value("prefix", 5, "BLEU")).Message);
    }
}
