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

    /// <summary>Loads a CB/RTE style .jsonl file.</summary>
    public static List<ClassificationExample> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var result = new List<ClassificationExample>();
        var lines = File.ReadAllLines(path);
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
                if (root.TryGetProperty("label", out var l))
                {
                    label = l.ValueKind switch
                    {
                        JsonValueKind.String => l.GetString(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Number => l.GetRawText(),
                        _ => throw new InvalidDataException($"{path}:{i + 1}: field 'label' must be a string, found {l.ValueKind}"),
                    };
                    if (string.IsNullOrEmpty(label)) throw new InvalidDataException($"{path}:{i + 1}: field 'label' is empty");
                }
                string id = root.TryGetProperty("idx", out var idx) ? idx.GetRawText() : $"{Path.GetFileName(path)}:{i + 1}";
                result.Add(new ClassificationExample(premise, hypothesis, label, id));
            }
        }
        return result;
    }

    private static string RequireString(JsonElement root, string field, string path, int line)
    {
        if (!root.TryGetProperty(field, out var v)) throw new InvalidDataException($"{path}:{line}: missing field '{field}'");
        if (v.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{path}:{line}: field '{field}' must be a string, found {v.ValueKind}");
        var s = v.GetString()!;
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
