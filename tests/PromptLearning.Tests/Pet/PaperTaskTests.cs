using PromptLearning.Prompts;
using PromptLearning.Data;
using PromptLearning.Data.Formats;
using PromptLearning.Pet;
using PromptLearning.Tokenization;

namespace PromptLearning.Tests.Pet;

/// <summary>The PET paper's tasks: their original file formats, the layout they are prepared into, and their PVPs.</summary>
public sealed class PaperTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pet-paper-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes <paramref name="count"/> labelled rows of <paramref name="task"/>'s original train and test files.</summary>
    private string WriteOriginal(PetTask task, int trainCount, int testCount)
    {
        var folder = Path.Combine(_dir, task.Name + "-original");
        Directory.CreateDirectory(folder);
        void Rows(string file, int count, string prefix)
        {
            var path = Path.Combine(folder, file);
            string Label(int i) => task.Labels[i % task.Labels.Count];
            if (task == PetTask.Mnli)
                File.WriteAllLines(path, Enumerable.Range(0, count)
                    .Select(i => $"{prefix}{i}\tprobe\tThe {prefix} premise number {i}.\tA \"hypothesis\" {i}.\t{Label(i)}")
                    .Prepend("pairID\tgenre\tsentence1\tsentence2\tgold_label"));
            else if (task == PetTask.Yahoo)
                File.WriteAllLines(path, Enumerable.Range(0, count)
                    .Select(i => Csv.Line(Label(i), $"{prefix} title {i}", $"line one\\nline two {i}", $"answer {i}")));
            else if (task == PetTask.AgNews)
                File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => Csv.Line(Label(i), $"{prefix} title {i}", $"text {i}")));
            else
                File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => Csv.Line(Label(i), $"{prefix} review {i}\\nwith \"quotes\"")));
        }
        Rows(task.Files.OriginalFiles!.Value.Train, trainCount, "train");
        Rows(task.Files.OriginalFiles!.Value.Test, testCount, "test");
        return folder;
    }

    public static TheoryData<string> PaperTasks => new(PetTask.Paper.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(PaperTasks))]
    public void PrepareFromOriginalWritesNestedSeededSubsetsAnUnlabelledPoolAndTheTestSet(string name)
    {
        var task = PetTask.ByName(name);
        var source = WriteOriginal(task, trainCount: 40, testCount: 7);
        var root = task.PrepareFromOriginal(source, sizes: new[] { 5, 12 }, seeds: new[] { 0, 1 }, poolSize: 9, testSize: 6,
                                            outRoot: Path.Combine(_dir, "prepared"));

        var test = task.Read(task.TestFile, root);
        Assert.Equal(6, test.Count);
        Assert.All(test, e => Assert.True(e.Label >= 0));
        var pool = task.Read(task.UnlabelledFile, root);
        Assert.Equal(9, pool.Count);
        Assert.All(pool, e => Assert.Equal(-1, e.Label));

        var original = task.Files.Loader(Path.Combine(source, task.Files.OriginalFiles!.Value.Train)).Select(task.ToExample).ToList();
        static string Key(PromptExample e) => string.Join("|", new[] { e.A, e.B }.OfType<string>()) + "#" + e.Label;
        var originalKeys = original.Select(Key).ToHashSet();
        var small0 = task.FewShot(5, 0, root);
        var large0 = task.FewShot(12, 0, root);
        Assert.Equal(5, small0.Count);
        Assert.Equal(12, large0.Count);
        Assert.Equal(small0.Select(Key), large0.Take(5).Select(Key));            // one shuffle per seed: nested subsets
        Assert.All(large0, e => Assert.Contains(Key(e), originalKeys));       // labels and texts survive the round trip
        Assert.NotEqual(large0.Select(Key), task.FewShot(12, 1, root).Select(Key)); // another seed, another subset

        // Preparing again gives the same files.
        var before = File.ReadAllText(Path.Combine(root, task.Name, EmbeddedData.FewShotFile(task.Files.Extension, 12, 1)));
        task.PrepareFromOriginal(source, new[] { 5, 12 }, new[] { 0, 1 }, 9, 6, Path.Combine(_dir, "prepared"));
        Assert.Equal(before, File.ReadAllText(Path.Combine(root, task.Name, EmbeddedData.FewShotFile(task.Files.Extension, 12, 1))));
    }

    [Fact]
    public void PrepareFromOriginalRefusesTooFewTrainingExamplesAndAMissingFolder()
    {
        var task = PetTask.AgNews;
        var source = WriteOriginal(task, trainCount: 8, testCount: 2);
        var e = Assert.Throws<ArgumentException>(() => task.PrepareFromOriginal(source, new[] { 10 }, new[] { 0 }, 4));
        Assert.Contains("train.csv", e.Message);
        Assert.Contains("10", e.Message);
        var missing = Assert.Throws<DirectoryNotFoundException>(() => task.PrepareFromOriginal(Path.Combine(_dir, "nope"), new[] { 1 }, new[] { 0 }, 1));
        Assert.Contains("nope", missing.Message);
        Assert.Throws<InvalidOperationException>(() => PetTask.Sentiment.PrepareFromOriginal(source, new[] { 1 }, new[] { 0 }, 1));
    }

    [Fact]
    public void YahooJoinsTitleAndContentAndCleansEscapedNewlines()
    {
        var path = Path.Combine(_dir, "yahoo.csv");
        File.WriteAllLines(path, new[] { Csv.Line("10", "Why?", "first\\nsecond", "Because\\nof it") });
        var e = Assert.Single(YahooAnswersCsv.Load(path));
        Assert.Equal(("Why? first second", "Because of it", "10"), (e.TextA, e.TextB, e.Label));

        File.WriteAllLines(path, new[] { Csv.Line("11", "q", "c", "a") });
        var bad = Assert.Throws<InvalidDataException>(() => YahooAnswersCsv.Load(path));
        Assert.Contains("yahoo.csv:1", bad.Message);
        Assert.Contains("'class'", bad.Message);
    }

    [Fact]
    public void MnliReadsColumnsByNameAndNamesABadLabel()
    {
        var path = Path.Combine(_dir, "dev_matched.tsv");
        File.WriteAllLines(path, new[]
        {
            "index\tpairID\tsentence1\tsentence2\tlabel1\tgold_label",
            "0\t31193n\tConceptually cream skimming has two basic dimensions.\tProduct and geography are what make cream skimming work.\tneutral\tneutral",
            "1\t1\tA \"quoted\" premise.\tA hypothesis.\tentailment\t",
        });
        var examples = MnliTsv.Load(path);
        Assert.Equal(("31193n", "neutral"), (examples[0].Id, examples[0].Label));
        Assert.Equal("A \"quoted\" premise.", examples[1].TextA);
        Assert.Null(examples[1].Label);

        File.AppendAllLines(path, new[] { "2\t2\tp\th\tx\tentails" });
        var bad = Assert.Throws<InvalidDataException>(() => MnliTsv.Load(path));
        Assert.Contains("dev_matched.tsv:4", bad.Message);
        Assert.Contains("'gold_label'", bad.Message);
    }

    [FixtureFact]
    public void EveryPaperPvpBuildsWithAByteLevelTokenizerAndKeepsItsMask()
    {
        var tokenizer = TokenizerFactory.FromFolder(HfFixtures.Model("roberta"));
        foreach (var task in PetTask.Paper)
        {
            var example = task.ToExample(new ClassificationExample("First text.", task.Name is "yelp-full" ? null : "Second text.", task.Labels[0]));
            var pvps = task.BuildPvps(tokenizer, 64);
            Assert.Equal(task.Pvps.Count, pvps.Count);
            foreach (var pvp in pvps)
            {
                var view = pvp.Explain(example);
                Assert.NotEmpty(view.MaskPositions);
                Assert.Contains("First text", view.Text);
            }
        }
    }
}
