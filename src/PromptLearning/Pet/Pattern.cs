using System.Text;
using System.Text.RegularExpressions;
using PromptLearning.Tokenization;

namespace PromptLearning.Pet;

/// <summary>One piece of a parsed <see cref="Pattern"/>.</summary>
public abstract record PatternSegment
{
    /// <summary>Fixed text of the pattern (kept whole by truncation).</summary>
    public sealed record Literal(string Text) : PatternSegment;

    /// <summary>
    /// An input placeholder <c>{name}</c> or <c>{name:mod1,mod2}</c>; modifiers <c>nopunct</c> (drop
    /// final punctuation) and <c>lowerfirst</c> (lower-case the first letter), as PET's patterns use.
    /// <see cref="LeadingSpace"/>: the template has white space before it (matters for byte-level BPE).
    /// </summary>
    public sealed record Field(string Name, bool LeadingSpace, bool NoFinalPunctuation, bool LowerFirst) : PatternSegment;

    /// <summary>The mask slot: <see cref="Count"/> consecutive <c>[MASK]</c>s (one per label token).</summary>
    public sealed record Mask(int Count, bool LeadingSpace) : PatternSegment;

    /// <summary><c>[SEP]</c>: what follows is the second sequence of a pair (<c>[CLS] a [SEP] b [SEP]</c>).</summary>
    public sealed record Separator : PatternSegment;
}

/// <summary>
/// A pattern encoded for one example: ids with the model's special tokens, segment ids, and the
/// positions of the mask tokens (in order). <see cref="TruncatedTokens"/> counts input tokens removed.
/// </summary>
public sealed record EncodedPattern(int[] InputIds, int[] TokenTypeIds, int[] MaskPositions, int TruncatedTokens);

/// <summary>
/// A PET pattern written as a readable template: <c>"{a} It was [MASK]."</c>,
/// <c>"{h}? [MASK], {p}"</c>, <c>"{a} [SEP] All in all, it was [MASK]."</c>. Placeholders in braces
/// are the example's fields (<see cref="PetExample.Field"/>), <c>[MASK]</c> (or <c>&lt;mask&gt;</c>) is
/// the slot the masked LM fills (write several consecutive ones for labels of several tokens, or let
/// the <see cref="Pvp"/> choose the count), <c>[SEP]</c> splits a pair, everything else is literal
/// text. Exactly one mask slot is allowed.
/// <para>
/// Encoding tokenizes each piece on its own, so truncation can shorten only the inputs: the literal
/// text and the masks always survive. White space in the template decides leading spaces, which
/// byte-level BPE (RoBERTa, GPT-2) folds into the next token (<c>" great"</c> is <c>Ġgreat</c>): an
/// input or mask written after a space gets one, the first piece of a sequence does not.
/// </para>
/// </summary>
public sealed class Pattern
{
    private static readonly Regex PieceRegex = new(
        @"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?<mods>[A-Za-z,]+))?\}|(?<mask>(?:\[MASK\]|<mask>)(?:\s*(?:\[MASK\]|<mask>))*)|(?<sep>\[SEP\])",
        RegexOptions.Compiled);
    private static readonly Regex MaskRegex = new(@"\[MASK\]|<mask>", RegexOptions.Compiled);

    /// <summary>The template as written.</summary>
    public string Template { get; }
    /// <summary>The parsed pieces, in order.</summary>
    public IReadOnlyList<PatternSegment> Segments { get; }
    /// <summary>The mask slot.</summary>
    public PatternSegment.Mask MaskSlot { get; }
    /// <summary>True when the template has a <c>[SEP]</c> (a two-sequence input).</summary>
    public bool IsPair { get; }
    /// <summary>Names of the fields the template uses, in order of appearance.</summary>
    public IReadOnlyList<string> FieldNames { get; }

    private Pattern(string template, List<PatternSegment> segments)
    {
        Template = template;
        Segments = segments;
        var masks = segments.OfType<PatternSegment.Mask>().ToList();
        if (masks.Count != 1)
            throw new ArgumentException(
                $"pattern \"{template}\" has {masks.Count} [MASK] slots; PET needs exactly one (write consecutive [MASK]s for a label of several tokens)",
                nameof(template));
        MaskSlot = masks[0];
        var seps = segments.Count(s => s is PatternSegment.Separator);
        if (seps > 1) throw new ArgumentException($"pattern \"{template}\" has {seps} [SEP]s; at most one (between the two sequences of a pair)", nameof(template));
        IsPair = seps == 1;
        FieldNames = segments.OfType<PatternSegment.Field>().Select(f => f.Name).Distinct().ToList();
        if (FieldNames.Count == 0) throw new ArgumentException($"pattern \"{template}\" has no input placeholder such as {{a}}", nameof(template));
    }

