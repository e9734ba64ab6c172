using System.Globalization;
using System.Text;
using System.Text.Json;
using PromptLearning.Checkpoints;

namespace PromptLearning.Pretraining;

/// <summary>
/// Builds a BERT WordPiece vocabulary (<c>vocab.txt</c>) from a corpus, as the <c>tokenizers</c>
/// library's WordPiece trainer: BERT's basic tokenisation (lower case, accents stripped,
/// punctuation split), then frequency-ranked merges of characters where non-initial pieces carry
/// the <c>##</c> prefix. Layout: <c>[PAD] [UNK] [CLS] [SEP] [MASK]</c> (ids 0-4), every character
/// seen (alone and as <c>##c</c>), then the merged words and pieces in merge order. The files are
/// those <c>BertTokenizer.save_pretrained</c> writes, so any BERT WordPiece tokenizer reads them.
/// </summary>
public static class WordPieceVocabBuilder
{
    /// <summary>The special tokens, in id order.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };

    /// <summary>
    /// The vocabulary (id order) for <paramref name="texts"/>: at most <paramref name="vocabSize"/>
    /// entries; merges stop early when no pair occurs <paramref name="minFrequency"/> times.
    /// </summary>
    public static List<string> Build(IEnumerable<string> texts, int vocabSize, int minFrequency = 2)
    {
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var w in BasicTokenize(text))
                wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;

        var merger = new BpeMerger((a, b) => a + (b.StartsWith("##", StringComparison.Ordinal) ? b[2..] : b));
        // Initial alphabet in a fixed order: each character (sorted) alone and as a continuation.
        var chars = wordCounts.Keys.SelectMany(w => w.EnumerateRunes()).Select(r => r.ToString()).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        foreach (var c in chars) merger.Symbol(c);
        foreach (var c in chars) merger.Symbol("##" + c);
        foreach (var (word, count) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (word.Length > MaxWordChars) continue; // BERT maps these to [UNK] anyway
            merger.AddWord(word.EnumerateRunes().Select((r, i) => i == 0 ? r.ToString() : "##" + r), count);
        }
        var budget = vocabSize - SpecialTokens.Count - merger.Symbols.Count;
        if (budget < 0)
            throw new ArgumentException($"vocabSize {vocabSize} is smaller than the {SpecialTokens.Count} special tokens + {merger.Symbols.Count} characters of the corpus", nameof(vocabSize));
        merger.Merge(budget, minFrequency);
        var vocab = SpecialTokens.Concat(merger.Symbols).Distinct(StringComparer.Ordinal).ToList();
        return vocab;
    }

    /// <summary>BERT's word limit: longer words become [UNK].</summary>
    public const int MaxWordChars = 100;

    /// <summary>
    /// BERT's basic tokenizer (<c>do_lower_case=True</c>): control characters removed, whitespace
    /// split, lower case, accents stripped (NFD, marks removed), every punctuation character its own word.
    /// </summary>
    public static IEnumerable<string> BasicTokenize(string text)
    {
        var sb = new StringBuilder();
        foreach (var raw in text.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            var cat = char.GetUnicodeCategory(raw);
            if (cat == UnicodeCategory.NonSpacingMark) continue;
            if (raw == '\0' || raw == '\uFFFD' || (char.IsControl(raw) && !char.IsWhiteSpace(raw))) continue;
            if (char.IsWhiteSpace(raw)) { if (sb.Length > 0) { yield return sb.ToString(); sb.Clear(); } continue; }
            if (IsPunctuation(raw))
            {
                if (sb.Length > 0) { yield return sb.ToString(); sb.Clear(); }
                yield return raw.ToString();
                continue;
            }
            sb.Append(raw);
        }
        if (sb.Length > 0) yield return sb.ToString();
    }

    /// <summary>BERT's punctuation test: ASCII non-alphanumeric symbols or any Unicode P* category.</summary>
    public static bool IsPunctuation(char c)
    {
        if (c is >= '!' and <= '/' or >= ':' and <= '@' or >= '[' and <= '`' or >= '{' and <= '~') return true;
        return char.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>
    /// Writes <c>vocab.txt</c>, <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> into
    /// <paramref name="folder"/> as <c>BertTokenizer.save_pretrained</c> does.
    /// </summary>
    public static void Save(IReadOnlyList<string> vocab, string folder, int modelMaxLength)
    {
        for (int i = 0; i < SpecialTokens.Count; i++)
            if (vocab.Count <= i || vocab[i] != SpecialTokens[i])
                throw new ArgumentException($"vocab: entry {i} must be {SpecialTokens[i]}", nameof(vocab));
        Directory.CreateDirectory(folder);
        AtomicFile.WriteText(Path.Combine(folder, "vocab.txt"), string.Concat(vocab.Select(t => t + "\n")));
        var addedTokens = new Dictionary<string, object>();
        for (int i = 0; i < SpecialTokens.Count; i++)
            addedTokens[i.ToString(CultureInfo.InvariantCulture)] = new Dictionary<string, object>
            {
                ["content"] = SpecialTokens[i], ["lstrip"] = false, ["normalized"] = false,
                ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
            };
        var config = new Dictionary<string, object?>
        {
            ["added_tokens_decoder"] = addedTokens,
            ["clean_up_tokenization_spaces"] = true,
            ["cls_token"] = "[CLS]",
            ["do_basic_tokenize"] = true,
            ["do_lower_case"] = true,
            ["mask_token"] = "[MASK]",
            ["model_max_length"] = modelMaxLength,
            ["never_split"] = null,
            ["pad_token"] = "[PAD]",
            ["sep_token"] = "[SEP]",
            ["strip_accents"] = null,
            ["tokenize_chinese_chars"] = true,
            ["tokenizer_class"] = "BertTokenizer",
            ["unk_token"] = "[UNK]",
        };
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cls_token"] = "[CLS]", ["mask_token"] = "[MASK]", ["pad_token"] = "[PAD]", ["sep_token"] = "[SEP]", ["unk_token"] = "[UNK]",
        };
        AtomicFile.WriteText(Path.Combine(folder, "tokenizer_config.json"), TokenizerFiles.Json(config));
        AtomicFile.WriteText(Path.Combine(folder, "special_tokens_map.json"), TokenizerFiles.Json(map));
    }
}
