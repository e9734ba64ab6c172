using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PromptLearning.Checkpoints;

namespace PromptLearning.Pretraining;

/// <summary>A byte-level BPE vocabulary: tokens in id order and merges in rank order.</summary>
public sealed record ByteLevelBpeVocab(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges)
{
    /// <summary>GPT-2's end-of-text token, the last id.</summary>
    public const string EndOfText = "<|endoftext|>";
    /// <summary>Id of <see cref="EndOfText"/> in a GPT-2 vocabulary.</summary>
    public int EndOfTextId => Tokens.Count - 1;
    /// <summary>BART's (and RoBERTa's) special tokens in front of the byte symbols, ids 0-3: <c>&lt;s&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>.</summary>
    public static readonly IReadOnlyList<string> BartLeadingTokens = ["<s>", "<pad>", "</s>", "<unk>"];
    /// <summary>BART's mask token, the last id.</summary>
    public const string BartMask = "<mask>";
}

/// <summary>
/// Builds a GPT-2 byte-level BPE vocabulary from a corpus, as GPT-2's own files are laid out:
/// <c>vocab.json</c> holds the 256 byte symbols (GPT-2's byte-to-unicode map, in its order), then
/// one token per merge, then <c>&lt;|endoftext|&gt;</c>; <c>merges.txt</c> starts with
/// <c>#version: 0.2</c>. Words come from GPT-2's pre-tokenisation regex (a leading space stays with
/// the word, shown as <c>Ġ</c>).
/// </summary>
public static class ByteLevelBpeBuilder
{
    /// <summary>GPT-2's pre-tokenisation pattern.</summary>
    public static readonly Regex PreTokenizer = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    private static readonly (byte[] Bytes, char[] Chars) Table = BuildTable();

    /// <summary>GPT-2's <c>bytes_to_unicode</c>: the printable bytes map to themselves, the rest to U+0100 onwards; in GPT-2's order.</summary>
    public static IReadOnlyList<(byte Byte, char Char)> ByteToUnicode =>
        Table.Bytes.Zip(Table.Chars, (b, c) => (b, c)).ToList();

