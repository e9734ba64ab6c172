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
    public static List<SummarizationExample> Load(string path) =>
        JsonLines.Read(path, "JSON lines with document, summary and id", (root, line) => new SummarizationExample(
            JsonLines.RequireString(root, "document", path, line),
            JsonLines.RequireString(root, "summary", path, line),
            root.TryGetProperty("id", out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : $"{Path.GetFileName(path)}:{line}"));

    /// <summary>Writes examples as XSUM JSON lines (atomically).</summary>
    public static void Write(string path, IEnumerable<SummarizationExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.Select(e => JsonSerializer.Serialize(
            new Dictionary<string, string> { ["document"] = e.Document, ["summary"] = e.Summary, ["id"] = e.Id }, WriteOptions)));
}
