using PromptLearning.Data;
using PromptLearning.Data.Formats;

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
        var index = new OverlapIndex(heldOut);
        Assert.True(index.Count > 5000, $"only {index.Count} held-out texts indexed");
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
        int great = docs.Count(d => d.Contains("It was great.", StringComparison.Ordinal));
        int terrible = docs.Count(d => d.Contains("It was terrible.", StringComparison.Ordinal));
        Assert.InRange(great, 1000, docs.Length / 2);
        Assert.InRange(terrible, 1000, docs.Length / 2);
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
}
