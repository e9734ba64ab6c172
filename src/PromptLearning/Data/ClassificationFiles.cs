using PromptLearning.Data.Formats;

namespace PromptLearning.Data;

/// <summary>
/// The files of a classification data set: where they are, which loader reads (and which writer writes)
/// them and what its labels are as written there. Splits are "train", "dev", "test" and "unlabeled";
/// few-shot subsets by size and seed. The same <see cref="Loader"/> reads the real data set an embedded
/// task stands in for. The one description of a classification data set's files: <c>Prompts.TaskRegistry</c>
/// reads splits through it and <c>Pet.PetTask</c> adds its pattern-verbalizer pairs.
/// </summary>
/// <param name="Name">Task name, e.g. "sentiment".</param>
/// <param name="Folder">Folder under the data root.</param>
/// <param name="Extension">File extension of its splits.</param>
/// <param name="DevFile">File name of the dev split (SuperGLUE calls it val.jsonl).</param>
/// <param name="Labels">The labels as written in the files, in a fixed order.</param>
/// <param name="LabelNames">Human-readable names of <see cref="Labels"/>, same order.</param>
/// <param name="Loader">Reads one file of this format.</param>
public sealed record ClassificationFiles(string Name, string Folder, string Extension, string DevFile,
    IReadOnlyList<string> Labels, IReadOnlyList<string> LabelNames, Func<string, List<ClassificationExample>> Loader)
{
    /// <summary>Writes a file of the format (labels may be null for an unlabelled pool), where the format has a writer.</summary>
    public Action<string, IEnumerable<ClassificationExample>>? Write { get; init; }

    /// <summary>The original distribution's training and test file names (the PET paper's data sets).</summary>
    public (string Train, string Test)? OriginalFiles { get; init; }

    /// <summary>File name of the test split.</summary>
    public string TestFile => $"test.{Extension}";

    /// <summary>File name of the unlabelled pool.</summary>
    public string UnlabelledFile => $"unlabeled.{Extension}";

    /// <summary>Binary sentiment in the SST-2 layout (0 negative, 1 positive).</summary>
    public static readonly ClassificationFiles Sentiment = new("sentiment", EmbeddedData.Sentiment, "tsv", "dev.tsv",
        ["0", "1"], ["negative", "positive"], Sst2Tsv.Load);

    /// <summary>5-way star rating in the Yelp layout.</summary>
    public static readonly ClassificationFiles Rating = new("rating", EmbeddedData.Rating, "csv", "dev.csv",
        ["1", "2", "3", "4", "5"], ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"], YelpCsv.Load);

    /// <summary>3-way inference in the CommitmentBank layout.</summary>
    public static readonly ClassificationFiles Inference = new("inference", EmbeddedData.Inference, "jsonl", "val.jsonl",
        ["entailment", "contradiction", "neutral"], ["entailment", "contradiction", "neutral"], path => SuperGlueJsonl.Load(path, ["entailment", "contradiction", "neutral"]));

    /// <summary>4-way aspect classification in the AG News layout (TextA title, TextB description).</summary>
    public static readonly ClassificationFiles Aspect = new("aspect", EmbeddedData.Aspect, "csv", "dev.csv",
        ["1", "2", "3", "4"], ["food", "service", "price", "place"], AgNewsCsv.Load);

    /// <summary>All classification tasks.</summary>
    public static IReadOnlyList<ClassificationFiles> All => [Sentiment, Rating, Inference, Aspect];

    /// <summary>The task with this name; the error lists the known ones.</summary>
    public static ClassificationFiles Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", All.Select(t => t.Name))})");

    /// <summary>Path of a split ("train", "dev", "test" or "unlabeled") under <paramref name="root"/> (default: the embedded data).</summary>
    public string SplitPath(string split, string? root = null)
    {
        var file = split switch
        {
            "train" or "test" or "unlabeled" => $"{split}.{Extension}",
            "dev" => DevFile,
            _ => throw new ArgumentException($"unknown split '{split}' (known: train, dev, test, unlabeled)", nameof(split)),
        };
        return Path.Combine(root ?? EmbeddedData.Root, Folder, file);
    }

    /// <summary>Loads a split.</summary>
    public List<ClassificationExample> Load(string split, string? root = null) => Loader(SplitPath(split, root));

    /// <summary>Loads a fixed few-shot training subset (sizes 10, 32, 100, 1000; seeds 0, 1, 2).</summary>
    public List<ClassificationExample> FewShot(int size, int seed, string? root = null) =>
        Loader(Path.Combine(root ?? EmbeddedData.Root, Folder, EmbeddedData.FewShotFile(Extension, size, seed)));

    /// <summary>Index of a file label in <see cref="Labels"/>; throws naming the label and the task.</summary>
    public int LabelIndex(string label)
    {
        for (int i = 0; i < Labels.Count; i++) if (Labels[i] == label) return i;
        throw new ArgumentException($"label '{label}' is not one of task {Name}'s labels ({string.Join(", ", Labels)})");
    }
}
