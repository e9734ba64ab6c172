namespace PromptLearning.Tests;

/// <summary>Paths the tests read from the repository they run in.</summary>
internal static class TestPaths
{
    /// <summary>The folder holding Notebooks.sln, above the test binaries.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Notebooks.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Notebooks.sln) not found above " + AppContext.BaseDirectory);
    }
}
