using System.Text;
using System.Text.Json.Nodes;

namespace PromptLearning.Tests;

/// <summary>
/// Seeded mutations for the property tests: byte-level damage (bit flips, overwritten, inserted and
/// deleted bytes, truncation, invalid UTF-8) and JSON-level damage (a value replaced by one of another
/// type or an extreme one, a key removed or repeated, a lone surrogate escape, deep nesting).
/// </summary>
internal static class Mutation
{
    /// <summary>JSON texts of values that break readers: wrong types, extremes, nulls, a lone surrogate, deep nesting.</summary>
    public static readonly string[] NastyValues =
    [
        "null", "true", "false", "0", "-1", "1", "2", "0.5", "1.0", "-0.0", "1e-300", "1e300", "1e999", "-1e999",
        "2147483647", "2147483648", "-2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551616", "\"\"", "\"x\"", "\"0\"", "\"banana\"", "\"\\ud800\"", "\"a\\u0000b\"", "\"\\udfff\\ud800\"",
        "\"F16\"", "\"BF16\"", "\"I32\"", "\"BOOL\"", "\"U8\"", "[]", "{}", "[null]", "[0]", "[-1]", "[4294967296,4294967296]", "[0,0]", "[1,2,3]", "{\"a\":null}",
        new string('[', 200) + new string(']', 200), "\"" + new string('x', 5000) + "\"",
    ];

    /// <summary>One random byte-level mutation of <paramref name="bytes"/>.</summary>
    public static byte[] Bytes(byte[] bytes, Random rng, int? limit = null)
    {
        var b = new List<byte>(bytes);
        int span = Math.Max(1, Math.Min(b.Count, limit ?? b.Count));
        int at = rng.Next(span);
        switch (rng.Next(8))
        {
            case 0: if (b.Count > 0) b[at] ^= (byte)(1 << rng.Next(8)); break;
            case 1: if (b.Count > 0) b[at] = (byte)rng.Next(256); break;
            case 2: b.Insert(at, (byte)rng.Next(256)); break;
            case 3: if (b.Count > 0) b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.Next(8))); break;
            case 4: b.RemoveRange(at, b.Count - at); break;
            case 5: b.InsertRange(at, new byte[] { 0xC3, 0x28, 0xFF, 0xED, 0xA0, 0x80 }.Skip(rng.Next(5)).Take(1 + rng.Next(2))); break;
            case 6: if (b.Count > 0) b.InsertRange(at, b.Skip(at).Take(1 + rng.Next(16)).ToList()); break;
            default:
                var value = BitConverter.GetBytes(new[] { 0L, -1L, 1L, 7L, 8L, long.MaxValue, 1L << 32, (long)span - 1 }[rng.Next(8)]);
                for (int i = 0; i < value.Length && at + i < b.Count; i++) b[at + i] = value[i];
                break;
        }
        return b.ToArray();
    }

    /// <summary>
    /// One random JSON-level mutation of <paramref name="json"/> (an object): a value somewhere in the
    /// tree replaced by a <see cref="NastyValues"/> entry, a key removed, or a key of the tree written again
    /// first in the top-level object (a duplicate where the key is a top-level one).
    /// </summary>
    public static string Json(string json, Random rng)
    {
        var root = JsonNode.Parse(json)!;
        var slots = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(root, slots);
        if (slots.Count == 0) return json;
        var (parent, key, index) = slots[rng.Next(slots.Count)];
        const string marker = "\"@@MUTATION@@\"";
        switch (rng.Next(6))
        {
            case 0 when key is not null:
                parent.AsObject().Remove(key);
                return root.ToJsonString();
            case 1 when key is not null:
            {
                var value = parent[key]?.ToJsonString() ?? "null";
                var text = root.ToJsonString();
                var first = text.IndexOf("{", StringComparison.Ordinal);
                return text[..(first + 1)] + Encode(key) + ":" + value + "," + text[(first + 1)..];
            }
            default:
                if (key is not null) parent[key] = JsonValue.Create("@@MUTATION@@");
                else parent.AsArray()[index] = JsonValue.Create("@@MUTATION@@");
                return root.ToJsonString().Replace(marker, NastyValues[rng.Next(NastyValues.Length)]);
        }
    }

    static string Encode(string key) => JsonValue.Create(key)!.ToJsonString();

    static void Collect(JsonNode node, List<(JsonNode, string?, int)> slots)
    {
        if (node is JsonObject o)
            foreach (var (k, v) in o.ToList())
            {
                slots.Add((o, k, -1));
                if (v is not null) Collect(v, slots);
            }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++)
            {
                slots.Add((a, null, i));
                if (a[i] is { } v) Collect(v, slots);
            }
    }

    /// <summary>A JSON text mutated at the byte level (so invalid UTF-8 and broken syntax are covered too).</summary>
    public static byte[] JsonBytes(string json, Random rng) => Bytes(Encoding.UTF8.GetBytes(json), rng);
}
