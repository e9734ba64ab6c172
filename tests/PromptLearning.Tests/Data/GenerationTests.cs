using System.Security.Cryptography;
using PromptLearning.Data;
using PromptLearning.Data.Formats;
using PromptLearning.Data.World;

namespace PromptLearning.Tests.Data;

public class GenerationTests
{
    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "plearn-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void SameSeedGivesSameBytesAndOtherSeedDiffers()
    {
        var a = TempDir(); var b = TempDir(); var c = TempDir();
        try
        {
            DatasetGenerator.Generate(a, 7, GenerationSizes.Tiny);
            DatasetGenerator.Generate(b, 7, GenerationSizes.Tiny);
            DatasetGenerator.Generate(c, 8, GenerationSizes.Tiny);
            var ha = Hashes(a);
            Assert.True(ha.Count > 20, $"only {ha.Count} files written");
            Assert.Equal(ha, Hashes(b));
            Assert.NotEqual(ha["corpus/train.txt"], Hashes(c)["corpus/train.txt"]);
        }
        finally
        {
            foreach (var d in new[] { a, b, c }) Directory.Delete(d, true);
        }
    }

    [Fact]
    public void TinyGenerationLoadsWithTheRealFormatLoaders()
    {
        var d = TempDir();
        try
        {
            DatasetGenerator.Generate(d, 3, GenerationSizes.Tiny);
            var s = GenerationSizes.Tiny;
            Assert.Equal(s.Train, Sst2Tsv.Load(Path.Combine(d, "sentiment", "train.tsv")).Count);
            Assert.All(Sst2Tsv.Load(Path.Combine(d, "sentiment", "unlabeled.tsv")), e => Assert.Null(e.Label));
            Assert.Equal(s.Dev, YelpCsv.Load(Path.Combine(d, "rating", "dev.csv")).Count);
            Assert.All(SuperGlueJsonl.Load(Path.Combine(d, "inference", "test.jsonl")), e => Assert.Contains(e.Label, InferenceWriter.Labels));
            Assert.All(AgNewsCsv.Load(Path.Combine(d, "aspect", "train.csv")), e => Assert.Contains(e.Label, new[] { "1", "2", "3", "4" }));
            var tagged = ConllFile.Load(Path.Combine(d, "slots", "train.txt"));
            Assert.Equal(s.Train, tagged.Count);
            Assert.Contains(tagged, t => t.Tags.Contains("B-food"));
            var e2e = E2eCsv.Load(Path.Combine(d, "e2e", "trainset.csv"));
            Assert.All(e2e, e => Assert.True(e.References.Count >= 3));
            var summaries = XsumJsonl.Load(Path.Combine(d, "summarization", "train.jsonl"));
            Assert.Equal(s.Train, summaries.Count);
            Assert.Equal(s.Dev, XsumJsonl.Load(Path.Combine(d, "summarization", "validation.jsonl")).Count);
            // the summary names the venue of the document's title ("Dinner at The Eagle. ...")
            Assert.All(summaries, e => Assert.Contains(
                System.Text.RegularExpressions.Regex.Match(e.Summary, @" at (.+?)(?: but |, |\.$)").Groups[1].Value, e.Document.Split(". ")[0]));
            var fewShot = Sst2Tsv.Load(Path.Combine(d, "sentiment", EmbeddedData.FewShotFile("tsv", 10, 0)));
            Assert.Equal(10, fewShot.Count);
            Assert.Equal(5, fewShot.Count(e => e.Label == "1"));
        }
        finally { Directory.Delete(d, true); }
    }

    [Fact]
    public void SummarySaysWhatEachAspectGetsInOrderOfMention()
    {
        AspectOpinion Op(int aspect, bool positive) => new(aspect, positive, false);
        var names = SummaryWriter.AspectNames;
        Assert.Equal($"The reviewer praises the {names[0]} at X but criticises the {names[2]}.",
            SummaryWriter.Summarize("X", [Op(0, true), Op(2, false), Op(0, true)]));
        Assert.Equal($"The reviewer criticises the {names[3]}, the {names[1]} and the {names[0]} at X.",
            SummaryWriter.Summarize("X", [Op(3, false), Op(1, false), Op(0, false)]));
        // an aspect praised once and criticised once is mixed
        Assert.Equal($"The reviewer praises the {names[2]} at X, criticises the {names[0]} and has mixed feelings about the {names[1]}.",
            SummaryWriter.Summarize("X", [Op(1, true), Op(2, true), Op(1, false), Op(0, false)]));
        Assert.Throws<ArgumentException>(() => SummaryWriter.Summarize("X", []));
    }

    [Fact]
    public void UnseenSplitUsesNoValueOfTheTrainingSplit()
    {
        var d = TempDir();
        try
        {
            DatasetGenerator.Generate(d, 5, GenerationSizes.Tiny);
            var train = E2eCsv.Load(Path.Combine(d, "e2e", "trainset.csv"));
            var unseen = E2eCsv.Load(Path.Combine(d, "e2e", "testset_unseen_w_refs.csv"));
            foreach (var slot in new[] { "name", "food", "near" })
            {
                var trainValues = train.Select(e => e.Mr[slot]).Where(v => v is not null).ToHashSet();
                Assert.All(unseen, e => Assert.DoesNotContain(e.Mr[slot], trainValues));
            }
        }
        finally { Directory.Delete(d, true); }
    }

    [Fact]
    public void OverlapIndexFindsAHeldOutTextInsideADocument()
    {
        var index = new OverlapIndex(["The food was cold. It was terrible.", "Zolano is a pub near the castle."]);
        Assert.Equal("Zolano is a pub near the castle.", index.FindIn("We liked it. Zolano is a pub near the castle. Go there."));
        Assert.Null(index.FindIn("Zolano is a pub near the cathedral. The food was cold."));
    }
}
