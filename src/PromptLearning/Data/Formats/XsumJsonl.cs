using System.Text.Encodings.Web;
using System.Text.Json;

namespace PromptLearning.Data.Formats;

/// <summary>
/// XSUM (Narayan et al. 2018) as JSON lines, the layout of the Hugging Face <c>xsum</c> data set
/// exported with <c>to_json</c>: one object per line with <c>document</c>, <c>summary</c> and
/// <c>id</c>; splits <c>train.jsonl</c>, <c>validation.jsonl</c>, <c>test.jsonl</c>.
/// </summary>
public static class XsumJsonl
{
    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Loads an XSUM .jsonl file.</summary>
    /// <exception cref="InvalidDataException">A line is not such an object; the message names the file, line and field.</exception>
    public static List<SummarizationExample> Load(string path)
    {
        var result = new List<SummarizationExample>();
        var lines = TextFile.ReadLines(path, "JSON lines with document, summary and id");
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
                var document = RequireString(root, "document", path, i + 1);
                var summary = RequireString(root, "summary", path, i + 1);
                var id = root.TryGetProperty("id", out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : $"{Path.GetFileName(path)}:{i + 1}";
                result.Add(new SummarizationExample(document, summary, id));
            }
        }
        return result;
    }

    private static string RequireString(JsonElement root, string field, string path, int line)
    {
        if (!root.TryGetProperty(field, out var v)) throw new InvalidDataException($"{path}:{line}: missing field '{field}'");
        if (v.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{path}:{line}: field '{field}' must be a string, found {v.ValueKind}");
        string s;
        try { s = v.GetString()!; }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{path}:{line}: field '{field}' is not valid Unicode: {e.Message}"); }
        if (s.Trim().Length == 0) throw new InvalidDataException($"{path}:{line}: field '{field}' is empty");
        return s;
    }

    /// <summary>Writes examples as XSUM JSON lines (atomically).</summary>
    public static void Write(string path, IEnumerable<SummarizationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select(e => JsonSerializer.Serialize(
            new Dictionary<string, string> { ["document"] = e.Document, ["summary"] = e.Summary, ["id"] = e.Id }, WriteOptions)));
}
