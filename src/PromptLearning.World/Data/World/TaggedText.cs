using System.Text;

namespace PromptLearning.Data.World;

/// <summary>
/// Text assembled token by token, each token optionally marked with the slot whose value it
/// expresses. Renders to plain text (punctuation attached to the previous word) and to BIO tags.
/// </summary>
public sealed class TaggedText
{
    private const string ArticleMarker = "\u0001a";
    private readonly List<string> _tokens = new();
    private readonly List<string?> _slots = new();

    /// <summary>Tokens (after <see cref="Finish"/>: articles resolved, sentences capitalised).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The slot each token belongs to, or null.</summary>
    public IReadOnlyList<string?> Slots => _slots;

    /// <summary>Appends space-separated words, all marked with <paramref name="slot"/>.</summary>
    public TaggedText Add(string words, string? slot = null)
    {
        foreach (var w in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            _tokens.Add(w);
            _slots.Add(slot);
        }
        return this;
    }

    /// <summary>Appends a template in which "{}" stands for <paramref name="value"/> marked with <paramref name="slot"/>.</summary>
    public TaggedText Template(string template, string slot, string value)
    {
        int at = template.IndexOf("{}", StringComparison.Ordinal);
        if (at < 0) return Add(template);
        Add(template[..at]);
        Add(value, slot);
        return Add(template[(at + 2)..]);
    }

    /// <summary>Appends words; those inside [brackets] are marked with <paramref name="slot"/>.</summary>
    public TaggedText Marked(string phrase, string slot)
    {
        int open = phrase.IndexOf('[');
        int close = phrase.IndexOf(']');
        if (open < 0 || close < open) return Add(phrase);
        Add(phrase[..open]);
        Add(phrase[(open + 1)..close], slot);
        return Add(phrase[(close + 1)..]);
    }

    /// <summary>Appends another tagged text.</summary>
    public TaggedText Append(TaggedText other)
    {
        _tokens.AddRange(other._tokens);
        _slots.AddRange(other._slots);
        return this;
    }

    /// <summary>Appends "a" or "an", chosen from the next word when the text is finished.</summary>
    public TaggedText Article() => Add(ArticleMarker);

    /// <summary>Appends a punctuation token (rendered without a space before it).</summary>
    public TaggedText Punct(string p) => Add(p);

    /// <summary>True when nothing has been added.</summary>
    public bool IsEmpty => _tokens.Count == 0;

    /// <summary>
    /// Resolves articles (every "a"/"an" and <see cref="Article"/> becomes "a" or "an" by the next word)
    /// and capitalises the first word of each sentence.
    /// </summary>
    public TaggedText Finish()
    {
        for (int i = 0; i < _tokens.Count; i++)
        {
            if (_tokens[i] is not (ArticleMarker or "a" or "an" or "A" or "An")) continue;
            var next = i + 1 < _tokens.Count ? _tokens[i + 1].ToLowerInvariant() : "";
            bool vowel = next.Length > 0 && "aeiou".Contains(next[0])
                && !next.StartsWith("uni", StringComparison.Ordinal) && !next.StartsWith("one", StringComparison.Ordinal)
                && !next.StartsWith("eu", StringComparison.Ordinal);
            _tokens[i] = vowel ? "an" : "a";
        }
        bool start = true;
        for (int i = 0; i < _tokens.Count; i++)
        {
            var t = _tokens[i];
            if (start && t.Length > 0 && char.IsLower(t[0])) _tokens[i] = char.ToUpperInvariant(t[0]) + t[1..];
            start = t is "." or "!" or "?";
        }
        return this;
    }

    /// <summary>Plain text: tokens joined by spaces, punctuation attached to the word before it.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var t in _tokens)
        {
            if (sb.Length > 0 && !IsAttached(t)) sb.Append(' ');
            sb.Append(t);
        }
        return sb.ToString();
    }

    /// <summary>BIO tags (IOB2): B-slot on the first token of each run of a slot, I-slot after it, O elsewhere.</summary>
    public List<string> BioTags(Func<string, string>? tagName = null)
    {
        tagName ??= s => s;
        var tags = new List<string>(_tokens.Count);
        for (int i = 0; i < _tokens.Count; i++)
        {
            var s = _slots[i];
            if (s is null) tags.Add("O");
            else tags.Add((i > 0 && _slots[i - 1] == s ? "I-" : "B-") + tagName(s));
        }
        return tags;
    }

    internal static bool IsAttached(string token) => token is "," or "." or "!" or "?" or ";" or ":";
}
