using System.Text.Json.Nodes;
using PromptLearning.Notebooks;
using static PromptLearning.Tests.Notebooks.NotebookFixtures;

namespace PromptLearning.Tests.Notebooks;

/// <summary><see cref="NotebookBatch.Run"/> over several notebooks in real kernels, two at a time.</summary>
[Collection("notebook runner")]
public class NotebookBatchTests
{
    [Fact]
    public void TwoAtATimeEachNotebookGetsItsOwnOutputsAndItsLogInOnePiece()
    {
        var dir = TempDir();
        var names = new[] { "a.ipynb", "b.ipynb", "c.ipynb" };
        foreach (var name in names)
            File.WriteAllText(Path.Combine(dir, name), Notebook($"Console.WriteLine(\"from {name}\");").ToJsonString());
        var outDir = Path.Combine(dir, "out");
        var log = new StringWriter();

        int code = NotebookBatch.Run(new NotebookBatchOptions([dir], outDir, InPlace: false, TimeoutSeconds: 300, Pack: false, Echo: false, Parallel: 2), log);

        Assert.True(code == 0, log.ToString());
        var text = log.ToString();
        foreach (var name in names)
        {
            var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, name)))!;
            var stdout = string.Concat(executed["cells"]![0]!["outputs"]!.AsArray().Select(o => string.Concat(o!["text"]?.AsArray().Select(t => (string?)t) ?? [])));
            Assert.Contains($"from {name}", stdout);
            // a notebook's progress lines come as one block, from its start line's successor to its end line
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            int end = lines.FindIndex(l => l.StartsWith($"== {name}: ok in", StringComparison.Ordinal));
            Assert.True(end > 0, text);
            int first = lines.FindIndex(l => l.StartsWith($"[{name}]", StringComparison.Ordinal));
            Assert.All(lines[first..end], l => Assert.StartsWith($"[{name}]", l));
        }
        Assert.Contains("all 3 notebook(s) ran", text);
        Assert.Throws<ArgumentOutOfRangeException>(() => NotebookBatch.Run(
            new NotebookBatchOptions([dir], outDir, InPlace: false, TimeoutSeconds: 300, Pack: false, Echo: false, Parallel: 0), TextWriter.Null));
    }
}
