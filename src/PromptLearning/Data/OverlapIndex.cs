namespace PromptLearning.Data;

/// <summary>
/// Finds held-out texts (dev/test sentences, premises, references) inside other texts, e.g. to
/// prove that the unlabelled pretraining corpus never contains a dev or test example. Texts are
/// indexed by their first three words, so checking a document costs one lookup per word.
/// Texts of fewer than three words are too short to identify an example and are not indexed.
/// </summary>
public sealed class OverlapIndex
{
    private readonly Dictionary<string, List<string>> _byPrefix = new(StringComparer.Ordinal);

    /// <summary>Number of indexed texts.</summary>
    public int Count { get; private set; }

    /// <summary>Number of texts left out because they have fewer than three words.</summary>
    public int Skipped { get; private set; }

    /// <summary>Builds the index from held-out texts.</summary>
    public OverlapIndex(IEnumerable<string> heldOut)
    {
        foreach (var text in heldOut)
        {
            var t = text.Trim();
            var key = PrefixAt(t, 0);
            if (key is null) { Skipped++; continue; }
            if (!_byPrefix.TryGetValue(key, out var list)) _byPrefix[key] = list = new List<string>();
            list.Add(t);
            Count++;
        }
    }

    private static string? PrefixAt(string text, int start) => PrefixLength(text, start) is int n ? text.Substring(start, n) : null;

    /// <summary>Length of the first three words from <paramref name="start"/> (up to the third space), or null when fewer remain.</summary>
    private static int? PrefixLength(string text, int start)
    {
        int spaces = 0;
        for (int i = start; i < text.Length; i++)
        {
            if (text[i] != ' ') continue;
            if (++spaces == 3) return i - start;
        }
        return spaces == 2 && text.Length > start ? text.Length - start : null;
    }

    /// <summary>The first held-out text that occurs in <paramref name="document"/> (starting at a word), or null.</summary>
    public string? FindIn(string document)
    {
        var lookup = _byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int p = 0; p < document.Length; p++)
        {
            if (p > 0 && document[p - 1] != ' ') continue;
            if (PrefixLength(document, p) is not int n) return null;
            if (!lookup.TryGetValue(document.AsSpan(p, n), out var candidates)) continue;
            foreach (var c in candidates)
                if (c.Length <= document.Length - p && string.CompareOrdinal(document, p, c, 0, c.Length) == 0) return c;
        }
        return null;
    }
}
