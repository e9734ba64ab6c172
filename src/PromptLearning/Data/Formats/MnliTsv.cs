namespace PromptLearning.Data.Formats;

/// <summary>
/// GLUE MultiNLI TSV (<c>train.tsv</c>, <c>dev_matched.tsv</c>, <c>dev_mismatched.tsv</c>, the test
/// files): a header line and tab-separated columns, no quoting. Columns are found by header name:
/// <c>sentence1</c> (premise, <see cref="ClassificationExample.TextA"/>), <c>sentence2</c>
/// (hypothesis, <see cref="ClassificationExample.TextB"/>) and <c>gold_label</c> (entailment,
/// contradiction or neutral; absent in the test files, which are then unlabelled); <c>pairID</c>
/// is the example id when present.
/// </summary>
public static class MnliTsv
{
    /// <summary>The labels, in PET's order.</summary>
    public static readonly IReadOnlyList<string> Labels = new[] { "contradiction", "entailment", "neutral" };

    /// <summary>Loads a GLUE MNLI style file.</summary>
    public static List<ClassificationExample> Load(string path)
    {
        var lines = TextFile.ReadLines(path, "a header with the columns 'sentence1', 'sentence2' (and 'gold_label')");
        var header = lines[0].Split('\t');
        int Column(string name, bool required)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0 && required) throw new InvalidDataException($"{path}:1: header has no '{name}' column (found: {string.Join(", ", header)})");
            return i;
        }
        int premise = Column("sentence1", true), hypothesis = Column("sentence2", true);
        int label = Column("gold_label", false), pairId = Column("pairID", false);
        var result = new List<ClassificationExample>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var cols = lines[i].Split('\t');
            if (cols.Length < header.Length)
                throw new InvalidDataException($"{path}:{i + 1}: expected {header.Length} tab-separated fields ({string.Join(", ", header)}), found {cols.Length}");
            var p = cols[premise].Trim();
            var h = cols[hypothesis].Trim();
            if (p.Length == 0) throw new InvalidDataException($"{path}:{i + 1}: field 'sentence1' (premise) is empty");
            if (h.Length == 0) throw new InvalidDataException($"{path}:{i + 1}: field 'sentence2' (hypothesis) is empty");
            string? lab = null;
            if (label >= 0)
            {
                lab = cols[label].Trim();
                if (lab.Length == 0) lab = null;
                else if (!Labels.Contains(lab))
                    throw new InvalidDataException($"{path}:{i + 1}: field 'gold_label' must be one of {string.Join(", ", Labels)} or empty, found '{cols[label]}'");
            }
            var id = pairId >= 0 ? cols[pairId].Trim() : $"{Path.GetFileName(path)}:{i + 1}";
            result.Add(new ClassificationExample(p, h, lab, id));
        }
        return result;
    }

    /// <summary>Writes examples with the columns <c>pairID, sentence1, sentence2, gold_label</c> (empty label when unlabelled).</summary>
    public static void Write(string path, IEnumerable<ClassificationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples
            .Select((e, i) => $"{(e.Id.Length > 0 ? Check(e.Id) : i.ToString())}\t{Check(e.TextA)}\t{Check(e.TextB ?? "")}\t{e.Label}")
            .Prepend("pairID\tsentence1\tsentence2\tgold_label"));

    private static string Check(string text) =>
        text.Contains('\t') || text.Contains('\n') ? throw new ArgumentException($"MNLI text contains a tab or newline: \"{text}\"") : text;
}