    private static (byte[], char[]) BuildTable()
    {
        var bs = new List<int>();
        for (int b = '!'; b <= '~'; b++) bs.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.Add(b);
        var cs = bs.ToList();
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!bs.Contains(b)) { bs.Add(b); cs.Add(256 + n); n++; }
        return (bs.Select(b => (byte)b).ToArray(), cs.Select(c => (char)c).ToArray());
    }

    private static readonly char[] ByteChar = BuildByteChar();

    private static char[] BuildByteChar()
    {
        var map = new char[256];
        for (int i = 0; i < 256; i++) map[Table.Bytes[i]] = Table.Chars[i];
        return map;
    }

    /// <summary>The byte-level form of a pre-token: each UTF-8 byte as its GPT-2 unicode character.</summary>
    public static string ToByteLevel(string word) => new(Encoding.UTF8.GetBytes(word).Select(b => ByteChar[b]).ToArray());

    /// <summary>
    /// The vocabulary for <paramref name="texts"/>: 256 byte symbols, merges until
    /// <paramref name="vocabSize"/> tokens (including <c>&lt;|endoftext|&gt;</c>) or no pair occurs
    /// <paramref name="minFrequency"/> times, then <c>&lt;|endoftext|&gt;</c>.
    /// </summary>
    public static ByteLevelBpeVocab Build(IEnumerable<string> texts, int vocabSize, int minFrequency = 2)
    {
        if (vocabSize < 257) throw new ArgumentException($"vocabSize {vocabSize} must be at least 257 (256 bytes + <|endoftext|>)", nameof(vocabSize));
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in PreTokenizer.Matches(text))
            {
                var w = ToByteLevel(m.Value);
                wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
            }
        var merger = new BpeMerger((a, b) => a + b);
        foreach (var c in Table.Chars) merger.Symbol(c.ToString());
        foreach (var (word, count) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            merger.AddWord(word.Select(c => c.ToString()), count);
        var merges = merger.Merge(vocabSize - 257, minFrequency);
        var tokens = merger.Symbols.ToList();
        tokens.Add(ByteLevelBpeVocab.EndOfText);
        return new ByteLevelBpeVocab(tokens, merges);
    }

    /// <summary>
    /// A BART vocabulary for <paramref name="texts"/>, laid out as <c>facebook/bart-base</c>'s: <c>&lt;s&gt;</c>=0,
    /// <c>&lt;pad&gt;</c>=1, <c>&lt;/s&gt;</c>=2, <c>&lt;unk&gt;</c>=3, the 256 byte symbols, one token per merge
    /// (until <paramref name="vocabSize"/> tokens in all), then <c>&lt;mask&gt;</c>.
    /// </summary>
    public static ByteLevelBpeVocab BuildBart(IEnumerable<string> texts, int vocabSize, int minFrequency = 2)
    {
        int specials = ByteLevelBpeVocab.BartLeadingTokens.Count + 1;
        if (vocabSize < 256 + specials) throw new ArgumentException($"vocabSize {vocabSize} must be at least {256 + specials} (256 bytes + {specials} special tokens)", nameof(vocabSize));
        var gpt2 = Build(texts, vocabSize - specials + 1, minFrequency);
        var tokens = ByteLevelBpeVocab.BartLeadingTokens.Concat(gpt2.Tokens.Take(gpt2.Tokens.Count - 1)).Append(ByteLevelBpeVocab.BartMask).ToList();
        return new ByteLevelBpeVocab(tokens, gpt2.Merges);
    }

    /// <summary>
    /// Writes a <see cref="BuildBart"/> vocabulary as <c>BartTokenizer.save_pretrained</c> does: <c>vocab.json</c>
    /// (keys sorted), <c>merges.txt</c>, <c>tokenizer_config.json</c> (<c>BartTokenizer</c>, no prefix space) and
    /// <c>special_tokens_map.json</c> (bos/cls <c>&lt;s&gt;</c>, eos/sep <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>,
    /// <c>&lt;pad&gt;</c>, and <c>&lt;mask&gt;</c> with lstrip).
    /// </summary>
    public static void SaveBart(ByteLevelBpeVocab vocab, string folder, int modelMaxLength)
    {
        if (!vocab.Tokens.Take(4).SequenceEqual(ByteLevelBpeVocab.BartLeadingTokens) || vocab.Tokens[^1] != ByteLevelBpeVocab.BartMask)
            throw new ArgumentException("vocab: not a BART vocabulary (<s> <pad> </s> <unk> first, <mask> last); build it with BuildBart", nameof(vocab));
        SaveVocab(vocab, folder);
        var tokens = new (string Key, string Content)[]
        {
            ("bos_token", "<s>"), ("cls_token", "<s>"), ("eos_token", "</s>"), ("mask_token", ByteLevelBpeVocab.BartMask),
            ("pad_token", "<pad>"), ("sep_token", "</s>"), ("unk_token", "<unk>"),
        };
        Dictionary<string, object> Token(string content, bool special) => new()
        {
            ["content"] = content, ["lstrip"] = content == ByteLevelBpeVocab.BartMask, ["normalized"] = false,
            ["rstrip"] = false, ["single_word"] = false, ["special"] = special,
        };
        var specialIds = Enumerable.Range(0, ByteLevelBpeVocab.BartLeadingTokens.Count).Append(vocab.Tokens.Count - 1);
        var config = new Dictionary<string, object?>
        {
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = specialIds.ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), i => (object)Token(vocab.Tokens[i], true)),
        };
        foreach (var (key, content) in tokens) config[key] = content;
        config["clean_up_tokenization_spaces"] = true;
        config["errors"] = "replace";
        config["model_max_length"] = modelMaxLength;
        config["tokenizer_class"] = "BartTokenizer";
        var sorted = new SortedDictionary<string, object?>(config, StringComparer.Ordinal);
        var map = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, content) in tokens)
        {
            var t = Token(content, false);
            t.Remove("special");
            map[key] = t;
        }
        AtomicFile.WriteText(Path.Combine(folder, "tokenizer_config.json"), TokenizerFiles.Json(sorted));
        AtomicFile.WriteText(Path.Combine(folder, "special_tokens_map.json"), TokenizerFiles.Json(map));
    }

    private static void SaveVocab(ByteLevelBpeVocab vocab, string folder)
    {
        Directory.CreateDirectory(folder);
        var encoder = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocab.Tokens.Count; i++)
            if (!encoder.TryAdd(vocab.Tokens[i], i))
                throw new ArgumentException($"vocab: token '{vocab.Tokens[i]}' appears twice (ids {encoder[vocab.Tokens[i]]} and {i})", nameof(vocab));
        AtomicFile.WriteText(Path.Combine(folder, "vocab.json"), TokenizerFiles.Json(encoder));
        AtomicFile.WriteText(Path.Combine(folder, "merges.txt"),
            "#version: 0.2\n" + string.Concat(vocab.Merges.Select(m => m.Left + " " + m.Right + "\n")));
    }

    /// <summary>
    /// Writes <c>vocab.json</c> (keys sorted, as <c>GPT2Tokenizer.save_pretrained</c>), <c>merges.txt</c>,
    /// <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> into <paramref name="folder"/>.
    /// </summary>
    public static void Save(ByteLevelBpeVocab vocab, string folder, int modelMaxLength)
    {
        SaveVocab(vocab, folder);
        var eot = ByteLevelBpeVocab.EndOfText;
        var config = new Dictionary<string, object?>
        {
            ["add_bos_token"] = false,
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = new Dictionary<string, object>
            {
                [vocab.EndOfTextId.ToString(CultureInfo.InvariantCulture)] = new Dictionary<string, object>
                {
                    ["content"] = eot, ["lstrip"] = false, ["normalized"] = true,
                    ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
                },
            },
            ["bos_token"] = eot,
            ["clean_up_tokenization_spaces"] = true,
            ["eos_token"] = eot,
            ["errors"] = "replace",
            ["model_max_length"] = modelMaxLength,
            ["pad_token"] = null,
            ["tokenizer_class"] = "GPT2Tokenizer",
            ["unk_token"] = eot,
        };
        Dictionary<string, object> Special() => new()
        {
            ["content"] = eot, ["lstrip"] = false, ["normalized"] = true, ["rstrip"] = false, ["single_word"] = false,
        };
        var map = new Dictionary<string, object> { ["bos_token"] = Special(), ["eos_token"] = Special(), ["unk_token"] = Special() };
        AtomicFile.WriteText(Path.Combine(folder, "tokenizer_config.json"), TokenizerFiles.Json(config));
        AtomicFile.WriteText(Path.Combine(folder, "special_tokens_map.json"), TokenizerFiles.Json(map));
    }
}
