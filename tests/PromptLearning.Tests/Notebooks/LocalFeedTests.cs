using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

[Collection("notebook runner")]
public class LocalFeedTests
{
    /// <summary>A repository with one-class libraries named like the real packages (the display one referencing the core one).</summary>
    private static string FakeRepo()
    {
        var root = TempDir();
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project><PropertyGroup><Version>2.3.4</Version></PropertyGroup></Project>");
        var src = Path.Combine(root, "src", LocalFeed.LibraryPackage);
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, LocalFeed.LibraryPackage + ".csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(src, "A.cs"), "namespace P; public static class A { public const int X = 1; }");
        var display = Path.Combine(root, "src", LocalFeed.DisplayPackage);
        Directory.CreateDirectory(display);
        File.WriteAllText(Path.Combine(display, LocalFeed.DisplayPackage + ".csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>" +
            $"<ItemGroup><ProjectReference Include=\"../{LocalFeed.LibraryPackage}/{LocalFeed.LibraryPackage}.csproj\" /></ItemGroup></Project>");
        File.WriteAllText(Path.Combine(display, "B.cs"), "namespace P; public static class B { public const int Y = A.X; }");
        return root;
    }

    [Fact]
    public void PacksANewVersionOnlyWhenTheSourcesChange()
    {
        var repo = FakeRepo();
        var first = LocalFeed.Pack(repo, TextWriter.Null);
        Assert.StartsWith("2.3.4-local.", first);
        foreach (var package in LocalFeed.Packages)
            Assert.True(File.Exists(Path.Combine(LocalFeed.Folder(repo), $"{package}.{first}.nupkg")), package);

        var log = new StringWriter();
        Assert.Equal(first, LocalFeed.Pack(repo, log));
        Assert.Contains("up to date", log.ToString());

        Thread.Sleep(1100); // versions carry the UTC second
        File.WriteAllText(Path.Combine(repo, "src", LocalFeed.LibraryPackage, "A.cs"), "namespace P; public static class A { public const int X = 2; }");
        var second = LocalFeed.Pack(repo, TextWriter.Null);
        Assert.NotEqual(first, second);
        Assert.True(NuGetOrder(second) > NuGetOrder(first), $"{second} must sort after {first} so `*-*` picks it");
        var packages = Directory.GetFiles(LocalFeed.Folder(repo), "*.nupkg").Select(Path.GetFileName).ToList();
        Assert.Equal(LocalFeed.Packages.Select(p => $"{p}.{second}.nupkg").Order(StringComparer.Ordinal), packages.Order(StringComparer.Ordinal));
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
