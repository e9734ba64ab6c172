using PromptLearning.Data.Formats;

namespace PromptLearning.Data;

/// <summary>The embedded slot-tagging and table-to-text data.</summary>
public static class EmbeddedTasks
{
    /// <summary>Slot tagging (CoNLL, IOB2): split "train", "dev", "test" or "unlabeled" (all tags O).</summary>
    public static List<TaggingExample> Slots(string split, string? root = null) =>
        ConllFile.Load(Path.Combine(root ?? EmbeddedData.Root, EmbeddedData.Slots, split switch
        {
            "train" or "dev" or "test" or "unlabeled" => split + ".txt",
            _ => throw new ArgumentException($"unknown split '{split}' (known: train, dev, test, unlabeled)", nameof(split)),
        }));

    /// <summary>A few-shot subset of the slot-tagging training set.</summary>
    public static List<TaggingExample> SlotsFewShot(int size, int seed, string? root = null) =>
        ConllFile.Load(Path.Combine(root ?? EmbeddedData.Root, EmbeddedData.Slots, EmbeddedData.FewShotFile("txt", size, seed)));

    /// <summary>Table-to-text (E2E CSV): split "train", "dev", "test" or "test-unseen" (values never seen in train).</summary>
    public static List<TableToTextExample> E2e(string split, string? root = null) =>
        E2eCsv.Load(Path.Combine(root ?? EmbeddedData.Root, EmbeddedData.E2e, split switch
        {
            "train" => "trainset.csv",
            "dev" => "devset.csv",
            "test" => "testset_w_refs.csv",
            "test-unseen" => "testset_unseen_w_refs.csv",
            _ => throw new ArgumentException($"unknown split '{split}' (known: train, dev, test, test-unseen)", nameof(split)),
        }));

    /// <summary>A few-shot subset of the E2E training set (size counted in MRs).</summary>
    public static List<TableToTextExample> E2eFewShot(int size, int seed, string? root = null) =>
        E2eCsv.Load(Path.Combine(root ?? EmbeddedData.Root, EmbeddedData.E2e, EmbeddedData.FewShotFile("csv", size, seed, "trainset")));

    /// <summary>The pretraining corpus: "train" or "valid", one document per line.</summary>
    public static string[] Corpus(string split, string? root = null) =>
        File.ReadAllLines(Path.Combine(root ?? EmbeddedData.Root, EmbeddedData.Corpus, split switch
        {
            "train" or "valid" => split + ".txt",
            _ => throw new ArgumentException($"unknown split '{split}' (known: train, valid)", nameof(split)),
        }));
}
