using System.Globalization;
using System.Text;
using PromptLearning.Data.Formats;

namespace PromptLearning.Data.World;

/// <summary>Sizes of everything <see cref="DatasetGenerator"/> writes.</summary>
/// <param name="Train">Labelled training examples per classification/tagging task (E2E: MRs).</param>
/// <param name="Dev">Dev examples per task.</param>
/// <param name="Test">Test examples per task.</param>
/// <param name="Unlabeled">Unlabelled pool per task.</param>
/// <param name="CorpusDocuments">Documents of the pretraining corpus, held-out ones included (one in 41 is held out).</param>
/// <param name="FewShotSizes">Sizes of the fixed few-shot subsets (those larger than the train set are skipped).</param>
/// <param name="FewShotSeeds">Seeds of the few-shot subsets.</param>
public sealed record GenerationSizes(int Train, int Dev, int Test, int Unlabeled, int CorpusDocuments, int[] FewShotSizes, int[] FewShotSeeds)
{
    /// <summary>Few-shot subsets larger than 100 examples are written for this many leading seeds only (all by default).</summary>
    public int LargeFewShotSeedCount { get; init; } = int.MaxValue;

    /// <summary>
    /// The sizes of the shipped data/ folder. The corpus's 30,332 documents (29,593 + 739 held out) are what a target
    /// of 8 M training characters gave with the fact sheets' first layout; counting documents, not characters, kept
    /// every document when the sheets moved the description first.
    /// </summary>
    public static GenerationSizes Default => new(4000, 800, 800, 4000, 30_332, EmbeddedData.FewShotSizes, EmbeddedData.FewShotSeeds)
    {
        LargeFewShotSeedCount = EmbeddedData.LargeFewShotSeedCount,
    };

    /// <summary>A tiny configuration for tests.</summary>
    public static GenerationSizes Tiny => new(60, 20, 20, 20, 80, [10, 32], [0, 1]);
}

/// <summary>
/// Generates every data set of the embedded default from one seed: the pretraining corpus and the
/// sentiment, rating, inference, aspect, slot-tagging, table-to-text and summarization tasks with their splits,
/// few-shot subsets and unlabelled pools. Each task draws from its own random stream derived from
/// (seed, task name), so the output is byte-identical for the same seed and sizes.
/// </summary>
public static class DatasetGenerator
{
    /// <summary>The seed of the shipped data/ folder.</summary>
    public const int DefaultSeed = 13;

    /// <summary>Probability of an overall evaluative sentence in a labelled review.</summary>
    public const double LabelledEvaluativeRate = 0.15;

    /// <summary>Writes all data sets under <paramref name="outDir"/>; returns a human-readable summary.</summary>
    public static string Generate(string outDir, int seed, GenerationSizes sizes, Action<string>? progress = null)
    {
        progress ??= _ => { };
        var world = new RestaurantWorld(StableSeed(seed, "world"));
        var heldOut = new List<string>();
        var summary = new StringBuilder();
        void Report(string line) { summary.AppendLine(line); progress(line); }

        heldOut.AddRange(Sentiment(outDir, world, seed, sizes, Report));
        heldOut.AddRange(Rating(outDir, world, seed, sizes, Report));
        heldOut.AddRange(Inference(outDir, world, seed, sizes, Report));
        heldOut.AddRange(Aspect(outDir, world, seed, sizes, Report));
        heldOut.AddRange(Slots(outDir, world, seed, sizes, Report));
        heldOut.AddRange(E2e(outDir, world, seed, sizes, Report));
        heldOut.AddRange(Summarization(outDir, world, seed, sizes, Report));

        var index = new OverlapIndex(heldOut);
        if (index.Skipped > 0) throw new InvalidOperationException($"{index.Skipped} held-out texts have fewer than three words and cannot be kept out of the corpus");
        var r = new WorldRandom(StableSeed(seed, "corpus"));
        var docs = CorpusGenerator.Generate(world, r, sizes.CorpusDocuments, index);
        int validCount = Math.Max(1, docs.Count / 41);
        var dir = Path.Combine(outDir, EmbeddedData.Corpus);
        Checkpoints.AtomicFile.WriteLines(Path.Combine(dir, "train.txt"), docs.Take(docs.Count - validCount));
        Checkpoints.AtomicFile.WriteLines(Path.Combine(dir, "valid.txt"), docs.Skip(docs.Count - validCount));
        long words = docs.Sum(d => (long)d.Count(c => c == ' ') + 1);
        Report($"corpus: {docs.Count - validCount} train + {validCount} valid documents, {words} words, checked against {index.Count} held-out texts");
        return summary.ToString();
    }

