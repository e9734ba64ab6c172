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
