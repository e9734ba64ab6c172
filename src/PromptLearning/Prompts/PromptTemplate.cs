using System.Text;
using System.Text.RegularExpressions;

namespace PromptLearning.Prompts;

/// <summary>What one piece of a <see cref="PromptTemplate"/> is.</summary>
public enum TemplatePartKind
{
    /// <summary>Literal text (anchor words, punctuation), tokenized as written.</summary>
    Text,
    /// <summary>An example field: <c>{a}</c> (aliases <c>x</c>, <c>p</c>, <c>premise</c>, <c>text</c>) or <c>{b}</c> (aliases <c>h</c>, <c>hypothesis</c>).</summary>
    Field,
    /// <summary>One virtual token <c>[P]</c>.</summary>
    Slot,
    /// <summary>The mask slot: <see cref="TemplatePart.Count"/> consecutive <c>[MASK]</c>s (cloze heads and PET read their scores here).</summary>
    Mask,
    /// <summary>The separator <c>[SEP]</c>: what follows is the second sequence of a pair.</summary>
    Sep,
}

/// <summary>
/// One piece of a template. <see cref="Value"/> is the text, or the field name (<c>a</c> or <c>b</c>).
/// Fields may carry PET's modifiers: <see cref="NoFinalPunctuation"/> (<c>{h:nopunct}</c>) and
/// <see cref="LowerFirst"/> (<c>{a:lowerfirst}</c>). A mask part stands for <see cref="Count"/> masks.
/// </summary>
public sealed record TemplatePart(TemplatePartKind Kind, string Value)
{
    /// <summary>Masks in the mask slot (one per token of a label word); 1 for other parts.</summary>
    public int Count { get; init; } = 1;
    /// <summary>Field modifier <c>nopunct</c>: drop the text's final punctuation.</summary>
    public bool NoFinalPunctuation { get; init; }
    /// <summary>Field modifier <c>lowerfirst</c>: lower-case the text's first letter.</summary>
    public bool LowerFirst { get; init; }

    /// <summary>The text a field part puts in for <paramref name="example"/>: the field trimmed, modifiers applied.</summary>
    public string FieldText(PromptExample example)
    {
        var text = (Value == "a" ? example.A : example.B
            ?? throw new ArgumentException($"the template uses {{b}} but example \"{example.A}\" has no second text")).Trim();
        if (NoFinalPunctuation) text = text.TrimEnd('.', '!', '?', ',', ';', ':', ' ');
        if (LowerFirst && text.Length > 0) text = char.ToLowerInvariant(text[0]) + text[1..];
        return text;
    }
}

/// <summary>
/// Where the input, the virtual tokens and the mask go: <c>[P][P][P] {x} [P][P] [MASK] .</c> (P-tuning),
/// <c>[P*20] {x}</c> (prompt tuning), <c>{a} It was [MASK].</c> or <c>{h:nopunct}? [MASK], {p}</c> (PET's
/// patterns). The one template type of the library: soft-prompt methods and PET both use it, and
/// <see cref="BatchBuilder"/> encodes it.
/// <list type="bullet">
/// <item><c>[P]</c> is one virtual token and <c>[P*n]</c> n of them;</item>
/// <item><c>{a}</c> and <c>{b}</c> are the example's texts (aliases <c>x</c>, <c>p</c>, <c>premise</c>,
/// <c>text</c> for a; <c>h</c>, <c>hypothesis</c> for b), with optional modifiers <c>{h:nopunct}</c>
/// and <c>{a:lowerfirst}</c>;</item>
/// <item><c>[MASK]</c> (or <c>&lt;mask&gt;</c>) is the mask slot; several consecutive masks make one
/// slot for a label word of several tokens;</item>
/// <item><c>[SEP]</c> splits a pair: what follows is the second sequence (token type 1 for BERT);</item>
/// <item>anything else is literal text (anchors such as <c>?</c> or <c>It was</c>).</item>
/// </list>
/// Whitespace is kept as written, which matters for byte-level BPE. The model's own special tokens
/// (<c>[CLS] ... [SEP]</c>) are added around the whole by the tokenizer.
/// </summary>
public sealed class PromptTemplate
{
    private static readonly Regex Token = new(
        @"\[P(?:\*(?<n>\d+))?\]|(?<mask>(?:\[MASK\]|<mask>)(?:\s*(?:\[MASK\]|<mask>))*)|\[SEP\]|\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?<mods>[A-Za-z,]+))?\}",
        RegexOptions.Compiled);
    private static readonly Regex OneMask = new(@"\[MASK\]|<mask>", RegexOptions.Compiled);

    private static readonly Dictionary<string, string> FieldNames = new(StringComparer.Ordinal)
    {
        ["a"] = "a", ["x"] = "a", ["p"] = "a", ["premise"] = "a", ["text"] = "a",
        ["b"] = "b", ["h"] = "b", ["hypothesis"] = "b",
    };

    /// <summary>The template as written.</summary>
    public string Text { get; }
    /// <summary>Its pieces in order.</summary>
    public IReadOnlyList<TemplatePart> Parts { get; }
    /// <summary>Number of virtual tokens.</summary>
    public int SlotCount { get; }
    /// <summary>True when the template has a mask slot.</summary>
    public bool HasMask => MaskSlot is not null;
    /// <summary>The mask slot, or null.</summary>
    public TemplatePart? MaskSlot { get; }
    /// <summary>True when the mask slot follows white space (a label word then gets byte-level BPE's leading space, <c>Ġgreat</c>).</summary>
    public bool MaskAfterSpace { get; }
    /// <summary>True when the template has a <c>[SEP]</c> (a two-sequence input).</summary>
    public bool IsPair => Parts.Any(p => p.Kind == TemplatePartKind.Sep);