    /// <summary>Parses a template; throws <see cref="ArgumentException"/> naming the template and the problem.</summary>
    public static Pattern Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var segments = new List<PatternSegment>();
        int at = 0;
        foreach (Match m in PieceRegex.Matches(template))
        {
            var before = template[at..m.Index];
            at = m.Index + m.Length;
            bool leadingSpace = false;
            if (before.Length > 0)
            {
                var trimmed = before.TrimEnd();
                leadingSpace = trimmed.Length < before.Length;
                AddLiteral(segments, trimmed);
            }
            // White space only counts when something precedes it in the same sequence.
            bool startOfSequence = segments.Count == 0 || segments[^1] is PatternSegment.Separator;
            if (startOfSequence) leadingSpace = false;

            if (m.Groups["sep"].Success) segments.Add(new PatternSegment.Separator());
            else if (m.Groups["mask"].Success) segments.Add(new PatternSegment.Mask(MaskRegex.Matches(m.Value).Count, leadingSpace));
            else
            {
                bool noPunct = false, lowerFirst = false;
                if (m.Groups["mods"].Success)
                    foreach (var mod in m.Groups["mods"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        switch (mod)
                        {
                            case "nopunct": noPunct = true; break;
                            case "lowerfirst": lowerFirst = true; break;
                            default: throw new ArgumentException($"pattern \"{template}\": unknown modifier '{mod}' in {m.Value} (known: nopunct, lowerfirst)", nameof(template));
                        }
                    }
                segments.Add(new PatternSegment.Field(m.Groups["name"].Value, leadingSpace, noPunct, lowerFirst));
            }
        }
        if (at < template.Length) AddLiteral(segments, template[at..].TrimEnd());
        if (template.Contains('{') && !segments.OfType<PatternSegment.Field>().Any())
            throw new ArgumentException($"pattern \"{template}\": a brace does not form a placeholder such as {{a}} or {{h:nopunct}}", nameof(template));
        return new Pattern(template, segments);
    }

    private static void AddLiteral(List<PatternSegment> segments, string text)
    {
        bool startOfSequence = segments.Count == 0 || segments[^1] is PatternSegment.Separator;
        if (startOfSequence) text = text.TrimStart();
        if (text.Length > 0) segments.Add(new PatternSegment.Literal(text));
    }

    /// <summary>
    /// The text the model sees for <paramref name="example"/>, with <paramref name="maskToken"/> for
    /// each mask and <c>[SEP]</c> between the sequences of a pair (no truncation, for display).
    /// </summary>
    public string Render(PetExample example, string maskToken = "[MASK]", int? maskCount = null)
    {
        var sb = new StringBuilder();
        foreach (var seg in Segments)
        {
            switch (seg)
            {
                case PatternSegment.Literal l: sb.Append(l.Text); break;
                case PatternSegment.Field f: if (f.LeadingSpace) sb.Append(' '); sb.Append(FieldText(example, f)); break;
                case PatternSegment.Mask mk:
                    if (mk.LeadingSpace) sb.Append(' ');
                    sb.Append(string.Join(" ", Enumerable.Repeat(maskToken, maskCount ?? mk.Count)));
                    break;
                case PatternSegment.Separator: sb.Append(" [SEP] "); break;
            }
        }
        return sb.ToString();
    }

    private static string FieldText(PetExample example, PatternSegment.Field f)
    {
        var text = example.Field(f.Name).Trim();
        if (f.NoFinalPunctuation) text = text.TrimEnd('.', '!', '?', ',', ';', ':', ' ');
        if (f.LowerFirst && text.Length > 0) text = char.ToLowerInvariant(text[0]) + text[1..];
        return text;
    }

