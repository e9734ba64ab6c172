namespace PromptLearning.Data;

/// <summary>
/// One example of a classification task. Single-sentence tasks (SST-2, Yelp) use <see cref="TextA"/>
/// only; pair tasks use <see cref="TextB"/> too (premise/hypothesis for CB/RTE, title/description
/// for AG News, following PET's processors). <see cref="Label"/> is null for unlabelled data.
/// </summary>
/// <param name="TextA">First (or only) text.</param>
/// <param name="TextB">Second text of a pair, or null.</param>
/// <param name="Label">The label as written in the file ("0"/"1", "1".."5", "entailment", ...), or null.</param>
/// <param name="Id">A stable identifier (file name and line, or the file's own index).</param>
public sealed record ClassificationExample(string TextA, string? TextB, string? Label, string Id = "");

/// <summary>One sentence of a sequence-labelling task: tokens and one tag per token (BIO/IOB).</summary>
/// <param name="Tokens">Tokens of the sentence.</param>
/// <param name="Tags">One tag per token, e.g. "B-food", "I-area", "O".</param>
public sealed record TaggingExample(IReadOnlyList<string> Tokens, IReadOnlyList<string> Tags)
{
    /// <summary>The tokens joined by single spaces.</summary>
    public string Text => string.Join(" ", Tokens);
}

/// <summary>A meaning representation with all its human references (E2E: several per MR).</summary>
/// <param name="Mr">The meaning representation.</param>
/// <param name="References">Reference texts (empty for a test file without references).</param>
public sealed record TableToTextExample(MeaningRepresentation Mr, IReadOnlyList<string> References);

/// <summary>One attribute of a meaning representation, e.g. <c>food[Italian]</c>.</summary>
public readonly record struct SlotValue(string Slot, string Value)
{
    /// <inheritdoc />
    public override string ToString() => $"{Slot}[{Value}]";
}

/// <summary>
/// An E2E-style meaning representation: ordered <c>slot[value]</c> pairs separated by ", ",
/// e.g. <c>name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate]</c>.
/// </summary>
public sealed record MeaningRepresentation(IReadOnlyList<SlotValue> Attributes)
{
    /// <summary>The value of a slot, or null when the MR does not mention it.</summary>
    public string? this[string slot]
    {
        get
        {
            foreach (var a in Attributes) if (a.Slot == slot) return a.Value;
            return null;
        }
    }

    /// <summary>The E2E string form.</summary>
    public override string ToString() => string.Join(", ", Attributes.Select(a => a.ToString()));

    /// <inheritdoc />
    public bool Equals(MeaningRepresentation? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <summary>
    /// Parses <c>slot[value], slot[value], ...</c>. Values may contain commas and spaces; brackets
    /// delimit them. Throws <see cref="FormatException"/> naming the position of the problem.
    /// </summary>
    public static MeaningRepresentation Parse(string text)
    {
        var attributes = new List<SlotValue>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ',')) i++;
            if (i >= text.Length) break;
            int open = text.IndexOf('[', i);
            if (open < 0) throw new FormatException($"expected 'slot[value]' at character {i + 1} of MR \"{text}\"");
            int close = text.IndexOf(']', open + 1);
            if (close < 0) throw new FormatException($"missing ']' after character {open + 1} of MR \"{text}\"");
            var slot = text[i..open].Trim();
            if (slot.Length == 0) throw new FormatException($"empty slot name at character {i + 1} of MR \"{text}\"");
            attributes.Add(new SlotValue(slot, text[(open + 1)..close]));
            i = close + 1;
            while (i < text.Length && text[i] == ' ') i++;
            if (i < text.Length && text[i] != ',') throw new FormatException($"expected ',' at character {i + 1} of MR \"{text}\"");
        }
        if (attributes.Count == 0) throw new FormatException($"MR \"{text}\" has no slot[value] pairs");
        return new MeaningRepresentation(attributes);
    }
}

/// <summary>A document and its one-sentence summary (XSUM).</summary>
/// <param name="Document">The text to summarize.</param>
/// <param name="Summary">The reference summary.</param>
/// <param name="Id">The file's identifier of the example.</param>
public sealed record SummarizationExample(string Document, string Summary, string Id);
