using PromptLearning.Prompts;
using Xunit;

namespace PromptLearning.Tests.Prompts;

/// <summary>The converters the notebooks' real-model switches use: GLUE SST-2 and CoNLL-2003 files into prompt tasks.</summary>
public class RealDataConvertersTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("plearn-real-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Sst2FileBecomesASplitOfTheSentimentTask()
    {
        var file = Write("dev.tsv", "sentence\tlabel\nit 's a charming journey .\t1\nunfunny and lame .\t0\n");
        var split = TaskRegistry.FromSst2(file);
        Assert.Equal(TaskRegistry.Task("sentiment").Labels, split.Task.Labels);
        Assert.Equal(["it 's a charming journey .", "unfunny and lame ."], split.Examples.Select(e => e.A));
        Assert.Equal([1, 0], split.Examples.Select(e => e.Label));
    }

    [Fact]
    public void ConllFileGivesTheTaskItsTagsAndTheSentences()
    {
        // CoNLL-2003 layout: token POS chunk NER, -DOCSTART- lines, blank lines between sentences
        var train = Write("train.txt", "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\n" +
                                       "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n");
        var task = TaskRegistry.ConllTask(train);
        Assert.Equal(TaskKind.Tagging, task.Kind);
        Assert.Equal(["O", "B-MISC", "B-ORG", "B-PER", "I-PER"], task.Labels);
        var split = TaskRegistry.FromConll(train, task);
        Assert.Equal(["EU rejects German", "Peter Blackburn"], split.Examples.Select(e => e.A));
        Assert.Equal(new[] { 2, 0, 1 }, split.Examples[0].Tags);
        Assert.Equal(new[] { 3, 4 }, split.Examples[1].Tags);

        var valid = Write("valid.txt", "Paris NNP B-NP B-LOC\n");
        var e = Assert.Throws<InvalidDataException>(() => TaskRegistry.FromConll(valid, task));
        Assert.Contains("valid.txt:1", e.Message);
        Assert.Contains("B-LOC", e.Message);
    }
}
