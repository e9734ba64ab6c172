using PromptLearning.Data;
using PromptLearning.Data.Formats;
using PromptLearning.Data.World;

namespace PromptLearning.Tests.Data;

/// <summary>Checks on the committed data/ folder.</summary>
public class ShippedDataTests
{
    private static string Root => EmbeddedData.Root;

    [Fact]
    public void CorpusContainsNoDevOrTestText()
    {
        var heldOut = new List<string>();
        foreach (var f in new[] { "dev.tsv", "test.tsv" }) heldOut.AddRange(Sst2Tsv.Load(Path.Combine(Root, "sentiment", f)).Select(e => e.TextA));
        foreach (var f in new[] { "dev.csv", "test.csv" }) heldOut.AddRange(YelpCsv.Load(Path.Combine(Root, "rating", f)).Select(e => e.TextA));
        foreach (var f in new[] { "val.jsonl", "test.jsonl" }) heldOut.AddRange(SuperGlueJsonl.Load(Path.Combine(Root, "inference", f)).Select(e => e.TextA));
        foreach (var f in new[] { "dev.csv", "test.csv" }) heldOut.AddRange(AgNewsCsv.Load(Path.Combine(Root, "aspect", f)).Select(e => e.TextB!));
        foreach (var f in new[] { "devset.csv", "testset_w_refs.csv", "testset_unseen_w_refs.csv" })
            heldOut.AddRange(E2eCsv.Load(Path.Combine(Root, "e2e", f)).SelectMany(e => e.References));
        foreach (var f in new[] { "validation.jsonl", "test.jsonl" })
            heldOut.AddRange(XsumJsonl.Load(Path.Combine(Root, "summarization", f)).SelectMany(e => new[] { e.Document, e.Summary }));
        var index = new OverlapIndex(heldOut);
        Assert.True(index.Count > 5000, $"only {index.Count} held-out texts indexed");
        Assert.Equal(0, index.Skipped);
        foreach (var file in new[] { "train.txt", "valid.txt" })
        {
            int line = 0;
            foreach (var doc in File.ReadLines(Path.Combine(Root, "corpus", file)))
            {
                line++;
                var hit = index.FindIn(doc);
                Assert.True(hit is null, $"corpus/{file}:{line} contains the held-out text \"{hit}\"");
            }
        }
    }

    [Fact]
    public void CorpusHasEvaluativeSentencesInOnlyPartOfTheReviews()
    {
        var docs = File.ReadAllLines(Path.Combine(Root, "corpus", "train.txt"));
        Assert.True(docs.Sum(d => (long)d.Length) > 5_000_000);
        // every star level's most frequent verdict ("It was terrible." ... "It was great.") occurs, graded as on rating sites
        foreach (var word in new[] { "terrible", "bad", "okay", "good", "great" })
            Assert.InRange(docs.Count(d => d.Contains($"It was {word}.", StringComparison.Ordinal)), docs.Length / 200, docs.Length / 4);
        int withVerdict = docs.Count(d => System.Text.RegularExpressions.Regex.IsMatch(d, @"\b[Ii]t was (terrible|awful|horrible|dreadful|bad|disappointing|poor|not great|okay|fine|average|alright|so-so|good|nice|decent|not bad|great|excellent|wonderful|fantastic|brilliant)\."));
        Assert.InRange(withVerdict, docs.Length / 20, docs.Length / 2);
    }

