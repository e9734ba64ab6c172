using System.Text.Json;

namespace PromptLearning.Checkpoints;

/// <summary>
/// A sharded checkpoint's <c>model.safetensors.index.json</c>:
/// <c>{"metadata": {...}, "weight_map": {tensor name: shard file name}}</c>.
/// </summary>
public static class SafetensorsIndex
{
    /// <summary>The weights file of an unsharded checkpoint.</summary>
    public const string SingleFile = "model.safetensors";
    /// <summary>The index file of a sharded checkpoint.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The shard file names the index at <paramref name="path"/> refers to, in first-use order.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, no <c>weight_map</c>, or a shard name that is not a plain file name.</exception>
    public static IReadOnlyList<string> Shards(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Safetensors index '{path}': malformed JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"Safetensors index '{path}': required field 'weight_map' (tensor name -> shard file) is missing.");
            var shards = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                var file = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new InvalidDataException($"Safetensors index '{path}': tensor '{p.Name}' maps to '{p.Value.GetRawText()}', not a shard file name.");
                if (!shards.Contains(file)) shards.Add(file);
            }
            if (shards.Count == 0) throw new InvalidDataException($"Safetensors index '{path}': 'weight_map' is empty.");
            return shards;
        }
    }
}