    private PromptTemplate(string text, List<TemplatePart> parts, bool maskAfterSpace)
    {
        Text = text;
        Parts = parts;
        SlotCount = parts.Count(p => p.Kind == TemplatePartKind.Slot);
        MaskSlot = parts.FirstOrDefault(p => p.Kind == TemplatePartKind.Mask);
        MaskAfterSpace = maskAfterSpace;
    }

    /// <summary>
    /// Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the template and the problem
    /// (no input field, an unknown field or modifier, two mask slots, two separators, a stray brace).
    /// </summary>
    public static PromptTemplate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<TemplatePart>();
        bool maskAfterSpace = false;
        int at = 0;
        foreach (Match m in Token.Matches(text))
        {
            if (m.Index > at) parts.Add(new TemplatePart(TemplatePartKind.Text, text[at..m.Index]));
            at = m.Index + m.Length;
            if (m.Value.StartsWith("[P", StringComparison.Ordinal))
            {
                int n = m.Groups["n"].Success ? int.Parse(m.Groups["n"].Value) : 1;
                if (n < 1) throw new FormatException($"template '{text}': [P*{n}] needs at least one virtual token");
                for (int i = 0; i < n; i++) parts.Add(new TemplatePart(TemplatePartKind.Slot, "P"));
            }
            else if (m.Groups["mask"].Success)
            {
                // White space counts only when something precedes it in the same sequence (as PET's patterns).
                maskAfterSpace = parts.Count > 0 && parts[^1] is { Kind: TemplatePartKind.Text } prev && prev.Value.Length > 0 && char.IsWhiteSpace(prev.Value[^1])
                    && !(prev.Value.Trim().Length == 0 && (parts.Count == 1 || parts[^2].Kind == TemplatePartKind.Sep));
                parts.Add(new TemplatePart(TemplatePartKind.Mask, "[MASK]") { Count = OneMask.Matches(m.Value).Count });
            }
            else if (m.Value == "[SEP]") parts.Add(new TemplatePart(TemplatePartKind.Sep, "[SEP]"));
            else parts.Add(Field(text, m));
        }
        if (at < text.Length) parts.Add(new TemplatePart(TemplatePartKind.Text, text[at..]));
        if (!parts.Any(p => p.Kind == TemplatePartKind.Field))
            throw new FormatException($"template '{text}' has no input field ({{x}}, {{a}} or {{b}})");
        if (parts.Any(p => p.Kind == TemplatePartKind.Text && p.Value.Contains('{')))
            throw new FormatException($"template '{text}': a brace does not form a field such as {{a}} or {{h:nopunct}}");
        int masks = parts.Count(p => p.Kind == TemplatePartKind.Mask);
        if (masks > 1) throw new FormatException($"template '{text}' has {masks} [MASK] slots; at most one (write consecutive [MASK]s for a label of several tokens)");
        int seps = parts.Count(p => p.Kind == TemplatePartKind.Sep);
        if (seps > 1) throw new FormatException($"template '{text}' has {seps} [SEP]s; at most one (between the two sequences of a pair)");
        return new PromptTemplate(text, parts, maskAfterSpace);
    }

    private static TemplatePart Field(string template, Match m)
    {
        var name = m.Groups["name"].Value;
        if (!FieldNames.TryGetValue(name, out var field))
            throw new FormatException($"template '{template}': unknown field '{name}' in {m.Value} (fields: a, b; aliases x, p, premise, text for a and h, hypothesis for b)");
        bool noPunct = false, lowerFirst = false;
        if (m.Groups["mods"].Success)
            foreach (var mod in m.Groups["mods"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
                switch (mod)
                {
                    case "nopunct": noPunct = true; break;
                    case "lowerfirst": lowerFirst = true; break;
                    default: throw new FormatException($"template '{template}': unknown modifier '{mod}' in {m.Value} (known: nopunct, lowerfirst)");
                }
        return new TemplatePart(TemplatePartKind.Field, field) { NoFinalPunctuation = noPunct, LowerFirst = lowerFirst };
    }

    /// <summary><c>[P*n] body</c>: <paramref name="n"/> virtual tokens in front of <paramref name="body"/> (prompt tuning); just the body when n is 0.</summary>
    public static PromptTemplate WithPrefix(int n, string body) => Parse(n > 0 ? $"[P*{n}] {body}" : body);

    /// <summary>
    /// The text the model sees for <paramref name="example"/> (no truncation, for display): virtual tokens as
    /// <paramref name="slotText"/>, the mask slot as <paramref name="maskCount"/> (default: the template's count)
    /// <paramref name="maskText"/>s.
    /// </summary>
    public string Render(PromptExample example, string slotText = "[P]", string maskText = "[MASK]", int? maskCount = null)
    {
        var sb = new StringBuilder();
        foreach (var p in Parts)
            sb.Append(p.Kind switch
            {
                TemplatePartKind.Text => p.Value,
                TemplatePartKind.Field => p.FieldText(example),
                TemplatePartKind.Slot => slotText,
                TemplatePartKind.Mask => string.Join(" ", Enumerable.Repeat(maskText, maskCount ?? p.Count)),
                _ => "[SEP]",
            });
        return sb.ToString();
    }

    public override string ToString() => Text;
}