    [Fact]
    public void CorpusHasRatingPagesFactSheetsQuestionsAndParaphrases()
    {
        var docs = File.ReadAllLines(Path.Combine(Root, "corpus", "train.txt"));
        int Share(string pattern) => docs.Count(d => System.Text.RegularExpressions.Regex.IsMatch(d, pattern));
        // each kind has a share of at least a fifth of its generation weight
        double Expected(string kind) => docs.Length * CorpusGenerator.KindWeights[Array.IndexOf(CorpusGenerator.Kinds, kind)] / CorpusGenerator.KindWeights.Sum() / 5;
        Assert.True(Share(@"Rating: [1-5]/5\.|[1-5] out of 5 stars\.|Stars: [1-5]/5\.") > Expected("review-site page"));
        Assert.True(Share(@"((Fact sheet|At a glance|Venue details|Key facts)\. Name: [^.]+\.( [A-Z][a-z ]+: [^.]+\.)*|(Details|Listing|Facts|Venue details): name : [^|.]+( \| [^|.]+)*)$")
                    > Expected("fact sheet"));
        Assert.True(Share(@" (Q|Question): .*\? (A|Answer): ") > Expected("questions and answers"));
        Assert.True(Share(@"In other words,|Put another way,|That is to say,|Paraphrase: |means the same as") > Expected("paraphrase"));
        Assert.True(Share(@"(Food|Cooking): .*(Service|Staff): ") > 0);
    }

    [Fact]
    public void NoCorpusTableIsFollowedByText()
    {
        // A language model of the corpus must not learn table-to-text (prefix tuning's task) from it: a table,
        // as a listing line or as "Name: ..." sentences, always ends its document.
        foreach (var (doc, line) in File.ReadLines(Path.Combine(Root, "corpus", "train.txt")).Select((d, i) => (d, i + 1)))
        {
            int listing = doc.IndexOf("name : ", StringComparison.Ordinal), sheet = doc.IndexOf(" Name: ", StringComparison.Ordinal);
            Assert.True(listing < 0 || !doc[listing..].Contains('.'), $"corpus/train.txt:{line}: text after a listing table");
            Assert.True(sheet < 0 || System.Text.RegularExpressions.Regex.IsMatch(doc[sheet..], @"^( [A-Z][a-z ]+: [^.]+\.)+$"),
                $"corpus/train.txt:{line}: text after a fact sheet");
        }
    }

    [Fact]
    public void SentimentSplitsAreBalancedAndDisjoint()
    {
        var train = Sst2Tsv.Load(Path.Combine(Root, "sentiment", "train.tsv"));
        var test = Sst2Tsv.Load(Path.Combine(Root, "sentiment", "test.tsv"));
        Assert.InRange(train.Count(e => e.Label == "1") / (double)train.Count, 0.45, 0.55);
        var trainTexts = train.Select(e => e.TextA).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(test, e => trainTexts.Contains(e.TextA));
    }

    [Fact]
    public void RegeneratingWithTheDefaultSeedReproducesTheCommittedFiles()
    {
        var dir = Path.Combine(Path.GetTempPath(), "plearn-regen-" + Guid.NewGuid().ToString("N"));
        try
        {
            DatasetGenerator.Generate(dir, DatasetGenerator.DefaultSeed, GenerationSizes.Default);
            var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList();
            Assert.True(files.Count > 80, $"only {files.Count} files generated");
            foreach (var f in files)
            {
                var rel = Path.GetRelativePath(dir, f);
                var committed = Path.Combine(Root, rel);
                Assert.True(File.Exists(committed), $"data/{rel} is generated but not committed");
                Assert.True(File.ReadAllBytes(f).AsSpan().SequenceEqual(File.ReadAllBytes(committed)),
                    $"data/{rel} differs from what 'plearn data generate' writes now; regenerate the data (and retrain models that used it)");
            }
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void TaskRegistryLoadsEverySplitAndFewShotSubset()
    {
        foreach (var task in ClassificationFiles.All)
        {
            var dev = task.Load("dev");
            Assert.All(dev, e => Assert.InRange(task.LabelIndex(e.Label!), 0, task.Labels.Count - 1));
            var fs = task.FewShot(32, 1);
            Assert.Equal(32, fs.Count);
            Assert.Equal(task.Labels.Count, fs.Select(e => e.Label).Distinct().Count());
            Assert.All(task.Load("unlabeled"), e => Assert.Null(e.Label));
        }
        Assert.Equal(100, EmbeddedTasks.SlotsFewShot(100, 2).Count);
        Assert.Equal(10, EmbeddedTasks.E2eFewShot(10, 0).Count);
        Assert.Throws<ArgumentException>(() => ClassificationFiles.Get("sst5"));
    }
}
