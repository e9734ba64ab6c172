using PromptLearning.Data;
using PromptLearning.Data.Formats;
using PromptLearning.Prompts;
using PromptLearning.Tokenization;

namespace PromptLearning.Pet;

/// <summary>One PVP of a task, as text: a pattern (<see cref="PromptTemplate"/>) and a verbalizer spec (<see cref="Verbalizer.Parse"/>).</summary>
public sealed record PvpSpec(string Template, string Verbalizer)
{
    /// <summary>Binds this spec to a tokenizer; <paramref name="labels"/> fixes the class order.</summary>
    public Pvp Build(TextTokenizer tokenizer, IReadOnlyList<string> labels, int maxLength, bool allowMultiToken = true)
    {
        var v = Prompts.Verbalizer.Parse(Verbalizer);
        if (!v.Labels.SequenceEqual(labels))
            throw new ArgumentException($"verbalizer \"{Verbalizer}\" lists labels ({string.Join(", ", v.Labels)}) but the task's are ({string.Join(", ", labels)}), in that order");
        return new Pvp(PromptTemplate.Parse(Template), v, tokenizer, maxLength, allowMultiToken);
    }
}

/// <summary>
/// A PET task: a prompt task (<see cref="TaskDefinition"/>, from the one registry <see cref="TaskRegistry"/> for the
/// embedded tasks), the files its examples come from (<see cref="ClassificationFiles"/>: loader, labels as
/// written there) and its pattern-verbalizer pairs, whose verbalizers name the labels as the files write
/// them. <see cref="Embedded"/> lists the shipped tasks with PVPs modelled on the paper's (Yelp, MNLI/RTE,
/// AG News); <see cref="Paper"/> the PET paper's four data sets, read from their original files.
/// </summary>
/// <param name="Task">The task: name, label names, its own cloze verbalizer.</param>
/// <param name="Files">Where its examples are and how they are read.</param>
/// <param name="Pvps">The task's patterns and verbalizers.</param>
public sealed record PetTask(TaskDefinition Task, ClassificationFiles Files, IReadOnlyList<PvpSpec> Pvps)
{
    /// <summary>Task name (the data folder name).</summary>
    public string Name => Task.Name;
    /// <summary>Labels as written in the files, in class-index order (the order of every verbalizer).</summary>
    public IReadOnlyList<string> Labels => Files.Labels;
    /// <summary>Readable label names for tables.</summary>
    public IReadOnlyList<string> LabelWords => Files.LabelNames;
    /// <summary>Test split file name.</summary>
    public string TestFile => Files.TestFile;
    /// <summary>Unlabelled pool file name.</summary>
    public string UnlabelledFile => Files.UnlabelledFile;

    /// <summary>Binary sentiment (SST-2 layout): 0 negative, 1 positive.</summary>
    public static PetTask Sentiment { get; } = new(TaskRegistry.Task(EmbeddedData.Sentiment), ClassificationFiles.Sentiment,
        new[]
        {
            new PvpSpec("{a} It was [MASK].", "0: terrible; 1: great"),
            new PvpSpec("{a} All in all, it was [MASK].", "0: bad; 1: good"),
            new PvpSpec("Just [MASK]! {a}", "0: bad; 1: good"),
            new PvpSpec("{a} In summary, the restaurant is [MASK].", "0: bad; 1: good"),
        });

    /// <summary>
    /// 5-way star rating (Yelp CSV layout): labels 1-5. PET's Yelp patterns and verbalizer
    /// (terrible, bad, okay, good, great) and a rating-site pattern with the star count as the word.
    /// </summary>
    public static PetTask Rating { get; } = new(TaskRegistry.Task(EmbeddedData.Rating), ClassificationFiles.Rating,
        new[]
        {
            new PvpSpec("{a} All in all, it was [MASK].", "1: terrible; 2: bad; 3: okay; 4: good; 5: great"),
            new PvpSpec("It was [MASK]. {a}", "1: terrible; 2: bad; 3: okay; 4: good; 5: great"),
            new PvpSpec("Just [MASK]! {a}", "1: terrible; 2: bad; 3: okay; 4: good; 5: great"),
            new PvpSpec("{a} Rating: [MASK]/5.", "1: 1; 2: 2; 3: 3; 4: 4; 5: 5"),
        });

