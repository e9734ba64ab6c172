namespace PromptLearning.Data;

/// <summary>
/// Where the generated data sets live (the repository's <c>data/</c> folder) and their file names.
/// <see cref="Root"/> is found from <c>PLEARN_DATA</c>, else by walking up from the current
/// folder and from the assembly's folder to the first <c>data/</c> that holds <c>corpus/train.txt</c>.
/// </summary>
public static class EmbeddedData
{
    /// <summary>The data folder; throws with the places searched when none is found.</summary>
    public static string Root => FindRoot() ?? throw new DirectoryNotFoundException(
        "no data/ folder with corpus/train.txt found from the current folder or the PromptLearning assembly; set PLEARN_DATA or run 'plearn data generate'");

    /// <summary>The data folder, or null when none is found.</summary>
    public static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("PLEARN_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data");
                if (System.IO.File.Exists(Path.Combine(candidate, "corpus", "train.txt"))) return candidate;
            }
        }
        return null;
    }

    /// <summary>A path under the data folder, e.g. <c>Path("sentiment", "train.tsv")</c>.</summary>
    public static string File(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Few-shot sizes shipped for every task.</summary>
    public static readonly int[] FewShotSizes = [10, 32, 100, 1000];

    /// <summary>
    /// Few-shot seeds shipped for every task: three triples (0-2 the default, 3-5 and 6-8 for checking
    /// that a claim holds for other seeds). Subsets larger than 100 examples are shipped for the
    /// first <see cref="LargeFewShotSeedCount"/> seeds only.
    /// </summary>
    public static readonly int[] FewShotSeeds = [0, 1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>Number of leading <see cref="FewShotSeeds"/> that also have the subsets larger than 100 examples.</summary>
    public const int LargeFewShotSeedCount = 3;

    /// <summary>Binary sentiment (SST-2 layout): train/dev/test.tsv, unlabeled.tsv, fewshot/train-N-seedS.tsv.</summary>
    public const string Sentiment = "sentiment";
    /// <summary>5-way rating (Yelp CSV): train/dev/test.csv, unlabeled.csv, fewshot/train-N-seedS.csv.</summary>
    public const string Rating = "rating";
    /// <summary>3-way inference (CB JSONL): train/val/test.jsonl, unlabeled.jsonl, fewshot/train-N-seedS.jsonl.</summary>
    public const string Inference = "inference";
    /// <summary>Aspect classification (AG News CSV): train/dev/test.csv, unlabeled.csv, fewshot/train-N-seedS.csv.</summary>
    public const string Aspect = "aspect";
    /// <summary>Slot tagging (CoNLL, BIO): train/dev/test.txt, unlabeled.txt, fewshot/train-N-seedS.txt.</summary>
    public const string Slots = "slots";
    /// <summary>Table-to-text (E2E CSV): trainset/devset/testset_w_refs/testset_unseen_w_refs.csv, fewshot/trainset-N-seedS.csv.</summary>
    public const string E2e = "e2e";
    /// <summary>Summarization (XSUM JSON lines): train/validation/test.jsonl, fewshot/train-N-seedS.jsonl.</summary>
    public const string Summarization = "summarization";
    /// <summary>Unlabelled pretraining corpus: train.txt and valid.txt, one document per line.</summary>
    public const string Corpus = "corpus";

    /// <summary>The file name of a few-shot subset, e.g. <c>FewShotFile("tsv", 32, 0)</c> = "fewshot/train-32-seed0.tsv".</summary>
    public static string FewShotFile(string extension, int size, int seed, string stem = "train") =>
        $"fewshot/{stem}-{size}-seed{seed}.{extension}";
}
