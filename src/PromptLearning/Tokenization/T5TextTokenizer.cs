using System.Text.Json.Nodes;
using Google.Protobuf;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PromptLearning.Tokenization;

/// <summary>
/// T5's tokenizer (<c>transformers</c>' slow <c>T5Tokenizer</c>, legacy mode): the SentencePiece unigram
/// model <c>spiece.model</c> through Microsoft.ML.Tokenizers' <see cref="SentencePieceTokenizer"/> (which
/// reads unigram models with their normalizer since 2.0), plus <c>extra_ids</c> sentinels
/// <c>&lt;extra_id_N&gt;</c> numbered from the end of the vocabulary (<c>&lt;extra_id_0&gt;</c> = vocab size - 1).
/// Special tokens in the text (<c>&lt;pad&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>, sentinels) are kept
/// whole and swallow the whitespace around them, as the slow tokenizer does with string special tokens;
/// the text between them is encoded piece by piece. <see cref="BuildInputs"/> appends <c>&lt;/s&gt;</c>.
/// </summary>
public sealed class T5TextTokenizer : TextTokenizer
{
    /// <summary><c>transformers</c>' default number of sentinels when the folder does not say.</summary>
    public const int DefaultExtraIds = 100;

    readonly SentencePieceTokenizer _sp;
    readonly int _pieces;
    readonly string[] _idToToken;
    readonly Dictionary<string, int> _vocab;
    readonly HashSet<int> _specialIds;
    readonly Regex _specialSplit;

    /// <summary>The folder's settings this tokenizer was built with.</summary>
    public TokenizerConfig Settings { get; }
    /// <summary>The SentencePiece model file.</summary>
    public string ModelPath { get; }
    /// <summary>Number of <c>&lt;extra_id_N&gt;</c> sentinels after the SentencePiece pieces.</summary>
    public int ExtraIds { get; }

    /// <summary>Builds the tokenizer from <c>spiece.model</c> and the folder's settings.</summary>
    /// <param name="modelPath">The SentencePiece model protobuf.</param>
    /// <param name="settings">Special tokens (defaults <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>, <c>&lt;pad&gt;</c>).</param>
    /// <param name="extraIds">Sentinel count (<c>tokenizer_config.json</c>'s <c>extra_ids</c>, see <see cref="ReadExtraIds"/>).</param>
    /// <exception cref="InvalidDataException">The model file cannot be read, or a special token is not one of its pieces.</exception>
    public T5TextTokenizer(string modelPath, TokenizerConfig? settings = null, int extraIds = DefaultExtraIds)
    {
        if (extraIds < 0) throw new ArgumentOutOfRangeException(nameof(extraIds), extraIds, "extra_ids must not be negative.");
        ModelPath = modelPath;
        ExtraIds = extraIds;
        settings ??= new TokenizerConfig();
        Settings = settings with
        {
            TokenizerClass = settings.TokenizerClass ?? "T5Tokenizer",
            EosToken = settings.EosToken ?? new("</s>"),
            UnkToken = settings.UnkToken ?? new("<unk>"),
            PadToken = settings.PadToken ?? new("<pad>"),
        };
        try
        {
            using var stream = new MemoryStream(ReadModel(modelPath));
            _sp = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NotSupportedException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"SentencePiece model '{modelPath}' could not be read: {ex.Message}", ex);
        }

        _vocab = new Dictionary<string, int>(_sp.Vocabulary);
        _pieces = _vocab.Count == 0 ? 0 : _vocab.Values.Max() + 1;
        _idToToken = new string[_pieces + extraIds];
        foreach (var (piece, id) in _vocab) _idToToken[id] = piece;
        for (int i = 0; i < extraIds; i++)
        {
            var sentinel = $"<extra_id_{i}>";
            int id = _idToToken.Length - 1 - i;
            _idToToken[id] = sentinel;
            _vocab[sentinel] = id;
        }

        int Find(SpecialToken t, string field) => _vocab.TryGetValue(t.Content, out int id)
            ? id : throw new InvalidDataException($"SentencePiece model '{modelPath}' has no {field} '{t.Content}'.");
        EosTokenId = Find(Settings.EosToken!, "eos_token");
        UnkId = Find(Settings.UnkToken!, "unk_token");
        PadTokenId = Find(Settings.PadToken!, "pad_token");

