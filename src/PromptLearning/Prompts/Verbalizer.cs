using PromptLearning.Tokenization;

namespace PromptLearning.Prompts;

/// <summary>How the scores of a label's several words are combined.</summary>
public enum VerbalizerReduction
{
    /// <summary>Average of the words' scores (PET's default).</summary>
    Mean,
    /// <summary>Sum of the words' scores.</summary>
    Sum,
}

/// <summary>
/// Maps each label to one or several words the masked LM can put in the template's mask slot
/// (<c>negative -> terrible</c>, <c>positive -> great, good</c>): the one verbalizer of the library, for a
/// task's cloze head (<see cref="ClozeHead"/>) and for PET's pattern-verbalizer pairs. A word may be several
/// tokens long; PET's <c>Pvp</c> then scores it as PET does. Labels are addressed by index (their order here).
/// </summary>
public sealed class Verbalizer
{
    /// <summary>Label names, in class-index order.</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Words per label (same order as <see cref="Labels"/>).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Words { get; }
    /// <summary>How several words of one label are combined.</summary>
    public VerbalizerReduction Reduction { get; }

    /// <summary>Builds a verbalizer; throws naming the label when one has no word or a word is blank.</summary>
    public Verbalizer(IEnumerable<(string Label, IReadOnlyList<string> Words)> mapping, VerbalizerReduction reduction = VerbalizerReduction.Mean)
    {
        var list = mapping.ToList();
        if (list.Count < 2) throw new ArgumentException($"a verbalizer needs at least two labels, got {list.Count}", nameof(mapping));
        var dup = list.GroupBy(x => x.Label).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"verbalizer label '{dup.Key}' appears twice", nameof(mapping));
        foreach (var (label, words) in list)
        {
            if (words.Count == 0) throw new ArgumentException($"verbalizer label '{label}' has no word", nameof(mapping));
            if (words.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException($"verbalizer label '{label}' has a blank word", nameof(mapping));
        }
        Labels = list.Select(x => x.Label).ToList();
        Words = list.Select(x => (IReadOnlyList<string>)x.Words.Select(w => w.Trim()).ToList()).ToList();
        Reduction = reduction;
    }

    /// <summary>One word per label, <paramref name="words"/>[i] for <paramref name="labels"/>[i]; throws when the counts differ.</summary>
    public static Verbalizer Of(IReadOnlyList<string> labels, IReadOnlyList<string> words) =>
        Of(labels, words.Select(w => (IReadOnlyList<string>)[w]).ToList());

    /// <summary>Label <c>i</c> gets the words <paramref name="words"/>[i] (scored by their mean); throws when the counts differ.</summary>
    public static Verbalizer Of(IReadOnlyList<string> labels, IReadOnlyList<IReadOnlyList<string>> words) =>
        labels.Count == words.Count ? new(labels.Zip(words))
            : throw new ArgumentException($"{words.Count} verbalizer words for {labels.Count} labels ({string.Join(", ", labels)})", nameof(words));

    /// <summary>The first word of each label, in label order (what a text-to-text model writes for the label).</summary>
    public IReadOnlyList<string> LabelWords => Words.Select(w => w[0]).ToList();

    /// <summary>One word per label: <c>Verbalizer.Of(("negative", "terrible"), ("positive", "great"))</c>.</summary>
    public static Verbalizer Of(params (string Label, string Word)[] mapping) =>
        new(mapping.Select(m => (m.Label, (IReadOnlyList<string>)new[] { m.Word })));

    /// <summary>
    /// Parses <c>"negative: terrible, bad; positive: great, good"</c> (labels separated by <c>;</c>,
    /// words by <c>,</c>). Throws naming the bad entry.
    /// </summary>
    public static Verbalizer Parse(string spec, VerbalizerReduction reduction = VerbalizerReduction.Mean)
    {
        var mapping = new List<(string, IReadOnlyList<string>)>();
        foreach (var entry in spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.IndexOf(':');
            if (colon <= 0) throw new FormatException($"verbalizer \"{spec}\": entry '{entry}' is not 'label: word[, word...]'");
            var words = entry[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            mapping.Add((entry[..colon].Trim(), words));
        }
        return new Verbalizer(mapping, reduction);
    }

    /// <summary>Number of labels.</summary>
    public int Count => Labels.Count;

    /// <summary>Index of label <paramref name="label"/>; throws naming it when unknown.</summary>
    public int IndexOf(string label)
    {
        for (int i = 0; i < Labels.Count; i++) if (Labels[i] == label) return i;
        throw new KeyNotFoundException($"label '{label}' is not in the verbalizer ({string.Join(", ", Labels)})");
    }

    /// <summary>
    /// Token ids of every word, [label][word][token], as the word appears in the mask slot: with a
    /// leading space for byte-level BPE when <paramref name="leadingSpace"/> (<c>Ġgreat</c>). Throws
    /// <see cref="ArgumentException"/> naming the word when it maps to an unknown token, or, with
    /// <paramref name="requireSingleToken"/>, when it is more than one token.
    /// </summary>
    public int[][][] TokenIds(TextTokenizer tokenizer, bool leadingSpace, bool requireSingleToken)
    {
        var unk = UnknownId(tokenizer);
        var result = new int[Labels.Count][][];
        for (int l = 0; l < Labels.Count; l++)
        {
            result[l] = new int[Words[l].Count][];
            for (int w = 0; w < Words[l].Count; w++)
            {
                var word = Words[l][w];
                var text = leadingSpace && tokenizer.IsByteLevel ? " " + word : word;
                var ids = tokenizer.Encode(text).ToArray();
                if (ids.Length == 0) throw new ArgumentException($"verbalizer word '{word}' (label '{Labels[l]}') encodes to no token");
                if (unk is not null && ids.Contains(unk.Value))
                    throw new ArgumentException($"verbalizer word '{word}' (label '{Labels[l]}') is not in the vocabulary: it encodes to {tokenizer.IdToToken(unk.Value)}");
                if (requireSingleToken && ids.Length != 1)
                    throw new ArgumentException(
                        $"verbalizer word '{word}' (label '{Labels[l]}') is {ids.Length} tokens ({string.Join(" ", ids.Select(tokenizer.IdToToken))}) " +
                        "but a single token is required here; pick another word or allow multi-token verbalizers");
                result[l][w] = ids;
            }
        }
        return result;
    }

    private static int? UnknownId(TextTokenizer tokenizer) =>
        tokenizer.TokenToId("[UNK]") ?? tokenizer.TokenToId("<unk>");

    public override string ToString() =>
        string.Join("; ", Labels.Select((l, i) => $"{l}: {string.Join(", ", Words[i])}"));
}
