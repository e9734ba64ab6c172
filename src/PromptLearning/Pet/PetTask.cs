using PromptLearning.Data;
using PromptLearning.Data.Formats;
using PromptLearning.Tokenization;

namespace PromptLearning.Pet;

/// <summary>One PVP of a task, as text: a template and a verbalizer spec (<see cref="Verbalizer.Parse"/>).</summary>
public sealed record PvpSpec(string Template, string Verbalizer)
{
    /// <summary>Binds this spec to a tokenizer; <paramref name="labels"/> fixes the class order.</summary>
    public Pvp Build(TextTokenizer tokenizer, IReadOnlyList<string> labels, int maxLength, bool allowMultiToken = true)
    {
        var v = Pet.Verbalizer.Parse(Verbalizer);
        if (!v.Labels.SequenceEqual(labels))
            throw new ArgumentException($"verbalizer \"{Verbalizer}\" lists labels ({string.Join(", ", v.Labels)}) but the task's are ({string.Join(", ", labels)}), in that order");
        return new Pvp(Pattern.Parse(Template), v, tokenizer, maxLength, allowMultiToken);
    }
}

/// <summary>
/// A classification task for PET: its label names (as written in the data files, in class-index
/// order), its PVPs, and a loader that reads the task's files. <see cref="Embedded"/> lists the
/// shipped tasks with PVPs modelled on the paper's (Yelp, MNLI/RTE, AG News).
/// </summary>
/// <param name="Name">Task name (the data folder name for embedded tasks).</param>
/// <param name="Labels">Labels as in the files, in class-index order (same order as every verbalizer).</param>
/// <param name="LabelWords">Readable label names for tables.</param>
/// <param name="Pvps">The task's patterns and verbalizers.</param>
/// <param name="Load">Reads a file of the task's format.</param>
/// <param name="Extension">File extension of the task's files.</param>
/// <param name="TestFile">Test split file name.</param>
/// <param name="UnlabelledFile">Unlabelled pool file name.</param>
public sealed record PetTask(string Name, IReadOnlyList<string> Labels, IReadOnlyList<string> LabelWords, IReadOnlyList<PvpSpec> Pvps,
    Func<string, List<ClassificationExample>> Load, string Extension, string TestFile, string UnlabelledFile)
{
    /// <summary>Binary sentiment (SST-2 layout): 0 negative, 1 positive.</summary>
    public static PetTask Sentiment { get; } = new("sentiment", new[] { "0", "1" }, new[] { "negative", "positive" },
        new[]
        {
            new PvpSpec("{a} It was [MASK].", "0: terrible; 1: great"),
            new PvpSpec("{a} All in all, it was [MASK].", "0: bad; 1: good"),
            new PvpSpec("Just [MASK]! {a}", "0: bad; 1: good"),
            new PvpSpec("{a} In summary, the restaurant is [MASK].", "0: bad; 1: good"),
        }, Sst2Tsv.Load, "tsv", "test.tsv", "unlabeled.tsv");

    /// <summary>
    /// 5-way star rating (Yelp CSV layout): labels 1-5. PET's Yelp patterns and verbalizer
    /// (terrible, bad, okay, good, great) and a rating-site pattern with the star count as the word.
    /// </summary>
    public static PetTask Rating { get; } = new("rating", new[] { "1", "2", "3", "4", "5" }, new[] { "1 star", "2 stars", "3 stars", "4 stars", "5 stars" },
        new[]
        {
            new PvpSpec("{a} All in all, it was [MASK].", "1: terrible; 2: bad; 3: okay; 4: good; 5: great"),
            new PvpSpec("It was [MASK]. {a}", "1: terrible; 2: bad; 3: okay; 4: good; 5: great"),
            new PvpSpec("Just [MASK]! {a}", "1: terrible; 2: bad; 3: okay; 4: good; 5: great"),
            new PvpSpec("{a} Rating: [MASK]/5.", "1: 1; 2: 2; 3: 3; 4: 4; 5: 5"),
        }, YelpCsv.Load, "csv", "test.csv", "unlabeled.csv");

    /// <summary>
/// 3-way inference (CommitmentBank JSONL): entailment, contradiction, neutral. PET's RTE/MNLI
/// pattern with words the embedded vocabulary has (it has no "yes"), and a discourse-marker pattern.
/// </summary>
    public static PetTask Inference { get; } = new("inference", new[] { "entailment", "contradiction", "neutral" }, new[] { "entailment", "contradiction", "neutral" },
        new[]
        {
            new PvpSpec("{h:nopunct}? [MASK], {p}", "entailment: exactly; contradiction: no; neutral: maybe"),
            new PvpSpec("{p} [MASK], {h:lowerfirst}", "entailment: so; contradiction: but; neutral: also"),
            new PvpSpec("\"{h:nopunct}\"? [MASK], \"{p}\"", "entailment: exactly; contradiction: no; neutral: maybe"),
        }, SuperGlueJsonl.Load, "jsonl", "test.jsonl", "unlabeled.jsonl");

    /// <summary>Aspect classification (AG News CSV): 1 food, 2 service, 3 price, 4 place.</summary>
    public static PetTask Aspect { get; } = new("aspect", new[] { "1", "2", "3", "4" }, new[] { "food", "service", "price", "place" },
        new[]
        {
            new PvpSpec("[MASK]: {a} {b}", "1: food; 2: service; 3: price; 4: place"),
            new PvpSpec("{a} {b} ( [MASK] )", "1: food; 2: service; 3: price; 4: place"),
            new PvpSpec("[ Category: [MASK] ] {a} {b}", "1: food; 2: service; 3: price; 4: place"),
        }, AgNewsCsv.Load, "csv", "test.csv", "unlabeled.csv");

    /// <summary>The embedded tasks PET runs on.</summary>
    public static IReadOnlyList<PetTask> Embedded { get; } = new[] { Sentiment, Rating, Inference, Aspect };

    /// <summary>An embedded task by name; throws listing the known ones.</summary>
    public static PetTask ByName(string name) =>
        Embedded.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown PET task '{name}' (known: {string.Join(", ", Embedded.Select(t => t.Name))})");

    /// <summary>Converts a file example: <c>a</c> = TextA, <c>b</c> = TextB, label = index of its label (null when unlabelled).</summary>
    public PetExample ToPet(ClassificationExample e)
    {
        var fields = new Dictionary<string, string> { ["a"] = e.TextA };
        if (e.TextB is not null) fields["b"] = e.TextB;
        int? label = null;
        if (e.Label is not null)
        {
            int i = -1;
            for (int k = 0; k < Labels.Count; k++) if (Labels[k] == e.Label) { i = k; break; }
            if (i < 0) throw new InvalidDataException($"task '{Name}': example {e.Id} has label '{e.Label}', not one of {string.Join(", ", Labels)}");
            label = i;
        }
        return new PetExample(fields, label);
    }

    /// <summary>Reads a file under the task's data folder (<paramref name="dataRoot"/>, default the embedded data).</summary>
    public List<PetExample> Read(string file, string? dataRoot = null) =>
        Load(Path.Combine(dataRoot ?? EmbeddedData.Root, Name, file)).Select(ToPet).ToList();

    /// <summary>The shipped few-shot training subset of <paramref name="size"/> examples and <paramref name="seed"/>.</summary>
    public List<PetExample> FewShot(int size, int seed, string? dataRoot = null) => Read(EmbeddedData.FewShotFile(Extension, size, seed), dataRoot);

    /// <summary>The task's PVPs bound to <paramref name="tokenizer"/>.</summary>
    public List<Pvp> BuildPvps(TextTokenizer tokenizer, int maxLength, int? count = null) =>
        Pvps.Take(count ?? Pvps.Count).Select(s => s.Build(tokenizer, Labels, maxLength)).ToList();

    /// <summary>
    /// The PVPs this tokenizer can express (a verbalizer word it cannot spell, e.g. a digit missing
    /// from a small vocabulary, leaves its PVP out), with the reason for each one left out.
    /// </summary>
    public (List<Pvp> Pvps, List<string> Skipped) BuildExpressiblePvps(TextTokenizer tokenizer, int maxLength)
    {
        var pvps = new List<Pvp>();
        var skipped = new List<string>();
        foreach (var spec in Pvps)
        {
            try { pvps.Add(spec.Build(tokenizer, Labels, maxLength)); }
            catch (ArgumentException e) { skipped.Add($"{Name}: {spec.Template} -> {spec.Verbalizer}: {e.Message}"); }
        }
        return (pvps, skipped);
    }
}