        var specials = new List<string> { Settings.EosToken!.Content, Settings.UnkToken!.Content, Settings.PadToken!.Content };
        specials.AddRange(Enumerable.Range(0, extraIds).Select(i => $"<extra_id_{i}>"));
        specials.AddRange(Settings.AddedTokens.Values.Select(t => t.Content).Where(_vocab.ContainsKey));
        _specialIds = specials.Select(s => _vocab[s]).ToHashSet();
        _specialSplit = new Regex(@"\s*(" + string.Join("|", specials.Distinct().OrderByDescending(s => s.Length).Select(Regex.Escape)) + @")\s*", RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// The model file's bytes, made readable by Microsoft.ML.Tokenizers 2.0.1: its unigram model indexes its
    /// piece table with the trainer's <c>bos_id</c>, which T5's models set to -1 (no bos). Such a model gets a
    /// second <c>trainer_spec</c> appended (protobuf merges repeated messages, the last scalar wins) that makes
    /// bos the eos id and piece; this tokenizer never adds a bos, so nothing else changes.
    /// </summary>
    static byte[] ReadModel(string path)
    {
        var model = File.ReadAllBytes(path);
        int bos = 1, eos = 2;
        string eosPiece = "</s>";
        var top = new CodedInputStream(model);
        for (uint tag; (tag = top.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) != TrainerSpecField) { top.SkipLastField(); continue; }
            var spec = new CodedInputStream(top.ReadBytes().ToByteArray());
            for (uint t; (t = spec.ReadTag()) != 0;)
                switch (WireFormat.GetTagFieldNumber(t))
                {
                    case BosIdField: bos = spec.ReadInt32(); break;
                    case EosIdField: eos = spec.ReadInt32(); break;
                    case EosPieceField: eosPiece = spec.ReadString(); break;
                    default: spec.SkipLastField(); break;
                }
        }
        if (bos >= 0) return model;
        var patch = new MemoryStream();
        var specPatch = new MemoryStream();
        var s = new CodedOutputStream(specPatch);
        s.WriteTag(BosIdField, WireFormat.WireType.Varint);
        s.WriteInt32(eos);
        s.WriteTag(BosPieceField, WireFormat.WireType.LengthDelimited);
        s.WriteString(eosPiece);
        s.Flush();
        var o = new CodedOutputStream(patch);
        o.WriteTag(TrainerSpecField, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(specPatch.ToArray()));
        o.Flush();
        return [.. model, .. patch.ToArray()];
    }

    // Field numbers of sentencepiece_model.proto: ModelProto.trainer_spec and TrainerSpec's bos/eos fields.
    const int TrainerSpecField = 2, BosIdField = 41, EosIdField = 42, BosPieceField = 46, EosPieceField = 47;