    /// <summary>A seed derived from the user's seed and a stream name (FNV-1a; independent of .NET's randomised string hashing).</summary>
    public static int StableSeed(int seed, string stream)
    {
        uint h = 2166136261;
        foreach (char c in seed.ToString(CultureInfo.InvariantCulture) + "/" + stream)
        {
            h ^= c;
            h *= 16777619;
        }
        return (int)(h & 0x7fffffff);
    }

    private static WorldRandom Rng(int seed, string stream) => new(StableSeed(seed, stream));

    /// <summary>Draws <paramref name="count"/> items whose keys are all different.</summary>
    private static List<T> Unique<T>(int count, Func<int, T> make, Func<T, string> key)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<T>(count);
        int attempts = 0;
        while (list.Count < count)
        {
            var item = make(list.Count);
            if (seen.Add(key(item))) list.Add(item);
            else if (++attempts > 20 * count + 1000) throw new InvalidOperationException($"could not draw {count} distinct examples; the generator repeats itself too often");
        }
        return list;
    }

    private sealed record Splits<T>(List<T> Train, List<T> Dev, List<T> Test, List<T> Unlabeled);

    private static Splits<T> Split<T>(List<T> all, GenerationSizes s) => new(
        all.GetRange(0, s.Train),
        all.GetRange(s.Train, s.Dev),
        all.GetRange(s.Train + s.Dev, s.Test),
        all.GetRange(s.Train + s.Dev + s.Test, s.Unlabeled));

    private static int Total(GenerationSizes s) => s.Train + s.Dev + s.Test + s.Unlabeled;

    /// <summary>
    /// Few-shot subsets of a labelled training set: per (size, seed), labels are visited round-robin
    /// (in ordinal order) over a seeded shuffle, so even 10 examples cover every class.
    /// </summary>
    public static List<ClassificationExample> FewShot(IReadOnlyList<ClassificationExample> train, int size, WorldRandom r)
    {
        var byLabel = r.Shuffle(train).GroupBy(e => e.Label ?? "").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Queue<ClassificationExample>(g)).ToList();
        var picked = new List<ClassificationExample>(size);
        while (picked.Count < size && byLabel.Any(q => q.Count > 0))
            foreach (var q in byLabel)
                if (picked.Count < size && q.Count > 0) picked.Add(q.Dequeue());
        return r.Shuffle(picked);
    }

    private static void WriteFewShot<T>(string dir, string stem, string ext, IReadOnlyList<T> train, GenerationSizes s, int seed, string task,
        Func<IReadOnlyList<T>, int, WorldRandom, List<T>> sample, Action<string, List<T>> write)
    {
        foreach (var size in s.FewShotSizes.Where(n => n <= train.Count))
            foreach (var fs in s.FewShotSeeds.Take(size > 100 ? s.LargeFewShotSeedCount : int.MaxValue))
                write(Path.Combine(dir, EmbeddedData.FewShotFile(ext, size, fs, stem)), sample(train, size, Rng(seed, $"{task}/fewshot/{size}/{fs}")));
    }

    private static string Balance(IEnumerable<ClassificationExample> examples) =>
        string.Join(" ", examples.GroupBy(e => e.Label).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}:{g.Count()}"));

    private static IEnumerable<string> Sentiment(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "sentiment");
        var all = Unique(Total(s), i =>
        {
            bool positive = i % 2 == 1;
            int stars = positive ? 4 + r.Next(2) : 1 + r.Next(2);
            var review = ReviewWriter.Write(r.Pick(world.Seen), stars, LabelledEvaluativeRate, r);
            return new ClassificationExample(review.Text, null, positive ? "1" : "0");
        }, e => e.TextA);
        all = r.Shuffle(all);
        var sp = Split(all, s);
        var dir = Path.Combine(outDir, EmbeddedData.Sentiment);
        Sst2Tsv.Write(Path.Combine(dir, "train.tsv"), sp.Train);
        Sst2Tsv.Write(Path.Combine(dir, "dev.tsv"), sp.Dev);
        Sst2Tsv.Write(Path.Combine(dir, "test.tsv"), sp.Test);
        Sst2Tsv.WriteUnlabelled(Path.Combine(dir, "unlabeled.tsv"), sp.Unlabeled.Select(e => e.TextA));
        WriteFewShot(dir, "train", "tsv", sp.Train, s, seed, "sentiment", FewShot, Sst2Tsv.Write);
        report($"sentiment: train {sp.Train.Count} ({Balance(sp.Train)}), dev {sp.Dev.Count} ({Balance(sp.Dev)}), test {sp.Test.Count} ({Balance(sp.Test)}), unlabeled {sp.Unlabeled.Count}");
        return sp.Dev.Concat(sp.Test).Select(e => e.TextA);
    }

    private static IEnumerable<string> Rating(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "rating");
        var all = Unique(Total(s), i =>
        {
            int stars = 1 + r.Next(5);
            var review = ReviewWriter.Write(r.Pick(world.Seen), stars, LabelledEvaluativeRate, r);
            return new ClassificationExample(review.Text, null, stars.ToString(CultureInfo.InvariantCulture));
        }, e => e.TextA);
        var sp = Split(all, s);
        var dir = Path.Combine(outDir, EmbeddedData.Rating);
        YelpCsv.Write(Path.Combine(dir, "train.csv"), sp.Train);
        YelpCsv.Write(Path.Combine(dir, "dev.csv"), sp.Dev);
        YelpCsv.Write(Path.Combine(dir, "test.csv"), sp.Test);
        YelpCsv.Write(Path.Combine(dir, "unlabeled.csv"), sp.Unlabeled.Select(e => e with { Label = null }));
        WriteFewShot(dir, "train", "csv", sp.Train, s, seed, "rating", FewShot, YelpCsv.Write);
        report($"rating: train {sp.Train.Count} ({Balance(sp.Train)}), dev {sp.Dev.Count}, test {sp.Test.Count}, unlabeled {sp.Unlabeled.Count}");
        return sp.Dev.Concat(sp.Test).Select(e => e.TextA);
    }

    private static IEnumerable<string> Inference(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "inference");
        var all = Unique(Total(s), i =>
        {
            var label = InferenceWriter.Labels[i % 3];
            var (p, h) = InferenceWriter.Write(r.Pick(world.Seen), label, r);
            return new ClassificationExample(p, h, label);
        }, e => e.TextA + "\n" + e.TextB);
        all = r.Shuffle(all);
        var sp = Split(all, s);
        var dir = Path.Combine(outDir, EmbeddedData.Inference);
        SuperGlueJsonl.Write(Path.Combine(dir, "train.jsonl"), sp.Train);
        SuperGlueJsonl.Write(Path.Combine(dir, "val.jsonl"), sp.Dev);
        SuperGlueJsonl.Write(Path.Combine(dir, "test.jsonl"), sp.Test);
        SuperGlueJsonl.Write(Path.Combine(dir, "unlabeled.jsonl"), sp.Unlabeled.Select(e => e with { Label = null }));
        WriteFewShot(dir, "train", "jsonl", sp.Train, s, seed, "inference", FewShot, SuperGlueJsonl.Write);
        report($"inference: train {sp.Train.Count} ({Balance(sp.Train)}), val {sp.Dev.Count}, test {sp.Test.Count}, unlabeled {sp.Unlabeled.Count}");
        return sp.Dev.Concat(sp.Test).Select(e => e.TextA);
    }

    private static IEnumerable<string> Aspect(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "aspect");
        var all = Unique(Total(s), i =>
        {
            int aspect = r.Next(4);
            var (title, description) = ReviewWriter.AspectText(r.Pick(world.Seen), aspect, r);
            return new ClassificationExample(title, description, (aspect + 1).ToString(CultureInfo.InvariantCulture));
        }, e => e.TextA + "\n" + e.TextB);
        var sp = Split(all, s);
        var dir = Path.Combine(outDir, EmbeddedData.Aspect);
        AgNewsCsv.Write(Path.Combine(dir, "train.csv"), sp.Train);
        AgNewsCsv.Write(Path.Combine(dir, "dev.csv"), sp.Dev);
        AgNewsCsv.Write(Path.Combine(dir, "test.csv"), sp.Test);
        AgNewsCsv.Write(Path.Combine(dir, "unlabeled.csv"), sp.Unlabeled.Select(e => e with { Label = null }));
        WriteFewShot(dir, "train", "csv", sp.Train, s, seed, "aspect", FewShot, AgNewsCsv.Write);
        report($"aspect: train {sp.Train.Count} ({Balance(sp.Train)}), dev {sp.Dev.Count}, test {sp.Test.Count}, unlabeled {sp.Unlabeled.Count}");
        return sp.Dev.Concat(sp.Test).Select(e => e.TextB!);
    }

    /// <summary>The tag name of a slot in BIO tags (no spaces: "customer rating" becomes "customerRating").</summary>
    public static string TagName(string slot) => slot == "customer rating" ? "customerRating" : slot;

    private static IEnumerable<string> Slots(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "slots");
        var all = Unique(Total(s), i =>
        {
            var venue = r.Pick(world.Seen);
            var optional = r.Shuffle(Lexicon.Slots.Skip(1));
            var t = DescriptionRealiser.Describe(venue.ToMeaningRepresentation(optional.Take(2 + r.Next(6)).Prepend("name")), r);
            return (Example: new TaggingExample(t.Tokens.ToArray(), t.BioTags(TagName)), Text: t.Render());
        }, e => e.Text);
        var sp = Split(all, s);
        var dir = Path.Combine(outDir, EmbeddedData.Slots);
        ConllFile.Write(Path.Combine(dir, "train.txt"), sp.Train.Select(x => x.Example));
        ConllFile.Write(Path.Combine(dir, "dev.txt"), sp.Dev.Select(x => x.Example));
        ConllFile.Write(Path.Combine(dir, "test.txt"), sp.Test.Select(x => x.Example));
        ConllFile.Write(Path.Combine(dir, "unlabeled.txt"), sp.Unlabeled.Select(x => x.Example with { Tags = x.Example.Tokens.Select(_ => "O").ToArray() }));
        var train = sp.Train.Select(x => x.Example).ToList();
        WriteFewShot<TaggingExample>(dir, "train", "txt", train, s, seed, "slots", (list, n, rr) => rr.Shuffle(list).Take(n).ToList(), ConllFile.Write);
        report($"slots: train {sp.Train.Count} sentences ({train.Sum(x => x.Tokens.Count)} tokens), dev {sp.Dev.Count}, test {sp.Test.Count}, unlabeled {sp.Unlabeled.Count}");
        return sp.Dev.Concat(sp.Test).Select(x => x.Text);
    }

    private static IEnumerable<string> E2e(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "e2e");
        int mrs = s.Train / 3, dev = Math.Max(1, s.Dev / 4), test = Math.Max(1, s.Test / 4);
        TableToTextExample Make(Restaurant venue, bool unseen)
        {
            IEnumerable<string> slots;
            if (unseen)
            {
                // every unseen MR names a held-out venue, cuisine and landmark/venue
                var extra = r.Shuffle(new[] { "eatType", "priceRange", "customer rating", "area", "familyFriendly" }).Take(1 + r.Next(4));
                slots = extra.Concat(["name", "food", "near"]);
            }
            else
            {
                var optional = r.Shuffle(Lexicon.Slots.Skip(1));
                slots = optional.Take(2 + r.Next(6)).Prepend("name");
            }
            var mr = venue.ToMeaningRepresentation(slots);
            int refs = 3 + r.Next(5);
            var texts = new List<string>();
            for (int k = 0; k < refs * 3 && texts.Count < refs; k++)
            {
                var text = DescriptionRealiser.Describe(mr, r).Render();
                if (!texts.Contains(text)) texts.Add(text);
            }
            return new TableToTextExample(mr, texts);
        }
        var seen = Unique(mrs + dev + test, _ => Make(r.Pick(world.Seen), false), e => e.Mr.ToString());
        var unseen = Unique(test, _ => Make(r.Pick(world.Unseen), true), e => e.Mr.ToString());
        var train = seen.GetRange(0, mrs);
        var devSet = seen.GetRange(mrs, dev);
        var testSet = seen.GetRange(mrs + dev, test);
        var dir = Path.Combine(outDir, EmbeddedData.E2e);
        E2eCsv.Write(Path.Combine(dir, "trainset.csv"), train);
        E2eCsv.Write(Path.Combine(dir, "devset.csv"), devSet);
        E2eCsv.Write(Path.Combine(dir, "testset_w_refs.csv"), testSet);
        E2eCsv.Write(Path.Combine(dir, "testset_unseen_w_refs.csv"), unseen);
        WriteFewShot<TableToTextExample>(dir, "trainset", "csv", train, s, seed, "e2e", (list, n, rr) => rr.Shuffle(list).Take(n).ToList(), E2eCsv.Write);
        report($"e2e: train {train.Count} MRs ({train.Sum(e => e.References.Count)} refs), dev {devSet.Count} MRs, test {testSet.Count} MRs, test-unseen {unseen.Count} MRs");
        return devSet.Concat(testSet).Concat(unseen).SelectMany(e => e.References);
    }

    private static IEnumerable<string> Summarization(string outDir, RestaurantWorld world, int seed, GenerationSizes s, Action<string> report)
    {
        var r = Rng(seed, "summarization");
        var all = Unique(s.Train + s.Dev + s.Test, i =>
        {
            var (document, summary) = SummaryWriter.Write(r.Pick(world.Seen), 1 + r.Next(5), LabelledEvaluativeRate, r);
            return new SummarizationExample(document, summary, i.ToString(CultureInfo.InvariantCulture));
        }, e => e.Document);
        var sp = Split(all, s with { Unlabeled = 0 });
        var dir = Path.Combine(outDir, EmbeddedData.Summarization);
        XsumJsonl.Write(Path.Combine(dir, "train.jsonl"), sp.Train);
        XsumJsonl.Write(Path.Combine(dir, "validation.jsonl"), sp.Dev);
        XsumJsonl.Write(Path.Combine(dir, "test.jsonl"), sp.Test);
        WriteFewShot<SummarizationExample>(dir, "train", "jsonl", sp.Train, s, seed, "summarization", (list, n, rr) => rr.Shuffle(list).Take(n).ToList(), XsumJsonl.Write);
        int distinct = sp.Train.Select(e => e.Summary).Distinct().Count();
        report($"summarization: train {sp.Train.Count} ({distinct} distinct summaries), validation {sp.Dev.Count}, test {sp.Test.Count}");
        return sp.Dev.Concat(sp.Test).SelectMany(e => new[] { e.Document, e.Summary });
    }
}