    /// <summary>
    /// 3-way inference (CommitmentBank JSONL): entailment, contradiction, neutral. PET's RTE/MNLI
    /// pattern with words the embedded vocabulary has (it has no "yes"), and a discourse-marker pattern.
    /// </summary>
    public static PetTask Inference { get; } = new(TaskRegistry.Task(EmbeddedData.Inference), ClassificationFiles.Inference,
        new[]
        {
            new PvpSpec("{h:nopunct}? [MASK], {p}", "entailment: exactly; contradiction: no; neutral: maybe"),
            new PvpSpec("{p} [MASK], {h:lowerfirst}", "entailment: so; contradiction: but; neutral: also"),
            new PvpSpec("\"{h:nopunct}\"? [MASK], \"{p}\"", "entailment: exactly; contradiction: no; neutral: maybe"),
        });

    /// <summary>
    /// Aspect classification (AG News CSV): 1 food, 2 service, 3 price, 4 place. The first two patterns are
    /// the review-site layout of the world's corpus (a title, then an aspect heading such as "Food:" or
    /// "Staff:" before the text), the third is PET's AG News "[ Category: ... ]"; the verbalizer has the
    /// headings' words, two per label, scored as PET scores several words (their mean).
    /// </summary>
    public static PetTask Aspect { get; } = new(TaskRegistry.Task(EmbeddedData.Aspect), ClassificationFiles.Aspect,
        new[]
        {
            new PvpSpec("{a}. [MASK]: {b}", AspectVerbalizer),
            new PvpSpec("[MASK]: {b}", AspectVerbalizer),
            new PvpSpec("[ Category: [MASK] ] {a} {b}", AspectVerbalizer),
        });

    /// <summary>The aspect task's verbalizer over the file labels 1-4: <see cref="TaskRegistry.AspectWords"/>, the corpus's aspect headings.</summary>
    public static string AspectVerbalizer => string.Join("; ", TaskRegistry.AspectWords.Select((w, i) => $"{i + 1}: {string.Join(", ", w)}"));

    /// <summary>The embedded tasks PET runs on.</summary>
    public static IReadOnlyList<PetTask> Embedded { get; } = new[] { Sentiment, Rating, Inference, Aspect };

    /// <summary>
    /// Yelp Review Full (Zhang et al. 2015; <c>yelp_review_full_csv</c>: train.csv, test.csv), 5-way
    /// star rating: the PET paper's four patterns P1-P4 and its verbalizer (terrible, bad, okay, good,
    /// great). <c>||</c> in the paper (a second sequence) is <c>[SEP]</c> here.
    /// </summary>
    public static PetTask YelpFull { get; } = Original("yelp-full", new[] { "1", "2", "3", "4", "5" }, new[] { "1 star", "2 stars", "3 stars", "4 stars", "5 stars" },
        new[]
        {
            new PvpSpec("It was [MASK]. {a}", YelpVerbalizer),
            new PvpSpec("Just [MASK]! [SEP] {a}", YelpVerbalizer),
            new PvpSpec("{a} All in all, it was [MASK].", YelpVerbalizer),
            new PvpSpec("{a} [SEP] In summary, the restaurant is [MASK].", YelpVerbalizer),
        }, YelpCsv.Load, YelpCsv.Write, "csv", ("train.csv", "test.csv"));

    /// <summary>
    /// AG News (Zhang et al. 2015; <c>ag_news_csv</c>: train.csv, test.csv), 4 topics: the PET paper's
    /// six patterns P1-P6 over title <c>a</c> and description <c>b</c>, verbalizer World, Sports,
    /// Business, Tech.
    /// </summary>
    public static PetTask AgNews { get; } = Original("agnews", new[] { "1", "2", "3", "4" }, new[] { "World", "Sports", "Business", "Sci/Tech" },
        TopicPatterns("News", "1: World; 2: Sports; 3: Business; 4: Tech"), AgNewsCsv.Load, AgNewsCsv.Write, "csv", ("train.csv", "test.csv"));