    /// <summary>
    /// The sentinel count of a folder: <c>tokenizer_config.json</c>'s <c>extra_ids</c> when positive, else the
    /// number of <c>&lt;extra_id_N&gt;</c> among its <c>additional_special_tokens</c> when there are any, else
    /// <see cref="DefaultExtraIds"/> (as <c>T5Tokenizer</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed <c>tokenizer_config.json</c>, or one whose two fields disagree.</exception>
    public static int ReadExtraIds(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path)) return DefaultExtraIds;
        JsonObject cfg;
        try
        {
            cfg = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"Tokenizer file '{path}': expected a JSON object.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidDataException($"Tokenizer file '{path}': malformed JSON: {ex.Message}", ex);
        }
        int? extra = cfg["extra_ids"] is JsonValue v ? v.TryGetValue<int>(out int n) && n >= 0 ? n : throw new InvalidDataException($"Tokenizer file '{path}': field 'extra_ids' must be a non-negative integer.") : null;
        int sentinels = cfg["additional_special_tokens"] is JsonArray a
            ? a.Count(t => (t is JsonValue s && s.TryGetValue<string>(out var text) ? text : t?["content"]?.GetValue<string>())?.StartsWith("<extra_id_", StringComparison.Ordinal) == true)
            : 0;
        if (extra > 0 && sentinels > 0 && extra != sentinels)
            throw new InvalidDataException($"Tokenizer file '{path}': extra_ids is {extra} but additional_special_tokens holds {sentinels} <extra_id_N> tokens.");
        return extra > 0 ? extra.Value : sentinels > 0 ? sentinels : extra ?? DefaultExtraIds;
    }

    int UnkId { get; }

    /// <summary>SentencePiece pieces plus sentinels (<c>T5Tokenizer.vocab_size</c>).</summary>
    public override int VocabSize => _idToToken.Length;
    public override int PadTokenId { get; }
    public override int? MaskTokenId => null;
    public override string? MaskToken => null;
    public override int? BosTokenId => null;
    public override int? EosTokenId { get; }
    public override bool IsByteLevel => false;
    public override int? ModelMaxLength => Settings.ModelMaxLength;

    /// <summary>The id of <c>&lt;extra_id_<paramref name="index"/>&gt;</c> (vocab size - 1 - index).</summary>
    public int SentinelId(int index) => index >= 0 && index < ExtraIds
        ? VocabSize - 1 - index
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"This tokenizer has {ExtraIds} sentinels.");

    public override IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        int start = 0;
        foreach (Match m in _specialSplit.Matches(text))
        {
            EncodePieces(text[start..m.Index], ids);
            ids.Add(_vocab[m.Groups[1].Value]);
            start = m.Index + m.Length;
        }
        EncodePieces(text[start..], ids);
        return ids;
    }

    void EncodePieces(string chunk, List<int> ids)
    {
        if (chunk.Length > 0) ids.AddRange(_sp.EncodeToIds(chunk, addBeginningOfSentence: false, addEndOfSentence: false));
    }

    public override IReadOnlyList<string> Tokenize(string text) => Encode(text).Select(IdToToken).ToList();

    /// <summary>As <c>T5Tokenizer.convert_tokens_to_string</c>: pieces decoded by SentencePiece, special tokens written as they are (a space before each run of them), the result trimmed.</summary>
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var text = new System.Text.StringBuilder();
        var run = new List<int>();
        bool previousSpecial = false;
        foreach (int id in ids)
        {
            if (!_specialIds.Contains(id)) { run.Add(id); previousSpecial = false; continue; }
            if (skipSpecialTokens) continue;
            if (!previousSpecial) text.Append(' ');
            text.Append(DecodePieces(run)).Append(IdToToken(id));
            run.Clear();
            previousSpecial = true;
        }
        text.Append(DecodePieces(run));
        var result = text.ToString().Trim();
        return Settings.CleanUpTokenizationSpaces ?? true ? ByteLevelBpeTextTokenizer.CleanUp(result) : result;
    }

    string DecodePieces(List<int> run) => run.Count == 0 ? "" : _sp.Decode(run, considerSpecialTokens: false) ?? "";

    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    public override string IdToToken(int id) =>
        id >= 0 && id < _idToToken.Length ? _idToToken[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"No token with id {id} in '{ModelPath}' ({VocabSize} ids with {ExtraIds} sentinels).");

    /// <summary><c>a &lt;/s&gt;</c> and <c>a &lt;/s&gt; b &lt;/s&gt;</c> (no eos added where a text already ends with one, as <c>T5Tokenizer</c>).</summary>
    public override IReadOnlyList<int> BuildInputs(IReadOnlyList<int> a, IReadOnlyList<int>? b = null)
    {
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + 2);
        void Add(IReadOnlyList<int> part)
        {
            ids.AddRange(part);
            if (part.Count == 0 || part[^1] != EosTokenId) ids.Add(EosTokenId!.Value);
        }
        Add(a);
        if (b is not null) Add(b);
        return ids;
    }

    public override IReadOnlyList<int> BuildTokenTypeIds(IReadOnlyList<int> a, IReadOnlyList<int>? b = null) =>
        new int[BuildInputs(a, b).Count];

    /// <summary>Writes <c>spiece.model</c>, <c>tokenizer_config.json</c> (with <c>extra_ids</c> and the sentinels) and <c>special_tokens_map.json</c> into <paramref name="folder"/>.</summary>
    public override void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, "spiece.model");
        if (!SamePath(ModelPath, target))
            Checkpoints.AtomicFile.Write(target, s => { using var f = File.OpenRead(ModelPath); f.CopyTo(s); });
        Settings.Write(folder);
        var cfgPath = Path.Combine(folder, "tokenizer_config.json");
        var cfg = (JsonObject)JsonNode.Parse(File.ReadAllText(cfgPath))!;
        cfg["extra_ids"] = ExtraIds;
        cfg["additional_special_tokens"] = new JsonArray(Enumerable.Range(0, ExtraIds).Select(i => (JsonNode)JsonValue.Create($"<extra_id_{i}>")).ToArray());
        Checkpoints.AtomicFile.WriteText(cfgPath, cfg.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
