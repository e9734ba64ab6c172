using System.Text;
using System.Text.Json.Nodes;

namespace PromptLearning.Notebooks;

/// <summary>
/// The outputs of one code cell in the order they happened, stored as the real kernel stores
/// them: consecutive writes to one stream merge into one <c>stream</c> output; displayed values are
/// <c>display_data</c>; the last-expression value is <c>execute_result</c>; a failure is <c>error</c>.
/// Thread-safe: background tasks may still write while the cell runs.
/// </summary>
public sealed class CellOutputs
{
    private sealed class Output
    {
        public required string Type;
        public string? StreamName;
        public StringBuilder? Text;
        public Dictionary<string, string>? Data;
        public string? EName, EValue;
        public List<string>? Traceback;
    }

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

    /// <summary>Adds a <c>display_data</c> output; returns its index for <see cref="Update"/>.</summary>
    public int Display(Dictionary<string, string> bundle)
    {
        lock (_gate) { _outputs.Add(new Output { Type = "display_data", Data = bundle }); return _outputs.Count - 1; }
    }

    /// <summary>Replaces the data of a displayed value.</summary>
    public void Update(int index, Dictionary<string, string> bundle)
    {
        lock (_gate) { if (index >= 0 && index < _outputs.Count) _outputs[index].Data = bundle; }
    }

    /// <summary>Adds the cell's value (<c>execute_result</c>).</summary>
    public void Result(Dictionary<string, string> bundle)
    {
        lock (_gate) _outputs.Add(new Output { Type = "execute_result", Data = bundle });
    }

    /// <summary>Adds an <c>error</c> output.</summary>
    public void Error(string name, string value, IEnumerable<string> traceback)
    {
        lock (_gate) _outputs.Add(new Output { Type = "error", EName = name, EValue = value, Traceback = traceback.ToList() });
    }

    /// <summary>The outputs as nbformat JSON objects.</summary>
    public List<JsonObject> ToJson(int? executionCount)
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
                _ => Data(o, executionCount),
            }).ToList();
        }
    }

    private static JsonObject Data(Output o, int? executionCount)
    {
        var data = new JsonObject();
        foreach (var (mime, text) in o.Data!) data[mime] = mime.StartsWith("image/", StringComparison.Ordinal) ? text : NotebookCell.Lines(text);
        var json = new JsonObject { ["data"] = data };
        if (o.Type == "execute_result") json["execution_count"] = executionCount;
        json["metadata"] = new JsonObject();
        json["output_type"] = o.Type;
        return json;
    }
}

/// <summary>Console writer that sends text to the running cell's outputs (and optionally echoes it).</summary>
internal sealed class CellWriter(string stream, Func<CellOutputs?> target, TextWriter? echo) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        target()?.Write(stream, value);
        echo?.Write(value);
    }
}
