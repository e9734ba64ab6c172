using PromptLearning.Data;
using PromptLearning.Data.Formats;

namespace PromptLearning.Prompts;

/// <summary>
/// The embedded data sets as prompt tasks: the task definition (labels, verbalizer, cloze pattern)
/// and its splits as <see cref="PromptExample"/>s. Table-to-text training data has one example per
/// (MR, reference); evaluation data one per MR with all references in <see cref="TaskSplit.References"/>.
/// Summarization (XSUM layout): one example per document, its summary as the target (and the one reference).
/// </summary>
public static class TaskRegistry
{
    /// <summary>Task names the CLI accepts.</summary>
    public static readonly IReadOnlyList<string> Names = [EmbeddedData.Sentiment, EmbeddedData.Rating, EmbeddedData.Inference, EmbeddedData.Aspect, EmbeddedData.Slots, EmbeddedData.E2e, EmbeddedData.Summarization];

    /// <summary>The task definition for <paramref name="name"/>.</summary>
    public static TaskDefinition Task(string name, string? root = null) => name switch
    {
        EmbeddedData.Sentiment => Cloze(name, Verbalizer.Of(["negative", "positive"], ["terrible", "great"]), cloze: "{x} It was [MASK] ."),
        EmbeddedData.Rating => Cloze(name, Verbalizer.Of(["1", "2", "3", "4", "5"], ["terrible", "bad", "okay", "good", "great"]), cloze: "{x} It was [MASK] ."),
        EmbeddedData.Inference => Cloze(name, Verbalizer.Of(["entailment", "contradiction", "neutral"], ["exactly", "no", "maybe"]), input: "{a} [SEP] {b}", cloze: "{b:nopunct} ? [MASK] , {a}"),
        // the review-site layout of the corpus: a title, then an aspect heading before the text
        EmbeddedData.Aspect => Cloze(name, Verbalizer.Of(["food", "service", "price", "place"], AspectWords), input: "{a} [SEP] {b}", cloze: "{a} . [MASK] : {b}"),
        EmbeddedData.Slots => new TaskDefinition { Name = name, Kind = TaskKind.Tagging, Labels = SlotTags(root) },
        EmbeddedData.E2e => new TaskDefinition { Name = name, Kind = TaskKind.Generation },
        EmbeddedData.Summarization => new TaskDefinition { Name = name, Kind = TaskKind.Generation },
        _ => throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>
    /// The aspect task's cloze words per label (food, service, price, place): the headings the corpus writes
    /// before a review's section on that aspect ("Food:", "Cooking:", "Staff:", "Value:", "Atmosphere:", ...).
    /// </summary>
    public static readonly IReadOnlyList<IReadOnlyList<string>> AspectWords =
        [["food", "cooking"], ["service", "staff"], ["price", "value"], ["place", "atmosphere"]];

    /// <summary>A classification task read through <paramref name="verbalizer"/> (its labels are the task's labels) at the cloze's mask.</summary>
    private static TaskDefinition Cloze(string name, Verbalizer verbalizer, string cloze, string input = "{x}") =>
        new() { Name = name, Kind = TaskKind.Classification, Labels = verbalizer.Labels, Verbalizer = verbalizer, Input = input, Cloze = cloze };

    /// <summary>
    /// A split of a task: "train", "dev", "test" (and "test-unseen" for e2e); <paramref name="shots"/> &gt; 0
    /// picks the fixed few-shot training subset of that size and <paramref name="seed"/>.
    /// </summary>
    public static TaskSplit Load(string name, string split, int shots = 0, int seed = 0, string? root = null)
    {
        root ??= EmbeddedData.Root;
        var task = Task(name, root);
        string Path_(string file) => Path.Combine(root, name, file);
        string Few(string ext, string stem = "train") => Path.Combine(root, name, EmbeddedData.FewShotFile(ext, shots, seed, stem));
        bool few = shots > 0 && split == "train";
        switch (name)
        {
            case EmbeddedData.Sentiment or EmbeddedData.Rating or EmbeddedData.Aspect or EmbeddedData.Inference:
            {
                var files = ClassificationFiles.Get(name);
                return Classification(task, files.Loader(few ? Few(files.Extension) : files.SplitPath(split, root)), files.Labels);
            }
            case EmbeddedData.Slots: return FromConll(few ? Few("txt") : Path_($"{split}.txt"), task);
            case EmbeddedData.E2e:
            {
                var file = few ? Few("csv", "trainset") : Path_(split switch
                {
                    "train" => "trainset.csv", "dev" => "devset.csv", "test" => "testset_w_refs.csv", "test-unseen" => "testset_unseen_w_refs.csv",
                    _ => throw new ArgumentException($"e2e has no split '{split}' (train, dev, test, test-unseen)"),
                });
                var data = E2eCsv.Load(file);
                if (split == "train")
                    return new TaskSplit(task, data.SelectMany(d => d.References.Select(r => new PromptExample(Linearize(d.Mr)) { Target = r })).ToList(), null);
                return new TaskSplit(task, data.Select(d => new PromptExample(Linearize(d.Mr)) { Target = d.References.FirstOrDefault() }).ToList(),
                    data.Select(d => d.References).ToList());
            }
            case EmbeddedData.Summarization:
            {
                var data = XsumJsonl.Load(few ? Few("jsonl") : Path_(split switch
                {
                    "train" => "train.jsonl", "dev" or "validation" => "validation.jsonl", "test" => "test.jsonl",
                    _ => throw new ArgumentException($"summarization has no split '{split}' (train, dev, test)"),
                }));
                var examples = data.Select(d => new PromptExample(d.Document) { Target = d.Summary }).ToList();
                return new TaskSplit(task, examples, split == "train" ? null : data.Select(d => (IReadOnlyList<string>)[d.Summary]).ToList());
            }
            default: throw new ArgumentException($"unknown task '{name}'");
        }
    }

    /// <summary>
    /// A real SST-2 file (GLUE's <c>train.tsv</c> or <c>dev.tsv</c>: <c>sentence</c> and <c>label</c> 0/1 columns) as a
    /// split of the sentiment task, for a notebook's real-model switch. Errors name the file, line and column.
    /// </summary>
    public static TaskSplit FromSst2(string tsvFile) => Classification(Task(EmbeddedData.Sentiment), Sst2Tsv.Load(tsvFile), ClassificationFiles.Sentiment.Labels);

    /// <summary>
    /// A tagging task whose tags are those of a CoNLL file (e.g. CoNLL-2003's <c>train.txt</c>, NER column last):
    /// <c>O</c> first, then the B-/I- tags grouped by entity type, as the embedded slot task orders them.
    /// </summary>
    public static TaskDefinition ConllTask(string trainFile, string name = "ner") =>
        new() { Name = name, Kind = TaskKind.Tagging, Labels = TagsOf(ConllFile.Load(trainFile)) };

    /// <summary>
    /// A CoNLL file (one token per line, the tag in the last column, a blank line between sentences) as a split of
    /// <paramref name="task"/>; a tag the task does not have is an error naming the file and line.
    /// </summary>
    public static TaskSplit FromConll(string file, TaskDefinition task)
    {
        var index = task.Labels.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var data = ConllFile.Load(file, task.Labels);
        return new TaskSplit(task, data.Select(s => new PromptExample(s.Text) { Tags = s.Tags.Select(t => index[t]).ToArray() }).ToList(), null);
    }

    /// <summary>An MR as the prefix-tuning paper feeds it to GPT-2: <c>name : The Eagle | food : French | ...</c>.</summary>
    public static string Linearize(MeaningRepresentation mr) => string.Join(" | ", mr.Attributes.Select(a => $"{a.Slot} : {a.Value}"));

    private static TaskSplit Classification(TaskDefinition task, List<ClassificationExample> data, IReadOnlyList<string> fileLabels)
    {
        var index = fileLabels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        return new TaskSplit(task, data.Select(e => new PromptExample(e.TextA, e.TextB)
        {
            Label = e.Label is null ? -1 : index.TryGetValue(e.Label, out var i) ? i : throw new InvalidDataException($"{task.Name}: label '{e.Label}' of {e.Id} is not one of {string.Join(", ", fileLabels)}"),
        }).ToList(), null);
    }

    private static IReadOnlyList<string> SlotTags(string? root) =>
        TagsOf(ConllFile.Load(Path.Combine(root ?? EmbeddedData.Root, EmbeddedData.Slots, "train.txt")));

    private static IReadOnlyList<string> TagsOf(IEnumerable<TaggingExample> data)
    {
        var tags = data.SelectMany(s => s.Tags).Distinct().Where(t => t != "O").OrderBy(t => t.Length > 2 ? t[2..] : t, StringComparer.Ordinal).ThenBy(t => t, StringComparer.Ordinal);
        return ["O", .. tags];
    }
}

/// <summary>A task's examples for one split; <see cref="References"/> holds every reference per example for generation evaluation.</summary>
public sealed record TaskSplit(TaskDefinition Task, List<PromptExample> Examples, List<IReadOnlyList<string>>? References)
{
    /// <summary>The first <paramref name="count"/> examples (with their references); all of them for 0 or a count past the end.</summary>
    public TaskSplit Take(int count) => count <= 0 || Examples.Count <= count ? this
        : this with { Examples = Examples.Take(count).ToList(), References = References?.Take(count).ToList() };

    /// <summary>The examples (with their references) in an order drawn from <paramref name="seed"/> (Fisher-Yates; the same seed gives the same order).</summary>
    public TaskSplit Shuffle(int seed)
    {
        var order = Enumerable.Range(0, Examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        return this with { Examples = order.Select(i => Examples[i]).ToList(), References = References is null ? null : order.Select(i => References[i]).ToList() };
    }
}
