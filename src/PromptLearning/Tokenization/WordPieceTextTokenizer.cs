using Microsoft.ML.Tokenizers;

namespace PromptLearning.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer from a <c>vocab.txt</c> (one token per line, id = line number),
/// through Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>: basic tokenization (lower-casing and
/// accent stripping per <c>do_lower_case</c>/<c>strip_accents</c>, punctuation and CJK split), then
/// greedy longest-match WordPiece with <c>##</c> continuations. Special tokens in the text (e.g.
/// <c>[MASK]</c>) stay whole. Inputs are <c>[CLS] a [SEP] (b [SEP])</c>.
/// </summary>
public sealed class WordPieceTextTokenizer : TextTokenizer
{
    readonly BertTokenizer _bert;
    readonly Dictionary<string, int> _vocab;
    readonly string[] _idToToken;
    readonly HashSet<int> _specialIds;

    /// <summary>The folder's settings (special tokens, lower-casing) this tokenizer was built with.</summary>
    public TokenizerConfig Settings { get; }
    /// <summary>The <c>vocab.txt</c> this tokenizer reads.</summary>
    public string VocabPath { get; }

    /// <summary>Builds the tokenizer from <paramref name="vocabPath"/> and optional folder settings.</summary>
    /// <exception cref="InvalidDataException">The vocabulary lacks a special token the settings name.</exception>
    public WordPieceTextTokenizer(string vocabPath, TokenizerConfig? settings = null)
    {
        VocabPath = vocabPath;
        settings ??= new TokenizerConfig();
        Settings = settings with
        {
            TokenizerClass = settings.TokenizerClass ?? "BertTokenizer",
            UnkToken = settings.UnkToken ?? new("[UNK]"),
            SepToken = settings.SepToken ?? new("[SEP]"),
            PadToken = settings.PadToken ?? new("[PAD]"),
            ClsToken = settings.ClsToken ?? new("[CLS]"),
            MaskToken = settings.MaskToken ?? new("[MASK]"),
            DoLowerCase = settings.DoLowerCase ?? true,
        };

        var lines = File.ReadAllLines(vocabPath);
        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            var token = lines[i].TrimEnd('\r');
            if (token.Length == 0 && i == lines.Length - 1) break;
            _vocab.TryAdd(token, i);
        }
        foreach (var (id, t) in Settings.AddedTokens) _vocab.TryAdd(t.Content, id);
        _idToToken = new string[_vocab.Values.Max() + 1];
        foreach (var (t, id) in _vocab) _idToToken[id] ??= t;

        int Need(SpecialToken t, string field) => _vocab.TryGetValue(t.Content, out int id) ? id
            : throw new InvalidDataException($"Tokenizer vocabulary '{vocabPath}' has no {field} '{t.Content}'.");
        UnkId = Need(Settings.UnkToken!, "unk_token");
        SepId = Need(Settings.SepToken!, "sep_token");
        ClsId = Need(Settings.ClsToken!, "cls_token");
        PadTokenId = Need(Settings.PadToken!, "pad_token");
        MaskTokenId = Need(Settings.MaskToken!, "mask_token");
        _specialIds = new HashSet<int> { UnkId, SepId, ClsId, PadTokenId, MaskTokenId.Value };
        foreach (var id in Settings.AddedTokens.Keys) _specialIds.Add(id);

        bool lower = Settings.DoLowerCase!.Value;
        var specials = _specialIds.ToDictionary(id => _idToToken[id], id => id);
        using var stream = File.OpenRead(vocabPath);
        _bert = BertTokenizer.Create(stream, new BertOptions
        {
            LowerCaseBeforeTokenization = lower,
            RemoveNonSpacingMarks = Settings.StripAccents ?? lower,
            IndividuallyTokenizeCjk = Settings.TokenizeChineseChars ?? true,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = true,
            UnknownToken = Settings.UnkToken!.Content,
            SeparatorToken = Settings.SepToken!.Content,
            PaddingToken = Settings.PadToken!.Content,
            ClassificationToken = Settings.ClsToken!.Content,
            MaskingToken = Settings.MaskToken!.Content,
            SpecialTokens = specials,
        });
    }

    int UnkId { get; }
    int SepId { get; }
    int ClsId { get; }

    public override int VocabSize => _idToToken.Length;
    public override int PadTokenId { get; }
    public override int? MaskTokenId { get; }
    public override string? MaskToken => Settings.MaskToken!.Content;
    public override int? BosTokenId => ClsId;
    public override int? EosTokenId => SepId;
    public override bool IsByteLevel => false;
    public override int? ModelMaxLength => Settings.ModelMaxLength;

    public override IReadOnlyList<int> Encode(string text) =>
        _bert.EncodeToIds(text, addSpecialTokens: false);

    public override IReadOnlyList<string> Tokenize(string text) =>
        Encode(text).Select(IdToToken).ToList();

    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) =>
        _bert.Decode(skipSpecialTokens ? ids.Where(i => !_specialIds.Contains(i)) : ids, skipSpecialTokens: false) ?? "";

    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    public override string IdToToken(int id) =>
        id >= 0 && id < _idToToken.Length && _idToToken[id] is { } t ? t
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"No token with id {id} in '{VocabPath}' ({VocabSize} ids).");

    public override IReadOnlyList<int> BuildInputs(IReadOnlyList<int> a, IReadOnlyList<int>? b = null)
    {
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + 3) { ClsId };
        ids.AddRange(a);
        ids.Add(SepId);
        if (b is not null)
        {
            ids.AddRange(b);
            ids.Add(SepId);
        }
        return ids;
    }

    public override IReadOnlyList<int> BuildTokenTypeIds(IReadOnlyList<int> a, IReadOnlyList<int>? b = null) =>
        Enumerable.Repeat(0, a.Count + 2).Concat(b is null ? [] : Enumerable.Repeat(1, b.Count + 1)).ToList();

    /// <summary>Writes <c>vocab.txt</c>, <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> into <paramref name="folder"/>.</summary>
    public override void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, "vocab.txt");
        if (!SamePath(VocabPath, target))
            Checkpoints.AtomicFile.Write(target, s => { using var src = File.OpenRead(VocabPath); src.CopyTo(s); });
        Settings.Write(folder);
    }
}
