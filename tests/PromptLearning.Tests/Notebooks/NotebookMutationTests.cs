using System.Text;
using PromptLearning.Notebooks;
using Xunit.Abstractions;

namespace PromptLearning.Tests.Notebooks;

/// <summary>
/// Property test over seeded mutations of the shipped notebooks (JSON- and byte-level): each either
/// loads, and then saves and loads again to the same document with every cell's kernel and source
/// readable, or fails with an <see cref="InvalidDataException"/> naming the notebook file. The checker
/// and the exporter then either work or fail with the named error too.
/// </summary>
public sealed class NotebookMutationTests(ITestOutputHelper output) : IDisposable
{
    const int Cases = 600;
    readonly string _dir = Directory.CreateTempSubdirectory("nb-mutation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string RepoNotebooks()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "notebooks")) && File.Exists(Path.Combine(d.FullName, "Notebooks.sln")))
                return Path.Combine(d.FullName, "notebooks");
        throw new DirectoryNotFoundException("notebooks/ not found above the test binaries");
    }

    [Fact]
    public void MutatedNotebooksLoadOrFailWithTheNamedError()
    {
        var sources = Directory.GetFiles(RepoNotebooks(), "*.ipynb").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        var rng = new Random(2026);
        int loaded = 0, named = 0;
        var other = new List<string>();
        var path = Path.Combine(_dir, "mutated.ipynb");
        for (int i = 0; i < Cases; i++)
        {
            var json = sources[i % sources.Count];
            File.WriteAllBytes(path, rng.Next(3) == 0 ? Mutation.JsonBytes(json, rng) : Encoding.UTF8.GetBytes(Mutation.Json(json, rng)));
            try
            {
                var nb = NotebookDocument.Load(path);
                foreach (var c in nb.Cells) { _ = c.Source; _ = c.Kernel; _ = c.CellType; }
                _ = nb.DefaultKernel;
                var copy = Path.Combine(_dir, "copy.ipynb");
                nb.Save(copy);
                Assert.Equal(nb.ToJson(), NotebookDocument.Load(copy).ToJson());
                _ = NotebookCheck.Problems(nb);
                try { _ = NotebookExport.ToFileBasedApp(nb, path, "."); }
                catch (InvalidDataException e) when (e.Message.Contains(path)) { }
                loaded++;
            }
            catch (InvalidDataException e) when (e.Message.Contains(path))
            {
                named++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                other.Add($"case {i}: {e.GetType().Name}: {e.Message}");
            }
        }
        output.WriteLine($"notebook mutations: {Cases} cases, {loaded} loaded, {named} named InvalidDataException, {other.Count} other");
        Assert.True(other.Count == 0, string.Join("\n", other.Take(10)));
        Assert.True(loaded > 0 && named > 0, $"loaded {loaded}, named {named}: the mutations should produce both");
    }
}