    /// <summary>
    /// Yahoo! Answers (Zhang et al. 2015; <c>yahoo_answers_csv</c>: train.csv, test.csv), 10 topics:
    /// AG News' patterns with "Question" for "News" over question <c>a</c> (title + content) and answer
    /// <c>b</c>, and the PET paper's verbalizer.
    /// </summary>
    public static PetTask Yahoo { get; } = Original("yahoo", Enumerable.Range(1, 10).Select(i => i.ToString()).ToArray(),
        new[] { "Society & Culture", "Science & Mathematics", "Health", "Education & Reference", "Computers & Internet",
                "Sports", "Business & Finance", "Entertainment & Music", "Family & Relationships", "Politics & Government" },
        TopicPatterns("Question", "1: Society; 2: Science; 3: Health; 4: Education; 5: Computer; 6: Sports; 7: Business; " +
                                  "8: Entertainment; 9: Relationship; 10: Politics"),
        YahooAnswersCsv.Load, YahooAnswersCsv.Write, "csv", ("train.csv", "test.csv"));

    /// <summary>
    /// MultiNLI (GLUE files: train.tsv, dev_matched.tsv as the test set, as in the PET paper), premise
    /// <c>a</c> and hypothesis <c>b</c>: the PET paper's two patterns, each with its two verbalizers
    /// (Wrong/Right/Maybe and No/Yes/Maybe). The mask starts the second sequence, as in PET.
    /// </summary>
    public static PetTask Mnli { get; } = Original("mnli", MnliTsv.Labels, new[] { "contradiction", "entailment", "neutral" },
        new[]
        {
            new PvpSpec("\"{a:nopunct}\"? [SEP] [MASK], \"{b}\"", "contradiction: Wrong; entailment: Right; neutral: Maybe"),
            new PvpSpec("{a:nopunct}? [SEP] [MASK], {b}", "contradiction: Wrong; entailment: Right; neutral: Maybe"),
            new PvpSpec("\"{a:nopunct}\"? [SEP] [MASK], \"{b}\"", "contradiction: No; entailment: Yes; neutral: Maybe"),
            new PvpSpec("{a:nopunct}? [SEP] [MASK], {b}", "contradiction: No; entailment: Yes; neutral: Maybe"),
        }, MnliTsv.Load, MnliTsv.Write, "tsv", ("train.tsv", "dev_matched.tsv"));

    /// <summary>The PET paper's four tasks (Schick &amp; Schütze, EACL 2021), read from their original files with <see cref="PrepareFromOriginal"/>.</summary>
    public static IReadOnlyList<PetTask> Paper { get; } = new[] { YelpFull, AgNews, Yahoo, Mnli };

    /// <summary>An embedded or paper task by name; throws listing the known ones.</summary>
    public static PetTask ByName(string name) =>
        Embedded.Concat(Paper).FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown PET task '{name}' (known: {string.Join(", ", Embedded.Concat(Paper).Select(t => t.Name))})");

    /// <summary>A task of the PET paper: its files (in the layout <see cref="PrepareFromOriginal"/> writes) and its PVPs.</summary>
    private static PetTask Original(string name, IReadOnlyList<string> labels, IReadOnlyList<string> labelNames, IReadOnlyList<PvpSpec> pvps,
        Func<string, List<ClassificationExample>> load, Action<string, IEnumerable<ClassificationExample>> write, string extension, (string Train, string Test) originalFiles) =>
        new(new TaskDefinition { Name = name, Kind = TaskKind.Classification, Labels = labelNames },
            new ClassificationFiles(name, name, extension, $"dev.{extension}", labels, labelNames, load) { Write = write, OriginalFiles = originalFiles },
            pvps);

