using System.Text;
using System.Text.Json.Nodes;

namespace PromptLearning.Notebooks;

/// <summary>
/// The outputs of one code cell in the order they happened, stored as the real kernel stores
/// them: consecutive writes to one stream merge into one <c>stream</c> output; displayed values and
/// the last-expression value are <c>display_data</c> (VS Code's convention; Jupyter would store the
/// latter as <c>execute_result</c>); a failure is <c>error</c> (name "Error", as VS Code writes it).
/// </summary>
public sealed class CellOutputs
{
    private sealed class Output
    {
        public required string Type;
        public string? StreamName;
        public StringBuilder? Text;
        public Dictionary<string, string>? Data;
        public string? EName, EValue, ValueId;
        public List<string>? Traceback;
    }

    /// <summary>
    /// The text of an nbformat "multiline string" (a string, or a list of strings to join: <c>source</c>,
    /// a stream's <c>text</c>, a mime value in <c>data</c>); "" for anything else.
    /// </summary>
    public static string Text(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(l => l?.GetValue<string>() ?? "")),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => "",
    };

    private readonly List<Output> _outputs = new();
    private readonly object _gate = new();

    /// <summary>Appends text to stdout or stderr.</summary>
    public void Write(string stream, string text)
    {
        if (text.Length == 0) return;
        lock (_gate)
        {
            if (_outputs.Count > 0 && _outputs[^1] is { Type: "stream" } last && last.StreamName == stream) { last.Text!.Append(text); return; }
            _outputs.Add(new Output { Type = "stream", StreamName = stream, Text = new StringBuilder(text) });
        }
    }

    /// <summary>
    /// Adds a <c>display_data</c> output, or replaces the one shown earlier with the same
    /// <paramref name="valueId"/> (the kernel's <c>DisplayedValueUpdated</c>), as VS Code does.
    /// </summary>
    public void Display(Dictionary<string, string> bundle, string? valueId = null)
    {
        lock (_gate)
        {
            var existing = valueId is null ? null : _outputs.FirstOrDefault(o => o.ValueId == valueId);
            if (existing is not null) existing.Data = bundle;
            else _outputs.Add(new Output { Type = "display_data", Data = bundle, ValueId = valueId });
        }
    }

    /// <summary>Adds an <c>error</c> output.</summary>
    public void Error(string name, string value, IEnumerable<string> traceback)
    {
        lock (_gate) _outputs.Add(new Output { Type = "error", EName = name, EValue = value, Traceback = traceback.ToList() });
    }

    /// <summary>The message of the first <c>error</c> output, or null.</summary>
    public string? FirstError()
    {
        lock (_gate) return _outputs.FirstOrDefault(o => o.Type == "error")?.EValue;
    }

    /// <summary>The outputs as nbformat JSON objects.</summary>
    public List<JsonObject> ToJson()
    {
        lock (_gate)
        {
            return _outputs.Select(o => o.Type switch
            {
                "stream" => new JsonObject { ["name"] = o.StreamName, ["output_type"] = "stream", ["text"] = NotebookCell.Lines(o.Text!.ToString()) },
                "error" => new JsonObject
                {
                    ["ename"] = o.EName, ["evalue"] = o.EValue, ["output_type"] = "error",
                    ["traceback"] = new JsonArray(o.Traceback!.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
                },
                _ => Data(o),
            }).ToList();
        }
    }

    private static JsonObject Data(Output o)
    {
        var data = new JsonObject();
        foreach (var (mime, text) in o.Data!) data[mime] = mime.StartsWith("image/", StringComparison.Ordinal) ? text : NotebookCell.Lines(text);
        var json = new JsonObject { ["data"] = data };
        json["metadata"] = new JsonObject();
        json["output_type"] = o.Type;
        return json;
    }
}
