using System.Text.Encodings.Web;
using System.Text.Json;

namespace PromptLearning.Data.Formats;

/// <summary>
/// SuperGLUE CB / RTE JSON lines: one object per line with <c>premise</c>, <c>hypothesis</c>, an
/// optional <c>label</c> (CB: entailment / contradiction / neutral; RTE: entailment /
/// not_entailment; absent in test files) and <c>idx</c>.
/// </summary>
public static class SuperGlueJsonl
{
    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The labels of CB (entailment, contradiction, neutral) and RTE (entailment, not_entailment).</summary>
    public static IReadOnlyList<string> Labels { get; } = ["entailment", "contradiction", "neutral", "not_entailment"];

    /// <summary>Loads a CB/RTE style .jsonl file; a label must be one of <see cref="Labels"/>.</summary>
    public static List<ClassificationExample> Load(string path) => Load(path, Labels);

    /// <summary>Loads a CB/RTE style .jsonl file whose labels must be strings among <paramref name="labels"/> (the task's).</summary>
    /// <exception cref="InvalidDataException">A line is not such an object; the message names the file, line and field.</exception>
    public static List<ClassificationExample> Load(string path, IReadOnlyList<string> labels)
    {
        var result = new List<ClassificationExample>();
        var lines = TextFile.ReadLines(path, "JSON lines with premise, hypothesis and label");
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{i + 1}: invalid JSON: {e.Message}"); }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}:{i + 1}: expected a JSON object");
                string premise = RequireString(root, "premise", path, i + 1);
                string hypothesis = RequireString(root, "hypothesis", path, i + 1);
                string? label = null;
                if (root.TryGetProperty("label", out var l) && l.ValueKind != JsonValueKind.Null)
                {
                    label = l.ValueKind == JsonValueKind.String ? Text(l, "label", path, i + 1) : null;
                    if (label is null || !labels.Contains(label))
                        throw new InvalidDataException($"{path}:{i + 1}: field 'label' must be one of {string.Join(", ", labels)}, found {l.GetRawText()}");
                }
                string id = root.TryGetProperty("idx", out var idx) ? idx.GetRawText() : $"{Path.GetFileName(path)}:{i + 1}";
                result.Add(new ClassificationExample(premise, hypothesis, label, id));
            }
        }
        return result;
    }

    private static string Text(JsonElement value, string field, string path, int line)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{path}:{line}: field '{field}' is not valid Unicode: {e.Message}"); }
    }

    private static string RequireString(JsonElement root, string field, string path, int line)
    {
        if (!root.TryGetProperty(field, out var v)) throw new InvalidDataException($"{path}:{line}: missing field '{field}'");
        if (v.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{path}:{line}: field '{field}' must be a string, found {v.ValueKind}");
        var s = Text(v, field, path, line);
        if (s.Trim().Length == 0) throw new InvalidDataException($"{path}:{line}: field '{field}' is empty");
        return s;
    }

    /// <summary>Writes examples as CB-style JSON lines; unlabelled examples get no label key.</summary>
    public static void Write(string path, IEnumerable<ClassificationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select((e, i) =>
        {
            var obj = new Dictionary<string, object> { ["premise"] = e.TextA, ["hypothesis"] = e.TextB ?? "" };
            if (e.Label is not null) obj["label"] = e.Label;
            obj["idx"] = i;
            return JsonSerializer.Serialize(obj, WriteOptions);
        }));
}
