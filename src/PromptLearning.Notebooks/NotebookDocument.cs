using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PromptLearning.Notebooks;

/// <summary>
/// A Jupyter notebook (.ipynb, nbformat 4) held as its JSON tree, so every field the runner does
/// not touch (notebook and cell metadata, ids, attachments, unknown keys) is written back as read.
/// Only <c>outputs</c> and <c>execution_count</c> of code cells change. Written as Polyglot
/// Notebooks writes it: indented by one space, relaxed escaping, final newline.
/// </summary>
public sealed class NotebookDocument
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly JsonObject _root;

    /// <summary>Where the notebook was read from (used in messages).</summary>
    public string Path { get; }

    /// <summary>The cells in file order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>The notebook's top-level <c>metadata</c> object.</summary>
    public JsonObject Metadata => (JsonObject)_root["metadata"]!;

    private NotebookDocument(string path, JsonObject root)
    {
        Path = path;
        _root = root;
        if (!(root["nbformat"] is JsonValue format && format.TryGetValue<int>(out var major) && major == 4))
            throw new InvalidDataException($"{path}: only nbformat 4 notebooks are supported (found nbformat {root["nbformat"]?.ToJsonString() ?? "missing"}).");
        if (root["metadata"] is not JsonObject) root["metadata"] = new JsonObject();
        if (root["cells"] is not JsonArray cells) throw new InvalidDataException($"{path}: no \"cells\" array.");
        Cells = cells.Select((c, i) => c is JsonObject o
                ? NotebookCell.Validate(path, o, i + 1)
                : throw new InvalidDataException($"{path}: cell {i + 1} is not a JSON object."))
            .ToList();
    }

    /// <summary>Reads a notebook; throws <see cref="InvalidDataException"/> naming the file when it is not nbformat 4 JSON.</summary>
    public static NotebookDocument Load(string path)
    {
        JsonNode? node;
        // nbformat is plain JSON: a key twice in one object (a bad merge) is an error, not a silent overwrite
        try { node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        CheckStrings(node, path, "$");
        return new NotebookDocument(path, node as JsonObject ?? throw new InvalidDataException($"{path}: the top level is not a JSON object."));
    }

    /// <summary>Every string in the tree must be valid UTF-16 (a lone surrogate escape such as <c>"\ud800"</c> parses but cannot be read back).</summary>
    private static void CheckStrings(JsonNode? node, string path, string where)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) CheckStrings(v, path, $"{where}.{k}");
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++) CheckStrings(a[i], path, $"{where}[{i}]");
                break;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                try { v.GetValue<string>(); }
                catch (InvalidOperationException e) { throw new InvalidDataException($"{path}: {where}: not a valid string ({e.Message})", e); }
                break;
        }
    }

    /// <summary>The kernel that runs cells without their own kernel metadata (Polyglot's <c>defaultKernelName</c>, else from the kernelspec).</summary>
    public string DefaultKernel
    {
        get
        {
            if ((Metadata["polyglot_notebook"] as JsonObject)?["kernelInfo"] is JsonObject info && info["defaultKernelName"] is JsonValue v && v.TryGetValue<string>(out var name)) return name;
            if ((Metadata["kernelspec"] as JsonObject)?["name"] is JsonValue k && k.TryGetValue<string>(out var spec) && spec.StartsWith(".net-", StringComparison.Ordinal))
                return spec[".net-".Length..];
            return "csharp";
        }
    }

    /// <summary>The notebook as JSON text, formatted as Polyglot Notebooks writes it.</summary>
    public string ToJson() => _root.ToJsonString(WriteOptions) + "\n";

    /// <summary>Writes the notebook atomically (temp file, then move).</summary>
    public void Save(string path) => AtomicWrite.Text(path, ToJson());
}

/// <summary>One cell of a <see cref="NotebookDocument"/>, a view over its JSON object.</summary>
public sealed class NotebookCell
{
    private readonly JsonObject _json;

    private NotebookCell(JsonObject json, int number) { _json = json; Number = number; }

    /// <summary>The cell, once its <c>cell_type</c> is a string and its <c>source</c> a string or a list of strings; else <see cref="InvalidDataException"/> naming file and cell.</summary>
    internal static NotebookCell Validate(string path, JsonObject json, int number)
    {
        if (json["cell_type"] is not JsonValue type || !type.TryGetValue<string>(out _))
            throw new InvalidDataException($"{path}: cell {number}: \"cell_type\" must be a string (code, markdown or raw).");
        bool sourceOk = json["source"] switch
        {
            null => true,
            JsonValue v => v.TryGetValue<string>(out _),
            JsonArray lines => lines.All(l => l is JsonValue lv && lv.TryGetValue<string>(out _)),
            _ => false,
        };
        if (!sourceOk) throw new InvalidDataException($"{path}: cell {number}: \"source\" must be a string or a list of strings.");
        return new NotebookCell(json, number);
    }

    /// <summary>1-based position in the notebook, counting every cell (what messages call "cell N").</summary>
    public int Number { get; }

    /// <summary><c>code</c>, <c>markdown</c> or <c>raw</c>.</summary>
    public string CellType => _json["cell_type"]?.GetValue<string>() ?? "";

    /// <summary>The cell id (nbformat 4.5), or null.</summary>
    public string? Id => _json["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The cell's <c>metadata</c> object.</summary>
    public JsonObject Metadata => _json["metadata"] as JsonObject ?? (JsonObject)(_json["metadata"] = new JsonObject());

    /// <summary>The source text (nbformat allows a string or a list of lines).</summary>
    public string Source => _json["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    /// <summary>The kernel named in the cell metadata (Polyglot's <c>kernelName</c>, else the legacy <c>dotnet_interactive.language</c>), or null.</summary>
    public string? Kernel
    {
        get
        {
            if ((Metadata["polyglot_notebook"] as JsonObject)?["kernelName"] is JsonValue k && k.TryGetValue<string>(out var name)) return name;
            if ((Metadata["dotnet_interactive"] as JsonObject)?["language"] is JsonValue l && l.TryGetValue<string>(out var lang)) return lang;
            return null;
        }
    }

    /// <summary>The stored outputs (code cells).</summary>
    public JsonArray? Outputs => _json["outputs"] as JsonArray;

    /// <summary>Replaces the outputs and execution count of a code cell.</summary>
    public void SetResult(IEnumerable<JsonObject> outputs, int? executionCount)
    {
        _json["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o).ToArray());
        _json["execution_count"] = executionCount is int n ? JsonValue.Create(n) : null;
    }

    /// <summary>Splits text into nbformat's list of lines (each keeps its "\n").</summary>
    public static JsonArray Lines(string text)
    {
        var array = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            array.Add(text[start..end]);
            start = end;
        }
        return array;
    }
}
