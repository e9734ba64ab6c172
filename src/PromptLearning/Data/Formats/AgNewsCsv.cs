namespace PromptLearning.Data.Formats;

/// <summary>
/// AG News CSV (Zhang et al. 2015): no header, three quoted fields <c>"class","title","description"</c>
/// with class index 1-4. As in PET, the title becomes <see cref="ClassificationExample.TextA"/>, the
/// description <see cref="ClassificationExample.TextB"/>, and backslashes become spaces. An empty
/// class field marks an unlabelled example.
/// </summary>
public static class AgNewsCsv
{
    /// <summary>Loads an AG News style CSV file.</summary>
    public static List<ClassificationExample> Load(string path)
    {
        var result = new List<ClassificationExample>();
        foreach (var rec in Csv.Read(path, "records \"class\",\"title\",\"description\""))
        {
            if (rec.Fields.Count != 3)
                throw new InvalidDataException($"{path}:{rec.Line}: expected 3 fields (class, title, description), found {rec.Fields.Count}");
            var label = rec.Fields[0].Trim();
            if (label.Length > 0 && !(label.Length == 1 && label[0] is >= '1' and <= '4'))
                throw new InvalidDataException($"{path}:{rec.Line}: field 'class' must be a class index 1-4 or empty, found '{rec.Fields[0]}'");
            var title = rec.Fields[1].Replace("\\", " ").Trim();
            var description = rec.Fields[2].Replace("\\", " ").Trim();
            if (title.Length == 0 && description.Length == 0)
                throw new InvalidDataException($"{path}:{rec.Line}: fields 'title' and 'description' are both empty");
            result.Add(new ClassificationExample(title, description, label.Length == 0 ? null : label, $"{Path.GetFileName(path)}:{rec.Line}"));
        }
        return result;
    }

    /// <summary>Writes examples: TextA = title, TextB = description.</summary>
    public static void Write(string path, IEnumerable<ClassificationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select(e => Csv.Line(e.Label ?? "", e.TextA, e.TextB ?? "")));
}
