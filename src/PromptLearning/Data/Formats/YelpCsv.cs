namespace PromptLearning.Data.Formats;

/// <summary>
/// Yelp review CSV (Zhang et al. 2015, as used by PET): no header, two quoted fields
/// <c>"label","text"</c> with label 1-5 (Yelp Review Full) or 1-2 (Yelp Polarity). As PET does,
/// the escaped newlines <c>\n</c> and stray backslashes in the text become spaces. An empty
/// label field marks an unlabelled example.
/// </summary>
public static class YelpCsv
{
    /// <summary>Loads a Yelp-style CSV file.</summary>
    public static List<ClassificationExample> Load(string path)
    {
        var result = new List<ClassificationExample>();
        foreach (var rec in Csv.Read(path, "records \"label\",\"text\""))
        {
            if (rec.Fields.Count != 2)
                throw new InvalidDataException($"{path}:{rec.Line}: expected 2 fields (label, text), found {rec.Fields.Count}");
            var label = rec.Fields[0].Trim();
            if (label.Length > 0 && !(label.Length == 1 && label[0] is >= '1' and <= '5'))
                throw new InvalidDataException($"{path}:{rec.Line}: field 'label' must be 1-5 or empty, found '{rec.Fields[0]}'");
            var text = rec.Fields[1].Replace("\\n", " ").Replace("\\", " ").Trim();
            if (text.Length == 0) throw new InvalidDataException($"{path}:{rec.Line}: field 'text' is empty");
            result.Add(new ClassificationExample(text, null, label.Length == 0 ? null : label, $"{Path.GetFileName(path)}:{rec.Line}"));
        }
        return result;
    }

    /// <summary>Writes examples (label may be null for unlabelled data).</summary>
    public static void Write(string path, IEnumerable<ClassificationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select(e => Csv.Line(e.Label ?? "", e.TextA)));
}
