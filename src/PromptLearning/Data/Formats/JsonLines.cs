using System.Text.Json;

namespace PromptLearning.Data.Formats;

/// <summary>
/// The JSON-lines reading shared by the loaders (SuperGLUE, XSUM): one object per non-blank line, read with
/// <see cref="TextFile.ReadLines"/>; errors name the file, line and field.
/// </summary>
internal static class JsonLines
{
    /// <summary>Parses every non-blank line of <paramref name="path"/> as a JSON object and maps it with <paramref name="parse"/> (root, 1-based line).</summary>
    public static List<T> Read<T>(string path, string expected, Func<JsonElement, int, T> parse)
    {
        var result = new List<T>();
        var lines = TextFile.ReadLines(path, expected);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{i + 1}: invalid JSON: {e.Message}"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}:{i + 1}: expected a JSON object");
                result.Add(parse(doc.RootElement, i + 1));
            }
        }
        return result;
    }

    /// <summary>A string value, or an error naming the field when it is not valid Unicode.</summary>
    public static string Text(JsonElement value, string field, string path, int line)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{path}:{line}: field '{field}' is not valid Unicode: {e.Message}"); }
    }

    /// <summary>A required, non-blank string field; errors name the file, line and field.</summary>
    public static string RequireString(JsonElement root, string field, string path, int line)
    {
        if (!root.TryGetProperty(field, out var v)) throw new InvalidDataException($"{path}:{line}: missing field '{field}'");
        if (v.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{path}:{line}: field '{field}' must be a string, found {v.ValueKind}");
        var s = Text(v, field, path, line);
        if (s.Trim().Length == 0) throw new InvalidDataException($"{path}:{line}: field '{field}' is empty");
        return s;
    }
}
