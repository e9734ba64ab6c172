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
    /// <summary>Id of <see cref="EndOfText"/>.</summary>
    public int EndOfTextId => Tokens.Count - 1;
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
    /// Writes <c>vocab.json</c> (keys sorted, as <c>GPT2Tokenizer.save_pretrained</c>), <c>merges.txt</c>,
    /// <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> into <paramref name="folder"/>.
    /// </summary>
    public static void Save(ByteLevelBpeVocab vocab, string folder, int modelMaxLength)
    {
        Directory.CreateDirectory(folder);
        var encoder = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocab.Tokens.Count; i++)
            if (!encoder.TryAdd(vocab.Tokens[i], i))
                throw new ArgumentException($"vocab: token '{vocab.Tokens[i]}' appears twice (ids {encoder[vocab.Tokens[i]]} and {i})", nameof(vocab));
        AtomicFile.WriteText(Path.Combine(folder, "vocab.json"), TokenizerFiles.Json(encoder));
        AtomicFile.WriteText(Path.Combine(folder, "merges.txt"),
            "#version: 0.2\n" + string.Concat(vocab.Merges.Select(m => m.Left + " " + m.Right + "\n")));
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
