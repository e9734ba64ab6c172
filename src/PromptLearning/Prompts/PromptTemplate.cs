using System.Text;
using System.Text.RegularExpressions;

namespace PromptLearning.Prompts;

/// <summary>What one piece of a <see cref="PromptTemplate"/> is.</summary>
public enum TemplatePartKind
{
    /// <summary>Literal text (anchor words, punctuation), tokenized as written.</summary>
    Text,
    /// <summary>An example field: <c>{a}</c> (also <c>{x}</c>) or <c>{b}</c>.</summary>
    Field,
    /// <summary>One virtual token <c>[P]</c>.</summary>
    Slot,
    /// <summary>The mask token <c>[MASK]</c> (cloze heads read their scores here).</summary>
    Mask,
    /// <summary>The separator token <c>[SEP]</c> (BERT's [SEP], RoBERTa's &lt;/s&gt;, GPT-2's &lt;|endoftext|&gt;).</summary>
    Sep,
}

/// <summary>One piece of a template; <see cref="Value"/> is the text or the field name.</summary>
public sealed record TemplatePart(TemplatePartKind Kind, string Value);

/// <summary>
/// Where the input, the virtual tokens and the mask go, e.g. <c>[P][P][P] {x} [P][P] [MASK] .</c>
/// (P-tuning) or <c>[P*20] {x}</c> (prompt tuning). <c>[P]</c> is one virtual token and <c>[P*n]</c>
/// n of them; <c>{a}</c>/<c>{x}</c> and <c>{b}</c> are the example's texts; <c>[MASK]</c> and <c>[SEP]</c>
/// the model's special tokens; anything else is literal text (anchors such as <c>?</c> or
/// <c>It was</c>). Whitespace is kept as written, which matters for byte-level BPE. The model's own
/// special tokens (<c>[CLS] ... [SEP]</c>) are added around the whole template by the tokenizer.
/// </summary>
public sealed class PromptTemplate
{
    private static readonly Regex Token = new(@"\[P(?:\*(\d+))?\]|\[MASK\]|\[SEP\]|\{(a|b|x)\}", RegexOptions.Compiled);

    /// <summary>The template as written.</summary>
    public string Text { get; }
    /// <summary>Its pieces in order.</summary>
    public IReadOnlyList<TemplatePart> Parts { get; }
    /// <summary>Number of virtual tokens.</summary>
    public int SlotCount { get; }
    /// <summary>True when the template has a <c>[MASK]</c>.</summary>
    public bool HasMask { get; }

    private PromptTemplate(string text, List<TemplatePart> parts)
    {
        Text = text;
        Parts = parts;
        SlotCount = parts.Count(p => p.Kind == TemplatePartKind.Slot);
        HasMask = parts.Any(p => p.Kind == TemplatePartKind.Mask);
    }

    /// <summary>Parses <paramref name="text"/>; fails on a template without any input field or with two masks.</summary>
    public static PromptTemplate Parse(string text)
    {
        var parts = new List<TemplatePart>();
        int at = 0;
        foreach (Match m in Token.Matches(text))
        {
            if (m.Index > at) parts.Add(new TemplatePart(TemplatePartKind.Text, text[at..m.Index]));
            at = m.Index + m.Length;
            var s = m.Value;
            if (s.StartsWith("[P", StringComparison.Ordinal))
            {
                int n = m.Groups[1].Success ? int.Parse(m.Groups[1].Value) : 1;
                if (n < 1) throw new FormatException($"template '{text}': [P*{n}] needs at least one virtual token");
                for (int i = 0; i < n; i++) parts.Add(new TemplatePart(TemplatePartKind.Slot, "P"));
            }
            else if (s == "[MASK]") parts.Add(new TemplatePart(TemplatePartKind.Mask, s));
            else if (s == "[SEP]") parts.Add(new TemplatePart(TemplatePartKind.Sep, s));
            else parts.Add(new TemplatePart(TemplatePartKind.Field, m.Groups[2].Value == "x" ? "a" : m.Groups[2].Value));
        }
        if (at < text.Length) parts.Add(new TemplatePart(TemplatePartKind.Text, text[at..]));
        if (!parts.Any(p => p.Kind == TemplatePartKind.Field))
            throw new FormatException($"template '{text}' has no input field ({{x}}, {{a}} or {{b}})");
        if (parts.Count(p => p.Kind == TemplatePartKind.Mask) > 1)
            throw new FormatException($"template '{text}' has more than one [MASK]");
        return new PromptTemplate(text, parts);
    }

    /// <summary><c>[P*n] body</c>: <paramref name="n"/> virtual tokens in front of <paramref name="body"/> (prompt tuning); just the body when n is 0.</summary>
    public static PromptTemplate WithPrefix(int n, string body) => Parse(n > 0 ? $"[P*{n}] {body}" : body);

    /// <summary>The template with its virtual tokens written out as <paramref name="slotText"/> (for display).</summary>
    public string Render(string a, string? b = null, string slotText = "[P]", string maskText = "[MASK]")
    {
        var sb = new StringBuilder();
        foreach (var p in Parts)
            sb.Append(p.Kind switch
            {
                TemplatePartKind.Text => p.Value,
                TemplatePartKind.Field => p.Value == "a" ? a : b ?? "",
                TemplatePartKind.Slot => slotText,
                TemplatePartKind.Mask => maskText,
                _ => "[SEP]",
            });
        return sb.ToString();
    }

    public override string ToString() => Text;
}
