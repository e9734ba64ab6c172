namespace PromptLearning.Data.Formats;

/// <summary>
/// GLUE SST-2 TSV: a header line and tab-separated columns. Train/dev files have
/// <c>sentence\tlabel</c> (label 0 = negative, 1 = positive); the GLUE test file has
/// <c>index\tsentence</c> and no labels. Columns are found by header name.
/// </summary>
public static class Sst2Tsv
{
    /// <summary>Loads a GLUE SST-2 style file (train.tsv, dev.tsv or test.tsv).</summary>
    public static List<ClassificationExample> Load(string path)
    {
        var lines = TextFile.ReadLines(path, "a header 'sentence\\tlabel'");
        var header = lines[0].Split('\t');
        int sentence = Array.IndexOf(header, "sentence");
        int label = Array.IndexOf(header, "label");
        int index = Array.IndexOf(header, "index");
        if (sentence < 0) throw new InvalidDataException($"{path}:1: header has no 'sentence' column (found: {string.Join(", ", header)})");
        var result = new List<ClassificationExample>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var cols = lines[i].Split('\t');
            if (cols.Length != header.Length)
                throw new InvalidDataException($"{path}:{i + 1}: expected {header.Length} tab-separated fields ({string.Join(", ", header)}), found {cols.Length}");
            var text = cols[sentence].Trim();
            if (text.Length == 0) throw new InvalidDataException($"{path}:{i + 1}: field 'sentence' is empty");
            string? lab = null;
            if (label >= 0)
            {
                lab = cols[label].Trim();
                if (lab is not ("0" or "1")) throw new InvalidDataException($"{path}:{i + 1}: field 'label' must be 0 or 1, found '{cols[label]}'");
            }
            var id = index >= 0 ? cols[index].Trim() : $"{Path.GetFileName(path)}:{i + 1}";
            result.Add(new ClassificationExample(text, null, lab, id));
        }
        return result;
    }

    /// <summary>Writes labelled examples as <c>sentence\tlabel</c>.</summary>
    public static void Write(string path, IEnumerable<ClassificationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select(e => $"{Check(e.TextA)}\t{e.Label}").Prepend("sentence\tlabel"));

    /// <summary>Writes unlabelled texts in the GLUE test layout <c>index\tsentence</c>.</summary>
    public static void WriteUnlabelled(string path, IEnumerable<string> texts) =>
        Checkpoints.AtomicFile.WriteLines(path, texts.Select((t, i) => $"{i}\t{Check(t)}").Prepend("index\tsentence"));

    private static string Check(string text) =>
        text.Contains('\t') || text.Contains('\n') ? throw new ArgumentException($"text contains a tab or newline: \"{text}\"") : text;
}
