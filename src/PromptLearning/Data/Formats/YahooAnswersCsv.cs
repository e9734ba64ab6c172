namespace PromptLearning.Data.Formats;

/// <summary>
/// Yahoo! Answers topic CSV (Zhang et al. 2015, as used by PET): no header, four quoted fields
/// <c>"class","question title","question content","best answer"</c> with class index 1-10. As PET
/// does, title and content joined by a space become <see cref="ClassificationExample.TextA"/>, the
/// answer <see cref="ClassificationExample.TextB"/>, and the escaped newlines <c>\n</c> and stray
/// backslashes become spaces. An empty class field marks an unlabelled example.
/// </summary>
public static class YahooAnswersCsv
{
    /// <summary>Loads a Yahoo! Answers style CSV file.</summary>
    public static List<ClassificationExample> Load(string path)
    {
        var result = new List<ClassificationExample>();
        foreach (var rec in Csv.Read(path, "records \"class\",\"question title\",\"question content\",\"best answer\""))
        {
            if (rec.Fields.Count != 4)
                throw new InvalidDataException($"{path}:{rec.Line}: expected 4 fields (class, question title, question content, best answer), found {rec.Fields.Count}");
            var label = rec.Fields[0].Trim();
            if (label.Length > 0 && !(int.TryParse(label, out var c) && c is >= 1 and <= 10 && label == c.ToString()))
                throw new InvalidDataException($"{path}:{rec.Line}: field 'class' must be a class index 1-10 or empty, found '{rec.Fields[0]}'");
            var question = Clean(Clean(rec.Fields[1]) + " " + Clean(rec.Fields[2]));
            var answer = Clean(rec.Fields[3]);
            if (question.Length == 0 && answer.Length == 0)
                throw new InvalidDataException($"{path}:{rec.Line}: fields 'question title', 'question content' and 'best answer' are all empty");
            result.Add(new ClassificationExample(question, answer, label.Length == 0 ? null : label, $"{Path.GetFileName(path)}:{rec.Line}"));
        }
        return result;
    }

    /// <summary>Writes examples: TextA as the question title (content left empty), TextB as the answer.</summary>
    public static void Write(string path, IEnumerable<ClassificationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select(e => Csv.Line(e.Label ?? "", e.TextA, "", e.TextB ?? "")));

    private static string Clean(string text) => text.Replace("\\n", " ").Replace("\\", " ").Trim();
}