    /// <summary>
    /// Encodes <paramref name="example"/> for <paramref name="tokenizer"/>'s model with at most
    /// <paramref name="maxLength"/> ids (special tokens included). Inputs too long are shortened
    /// token by token from the end of the currently longest input; the literal text and the
    /// <paramref name="maskCount"/> masks (default: as many as the template writes) are never cut.
    /// Throws <see cref="InvalidOperationException"/> when even empty inputs do not fit, and when the
    /// tokenizer has no mask token.
    /// </summary>
    public EncodedPattern Encode(TextTokenizer tokenizer, PetExample example, int maxLength, int? maskCount = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var maskId = tokenizer.MaskTokenId ?? throw new InvalidOperationException(
            $"pattern \"{Template}\": the tokenizer has no mask token (a causal model?); PET needs a masked LM");
        int masks = maskCount ?? MaskSlot.Count;
        if (masks < 1) throw new ArgumentOutOfRangeException(nameof(maskCount), masks, "at least one mask");

        // parts[0] = first sequence, parts[1] = second; each part: token ids + whether it is an input.
        var parts = new List<(List<int> Ids, bool IsInput, bool IsMask)>[] { new(), new() };
        int seq = 0;
        foreach (var seg in Segments)
        {
            switch (seg)
            {
                case PatternSegment.Separator: seq = 1; break;
                case PatternSegment.Literal l:
                    parts[seq].Add((tokenizer.Encode(l.Text).ToList(), false, false));
                    break;
                case PatternSegment.Field f:
                {
                    var text = FieldText(example, f);
                    if (text.Length == 0) break;
                    if (f.LeadingSpace && tokenizer.IsByteLevel) text = " " + text;
                    parts[seq].Add((tokenizer.Encode(text).ToList(), true, false));
                    break;
                }
                case PatternSegment.Mask:
                    parts[seq].Add((Enumerable.Repeat(maskId, masks).ToList(), false, true));
                    break;
            }
        }

        var offsets = SpecialOffsets(tokenizer, IsPair);
        int total = offsets.Specials + parts.Sum(p => p.Sum(x => x.Ids.Count));
        int truncated = 0;
        while (total > maxLength)
        {
            // Longest input part; ties go to the later one (PET shortens the end first).
            List<int>? longest = null;
            foreach (var p in parts)
                foreach (var x in p)
                    if (x.IsInput && x.Ids.Count > 0 && (longest is null || x.Ids.Count >= longest.Count)) longest = x.Ids;
            if (longest is null)
                throw new InvalidOperationException(
                    $"pattern \"{Template}\" needs {total} tokens without any input text (mask count {masks}, special tokens {offsets.Specials}) but max length is {maxLength}");
            longest.RemoveAt(longest.Count - 1);
            total--; truncated++;
        }

        var a = parts[0].SelectMany(x => x.Ids).ToList();
        var b = IsPair ? parts[1].SelectMany(x => x.Ids).ToList() : null;
        var ids = tokenizer.BuildInputs(a, b).ToArray();
        var types = tokenizer.BuildTokenTypeIds(a, b).ToArray();

        // Mask positions from the part layout (input text that happens to contain a mask token cannot confuse them).
        var maskPositions = new List<int>();
        for (int s = 0; s < 2; s++)
        {
            int pos = s == 0 ? offsets.FirstStart : offsets.SecondStart + a.Count;
            foreach (var x in parts[s])
            {
                if (x.IsMask) for (int i = 0; i < x.Ids.Count; i++) maskPositions.Add(pos + i);
                pos += x.Ids.Count;
            }
        }
        return new EncodedPattern(ids, types, maskPositions.ToArray(), truncated);
    }

    private sealed record Offsets(int Specials, int FirstStart, int SecondStart);

    /// <summary>Where BuildInputs puts the sequences: found with sentinel ids, so no tokenizer kind is assumed.</summary>
    private static Offsets SpecialOffsets(TextTokenizer tokenizer, bool pair)
    {
        const int sa = -1001, sb = -1002;
        var built = tokenizer.BuildInputs(new[] { sa }, pair ? new[] { sb } : null);
        int first = IndexOf(built, sa);
        // SecondStart is relative: position of b's first id = SecondStart + a.Count.
        int second = pair ? IndexOf(built, sb) - 1 : 0;
        return new Offsets(built.Count - (pair ? 2 : 1), first, second);
    }

    private static int IndexOf(IReadOnlyList<int> xs, int v)
    {
        for (int i = 0; i < xs.Count; i++) if (xs[i] == v) return i;
        throw new InvalidOperationException("tokenizer's BuildInputs dropped an input id");
    }

    public override string ToString() => Template;
}
