using PromptLearning.Notebooks;

namespace PromptLearning.Tests.Notebooks;

public class CellSubmissionTests
{
    [Fact]
    public void HoistsNuGetDirectivesAndKeepsLineNumbers()
    {
        var s = CellSubmission.Parse("#!time\nvar a = 1;\n#r \"nuget: Plotly.NET, 6.0.0\"\n#i \"nuget: ../artifacts/packages\"\n#r \"lib/x.dll\"\n#r \"nuget: Foo\"", "csharp");
        Assert.Equal("csharp", s.Kernel);
        Assert.True(s.Time);
        Assert.Equal([new PackageRequest("Plotly.NET", "6.0.0"), new PackageRequest("Foo", null)], s.Packages);
        Assert.Equal(["../artifacts/packages"], s.Sources);
        Assert.Equal("\nvar a = 1;\n\n\n#r \"lib/x.dll\"\n", s.Code);
    }

    [Fact]
    public void KernelComesFromTheFirstLineOrMetadata()
    {
        Assert.Equal("csharp", CellSubmission.Parse("#!c#\n1", "fsharp").Kernel);
        Assert.Equal("fsharp", CellSubmission.Parse("#!fsharp\n1", "csharp").Kernel);
        Assert.Equal("csharp", CellSubmission.Parse("1", "C#").Kernel);
    }

    [Fact]
    public void UnsupportedMagicIsNamed()
    {
        var e = Assert.Throws<FormatException>(() => CellSubmission.Parse("var a = 1;\n#!who", "csharp"));
        Assert.Contains("#!who", e.Message);
        Assert.Contains("line 2", e.Message);
    }
}