    /// <summary>
    /// Turns the task's original files in <paramref name="sourceFolder"/> into the layout every PET
    /// cell reads (<c>{root}/{Name}/</c>: the test file, the unlabelled pool, and
    /// <c>fewshot/train-N-seedS</c>) and returns the root for the <c>dataRoot</c> arguments. As PET
    /// does, each seed shuffles the training file once and a subset of size N is its first N examples
    /// (so the subsets of one seed are nested); the unlabelled pool is the first
    /// <paramref name="poolSize"/> examples of another shuffle (seed <paramref name="poolSeed"/>) with
    /// the labels removed; <paramref name="testSize"/> limits the test set to its first examples.
    /// Files are written atomically; rerunning rewrites them identically.
    /// </summary>
    public string PrepareFromOriginal(string sourceFolder, IReadOnlyList<int> sizes, IReadOnlyList<int> seeds, int poolSize,
        int? testSize = null, string? outRoot = null, int poolSeed = 12345)
    {
        if (Files.OriginalFiles is not { } files || Files.Write is not { } write)
            throw new InvalidOperationException($"task '{Name}' has no original files to prepare (the PET paper's tasks have: {string.Join(", ", Paper.Select(t => t.Name))})");
        if (!Directory.Exists(sourceFolder))
            throw new DirectoryNotFoundException($"task '{Name}': data folder '{sourceFolder}' does not exist (it should hold {files.Train} and {files.Test})");
        var train = Files.Loader(Path.Combine(sourceFolder, files.Train));
        var test = Files.Loader(Path.Combine(sourceFolder, files.Test));
        foreach (var (set, file) in new[] { (train, files.Train), (test, files.Test) })
            if (set.FirstOrDefault(e => e.Label is null) is { } unlabelled)
                throw new InvalidDataException($"{Path.Combine(sourceFolder, file)}: example {unlabelled.Id} has no label; task '{Name}' needs labelled {files.Train} and {files.Test}");
        var largest = sizes.Count == 0 ? 0 : sizes.Max();
        if (largest > train.Count)
            throw new ArgumentException($"task '{Name}': a few-shot size of {largest} needs that many training examples, {Path.Combine(sourceFolder, files.Train)} has {train.Count}");
        var root = outRoot ?? Path.Combine(sourceFolder, "pet");
        var dir = Path.Combine(root, Name);
        Directory.CreateDirectory(Path.Combine(dir, "fewshot"));
        write(Path.Combine(dir, TestFile), testSize is { } n ? test.Take(n) : test);
        write(Path.Combine(dir, UnlabelledFile), Shuffled(train, poolSeed).Take(poolSize).Select(e => e with { Label = null }));
        foreach (var seed in seeds)
        {
            var order = Shuffled(train, seed);
            foreach (var size in sizes)
                write(Path.Combine(dir, EmbeddedData.FewShotFile(Files.Extension, size, seed)), order.Take(size));
        }
        return root;
    }

    private static List<ClassificationExample> Shuffled(List<ClassificationExample> examples, int seed)
    {
        var copy = examples.ToArray();
        new Random(seed).Shuffle(copy);
        return copy.ToList();
    }

    private const string YelpVerbalizer = "1: terrible; 2: bad; 3: okay; 4: good; 5: great";

    /// <summary>PET's AG News / Yahoo patterns P1-P6 over <c>a</c> and <c>b</c>; <paramref name="source"/> is "News" or "Question" (P5).</summary>
    private static PvpSpec[] TopicPatterns(string source, string verbalizer) => new[]
    {
        new PvpSpec("[MASK]: {a} {b}", verbalizer),
        new PvpSpec("{a} ( [MASK] ) {b}", verbalizer),
        new PvpSpec("[MASK] - {a} {b}", verbalizer),
        new PvpSpec("{a} {b} ( [MASK] )", verbalizer),
        new PvpSpec($"[MASK] {source}: {{a}} {{b}}", verbalizer),
        new PvpSpec("[ Category: [MASK] ] {a} {b}", verbalizer),
    };

    /// <summary>A file example as a <see cref="PromptExample"/>: <c>a</c> = TextA, <c>b</c> = TextB, label = index of its label (-1 when unlabelled).</summary>
    public PromptExample ToExample(ClassificationExample e)
    {
        int label = -1;
        if (e.Label is not null)
        {
            for (int k = 0; k < Labels.Count; k++) if (Labels[k] == e.Label) { label = k; break; }
            if (label < 0) throw new InvalidDataException($"task '{Name}': example {e.Id} has label '{e.Label}', not one of {string.Join(", ", Labels)}");
        }
        return new PromptExample(e.TextA, e.TextB) { Label = label };
    }

    /// <summary>Reads a file under the task's data folder (<paramref name="dataRoot"/>, default the embedded data).</summary>
    public List<PromptExample> Read(string file, string? dataRoot = null) =>
        Files.Loader(Path.Combine(dataRoot ?? EmbeddedData.Root, Files.Folder, file)).Select(ToExample).ToList();

    /// <summary>The shipped few-shot training subset of <paramref name="size"/> examples and <paramref name="seed"/>.</summary>
    public List<PromptExample> FewShot(int size, int seed, string? dataRoot = null) => Read(EmbeddedData.FewShotFile(Files.Extension, size, seed), dataRoot);

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
