using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PromptLearning.Tokenization;

/// <summary>Where a byte-level BPE model puts its special tokens.</summary>
public enum ByteLevelStyle
{
    /// <summary>GPT-2: nothing added (or a leading bos with <c>add_bos_token</c>); <c>&lt;|endoftext|&gt;</c> is bos = eos = unk, and pad when none is given.</summary>
    Gpt2,
    /// <summary>RoBERTa: <c>&lt;s&gt; a &lt;/s&gt;</c> and <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>, with a <c>&lt;mask&gt;</c> that swallows the space before it.</summary>
    Roberta,
}

/// <summary>
/// GPT-2 / RoBERTa byte-level BPE from <c>vocab.json</c> + <c>merges.txt</c>, through
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> in byte-level mode (GPT-2's byte-to-unicode map
/// and merge ranks) with GPT-2's regex pre-tokenisation. Special tokens in the text are kept whole; those with
/// <c>lstrip</c>/<c>rstrip</c> swallow the adjacent whitespace, as in <c>transformers</c>.
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : TextTokenizer
{
    /// <summary>GPT-2's pre-tokenisation pattern (contractions, letters, digits, other, whitespace).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    readonly BpeTokenizer _bpe;
    readonly Dictionary<string, int> _vocab;
    readonly string?[] _idToToken;
    readonly HashSet<int> _specialIds;
    readonly Regex? _strip;
    readonly bool _addPrefixSpace;

    /// <summary>The folder's settings this tokenizer was built with.</summary>
    public TokenizerConfig Settings { get; }
    /// <summary>GPT-2 or RoBERTa conventions.</summary>
    public ByteLevelStyle Style { get; }
    public string VocabPath { get; }
    public string MergesPath { get; }

    /// <summary>Builds the tokenizer from the two files and optional folder settings.</summary>
    /// <exception cref="InvalidDataException">A file is malformed, or a special token is missing from the vocabulary.</exception>
    public ByteLevelBpeTextTokenizer(string vocabPath, string mergesPath, ByteLevelStyle style, TokenizerConfig? settings = null)
    {
        VocabPath = vocabPath;
        MergesPath = mergesPath;
        Style = style;
        settings ??= new TokenizerConfig();
        Settings = style == ByteLevelStyle.Roberta
            ? settings with
            {
                TokenizerClass = settings.TokenizerClass ?? "RobertaTokenizer",
                BosToken = settings.BosToken ?? new("<s>"),
                EosToken = settings.EosToken ?? new("</s>"),
                SepToken = settings.SepToken ?? new("</s>"),
                ClsToken = settings.ClsToken ?? new("<s>"),
                UnkToken = settings.UnkToken ?? new("<unk>"),
                PadToken = settings.PadToken ?? new("<pad>"),
                MaskToken = settings.MaskToken ?? new("<mask>", LStrip: true),
            }
            : settings with
            {
                TokenizerClass = settings.TokenizerClass ?? "GPT2Tokenizer",
                BosToken = settings.BosToken ?? new("<|endoftext|>"),
                EosToken = settings.EosToken ?? new("<|endoftext|>"),
                UnkToken = settings.UnkToken ?? new("<|endoftext|>"),
            };
        _addPrefixSpace = Settings.AddPrefixSpace ?? false;

        _vocab = ReadVocab(vocabPath);
        foreach (var (id, t) in Settings.AddedTokens) _vocab.TryAdd(t.Content, id);
        _idToToken = new string?[_vocab.Values.Max() + 1];
        foreach (var (t, id) in _vocab) _idToToken[id] ??= t;

        int? Find(SpecialToken? t, string field, bool required)
        {
            if (t is null) return null;
            if (_vocab.TryGetValue(t.Content, out int id)) return id;
            return required ? throw new InvalidDataException($"Tokenizer vocabulary '{vocabPath}' has no {field} '{t.Content}'.") : null;
        }
        BosTokenId = Find(Settings.BosToken, "bos_token", true);
        EosTokenId = Find(Settings.EosToken, "eos_token", true);
        UnkId = Find(Settings.UnkToken, "unk_token", true)!.Value;
        SepId = Find(Settings.SepToken, "sep_token", style == ByteLevelStyle.Roberta);
        ClsId = Find(Settings.ClsToken, "cls_token", style == ByteLevelStyle.Roberta);
        MaskTokenId = Find(Settings.MaskToken, "mask_token", style == ByteLevelStyle.Roberta);
        PadTokenId = Find(Settings.PadToken, "pad_token", style == ByteLevelStyle.Roberta) ?? EosTokenId!.Value;

        var specialTokens = new List<SpecialToken>(Settings.AddedTokens.Values);
        foreach (var t in new[] { Settings.BosToken, Settings.EosToken, Settings.UnkToken, Settings.SepToken, Settings.ClsToken, Settings.PadToken, Settings.MaskToken })
            if (t is not null && _vocab.ContainsKey(t.Content) && !specialTokens.Any(s => s.Content == t.Content)) specialTokens.Add(t);
        var specials = specialTokens.DistinctBy(s => s.Content).ToDictionary(s => s.Content, s => _vocab[s.Content]);
        _specialIds = specials.Values.ToHashSet();
        _strip = StripPattern(specialTokens);

        var pre = new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), specials);
        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(vocabPath, mergesPath)
            {
                ByteLevel = true,
                PreTokenizer = pre,
                SpecialTokens = specials,
                UnknownToken = Settings.UnkToken!.Content,
            });
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"Tokenizer files '{vocabPath}' / '{mergesPath}' could not be read: {ex.Message}", ex);
        }
    }

    int UnkId { get; }
    int? SepId { get; }
    int? ClsId { get; }

    public override int VocabSize => _idToToken.Length;
    public override int PadTokenId { get; }
    public override int? MaskTokenId { get; }
    public override string? MaskToken => MaskTokenId is null ? null : Settings.MaskToken!.Content;
    public override int? BosTokenId { get; }
    public override int? EosTokenId { get; }
    public override bool IsByteLevel => true;
    public override int? ModelMaxLength => Settings.ModelMaxLength;

    /// <remarks>With <c>add_prefix_space</c>, a text that does not start with whitespace gets a leading space (as <c>transformers</c>).</remarks>
    public override IReadOnlyList<int> Encode(string text) =>
        _bpe.EncodeToIds(_addPrefixSpace && text.Length > 0 && !char.IsWhiteSpace(text[0]) ? " " + Strip(text) : Strip(text));

    public override IReadOnlyList<string> Tokenize(string text) => Encode(text).Select(IdToToken).ToList();

    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var text = _bpe.Decode(skipSpecialTokens ? ids.Where(i => !_specialIds.Contains(i)) : ids, considerSpecialTokens: true) ?? "";
        return Settings.CleanUpTokenizationSpaces ?? true ? CleanUp(text) : text;
    }

    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    public override string IdToToken(int id) =>
        id >= 0 && id < _idToToken.Length && _idToToken[id] is { } t ? t
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"No token with id {id} in '{VocabPath}' ({VocabSize} ids).");

    public override IReadOnlyList<int> BuildInputs(IReadOnlyList<int> a, IReadOnlyList<int>? b = null)
    {
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + 4);
        if (Style == ByteLevelStyle.Roberta)
        {
            ids.Add(ClsId!.Value); ids.AddRange(a); ids.Add(SepId!.Value);
            if (b is not null) { ids.Add(SepId.Value); ids.AddRange(b); ids.Add(SepId.Value); }
            return ids;
        }
        bool bos = Settings.AddBosToken ?? false;
        if (bos) ids.Add(BosTokenId!.Value);
        ids.AddRange(a);
        if (b is not null)
        {
            if (bos) ids.Add(BosTokenId!.Value);
            ids.AddRange(b);
        }
        return ids;
    }

    public override IReadOnlyList<int> BuildTokenTypeIds(IReadOnlyList<int> a, IReadOnlyList<int>? b = null) =>
        new int[BuildInputs(a, b).Count];

    /// <summary>Writes <c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> into <paramref name="folder"/>.</summary>
    public override void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (src, name) in new[] { (VocabPath, "vocab.json"), (MergesPath, "merges.txt") })
        {
            var target = Path.Combine(folder, name);
            if (!SamePath(src, target))
                Checkpoints.AtomicFile.Write(target, s => { using var f = File.OpenRead(src); f.CopyTo(s); });
        }
        Settings.Write(folder);
    }

    string Strip(string text) =>
        _strip is null ? text : _strip.Replace(text, m => m.Groups["tok"].Value);

    /// <summary>One regex that removes the whitespace an lstrip/rstrip token swallows.</summary>
    static Regex? StripPattern(IEnumerable<SpecialToken> tokens)
    {
        var parts = tokens.Where(t => t.LStrip || t.RStrip)
            .Select(t => (t.LStrip ? @"\s*" : "") + "(?<tok>" + Regex.Escape(t.Content) + ")" + (t.RStrip ? @"\s*" : ""))
            .ToList();
        return parts.Count == 0 ? null : new Regex(string.Join("|", parts), RegexOptions.CultureInvariant);
    }

    /// <summary><c>transformers</c>' <c>clean_up_tokenization</c>: no space before punctuation and English contractions.</summary>
    internal static string CleanUp(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");

    static Dictionary<string, int> ReadVocab(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"Tokenizer vocabulary '{path}': expected a JSON object of token -> id.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Tokenizer vocabulary '{path}': malformed JSON ({ex.Message}).", ex);
        }
    }
}
