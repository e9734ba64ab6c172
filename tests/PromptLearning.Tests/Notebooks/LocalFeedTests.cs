using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

[Collection("notebook runner")]
public class LocalFeedTests
{
    /// <summary>A repository with a one-class library named like the real one.</summary>
    private static string FakeRepo()
    {
        var root = TempDir();
        var src = Path.Combine(root, "src", LocalFeed.LibraryPackage);
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project><PropertyGroup><Version>2.3.4</Version></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(src, LocalFeed.LibraryPackage + ".csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(src, "A.cs"), "namespace P; public static class A { public const int X = 1; }");
        return root;
    }

    [Fact]
    public void PacksANewVersionOnlyWhenTheSourcesChange()
    {
        var repo = FakeRepo();
        var first = LocalFeed.Pack(repo, TextWriter.Null);
        Assert.StartsWith("2.3.4-local.", first);
        Assert.True(File.Exists(Path.Combine(LocalFeed.Folder(repo), $"{LocalFeed.LibraryPackage}.{first}.nupkg")));

        var log = new StringWriter();
        Assert.Equal(first, LocalFeed.Pack(repo, log));
        Assert.Contains("up to date", log.ToString());

        Thread.Sleep(1100); // versions carry the UTC second
        File.WriteAllText(Path.Combine(repo, "src", LocalFeed.LibraryPackage, "A.cs"), "namespace P; public static class A { public const int X = 2; }");
        var second = LocalFeed.Pack(repo, TextWriter.Null);
        Assert.NotEqual(first, second);
        Assert.True(NuGetOrder(second) > NuGetOrder(first), $"{second} must sort after {first} so `*-*` picks it");
        var packages = Directory.GetFiles(LocalFeed.Folder(repo), "*.nupkg").Select(Path.GetFileName).ToList();
        Assert.Equal([$"{LocalFeed.LibraryPackage}.{second}.nupkg"], packages);
    }

    private static long NuGetOrder(string version) => long.Parse(version[(version.LastIndexOf('.') + 1)..]);

    [Fact]
    public void SourceHashIgnoresBuildOutput()
    {
        var repo = FakeRepo();
        var before = LocalFeed.SourceHash(repo);
        var obj = Path.Combine(repo, "src", LocalFeed.LibraryPackage, "obj");
        Directory.CreateDirectory(obj);
        File.WriteAllText(Path.Combine(obj, "x.cs"), "junk");
        Assert.Equal(before, LocalFeed.SourceHash(repo));
    }
}

public class KernelToolTests
{
    [Fact]
    public void TheRepositoryManifestPinsTheKernel()
    {
        var tool = KernelTool.Locate(AppContext.BaseDirectory, TextWriter.Null);
        Assert.EndsWith(Path.Combine(".config", "dotnet-tools.json"), tool.Manifest);
        Assert.True(File.Exists(tool.EntryAssembly), tool.EntryAssembly);
        Assert.Contains(tool.Version, File.ReadAllText(tool.Manifest));
    }
}
