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
    public static List<ClassificationExample> Load(string path, IReadOnlyList<string> labels) =>
        JsonLines.Read(path, "JSON lines with premise, hypothesis and label", (root, line) =>
        {
            string premise = JsonLines.RequireString(root, "premise", path, line);
            string hypothesis = JsonLines.RequireString(root, "hypothesis", path, line);
            string? label = null;
            if (root.TryGetProperty("label", out var l) && l.ValueKind != JsonValueKind.Null)
            {
                label = l.ValueKind == JsonValueKind.String ? JsonLines.Text(l, "label", path, line) : null;
                if (label is null || !labels.Contains(label))
                    throw new InvalidDataException($"{path}:{line}: field 'label' must be one of {string.Join(", ", labels)}, found {l.GetRawText()}");
            }
            string id = root.TryGetProperty("idx", out var idx) ? idx.GetRawText() : $"{Path.GetFileName(path)}:{line}";
            return new ClassificationExample(premise, hypothesis, label, id);
        });

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
