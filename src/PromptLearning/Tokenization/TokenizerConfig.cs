using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Checkpoints;

namespace PromptLearning.Tokenization;

/// <summary>A special or added token and how it matches text (as <c>transformers</c>' <c>AddedToken</c>).</summary>
/// <param name="Content">The token text, e.g. <c>&lt;mask&gt;</c>.</param>
/// <param name="LStrip">Swallows the whitespace before it (RoBERTa's <c>&lt;mask&gt;</c>).</param>
/// <param name="RStrip">Swallows the whitespace after it.</param>
public sealed record SpecialToken(string Content, bool LStrip = false, bool RStrip = false);

/// <summary>
/// The tokenizer settings of a Hugging Face folder: <c>tokenizer_config.json</c> merged with
/// <c>special_tokens_map.json</c> (whose entries win) and <c>added_tokens.json</c>. Every file is
/// optional; absent settings stay null so each tokenizer can apply its own defaults.
/// </summary>
public sealed record TokenizerConfig
{
    /// <summary>e.g. <c>BertTokenizer</c>, <c>RobertaTokenizer</c>, <c>GPT2Tokenizer</c>.</summary>
    public string? TokenizerClass { get; init; }
    public SpecialToken? BosToken { get; init; }
    public SpecialToken? EosToken { get; init; }
    public SpecialToken? UnkToken { get; init; }
    public SpecialToken? SepToken { get; init; }
    public SpecialToken? PadToken { get; init; }
    public SpecialToken? ClsToken { get; init; }
    public SpecialToken? MaskToken { get; init; }
    /// <summary>Tokens added on top of the vocabulary file, by id (<c>added_tokens_decoder</c>, <c>added_tokens.json</c>).</summary>
    public IReadOnlyDictionary<int, SpecialToken> AddedTokens { get; init; } = new Dictionary<int, SpecialToken>();
    public bool? DoLowerCase { get; init; }
    public bool? StripAccents { get; init; }
    public bool? TokenizeChineseChars { get; init; }
    public bool? AddPrefixSpace { get; init; }
    public bool? AddBosToken { get; init; }
    public bool? CleanUpTokenizationSpaces { get; init; }
    /// <summary>Longest input the model takes; null when the file gives none (or HF's "very large" sentinel).</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>Reads the tokenizer files of <paramref name="folder"/> (any may be absent).</summary>
    /// <exception cref="InvalidDataException">A file is malformed; the message names the file and the field.</exception>
    public static TokenizerConfig Read(string folder)
    {
        var config = new TokenizerConfig();
        var cfgPath = Path.Combine(folder, "tokenizer_config.json");
        var mapPath = Path.Combine(folder, "special_tokens_map.json");
        var addedPath = Path.Combine(folder, "added_tokens.json");
        var cfg = File.Exists(cfgPath) ? ReadObject(cfgPath) : null;
        var map = File.Exists(mapPath) ? ReadObject(mapPath) : null;

        var added = new Dictionary<int, SpecialToken>();
        if (File.Exists(addedPath))
            foreach (var (token, id) in ReadObject(addedPath))
                added[Int(id, addedPath, token) ?? throw new InvalidDataException($"Tokenizer file '{addedPath}': field '{token}' must be an integer id.")] = new SpecialToken(token);
        if (cfg?["added_tokens_decoder"] is JsonObject decoder)
            foreach (var (idText, node) in decoder)
            {
                if (!int.TryParse(idText, out int id))
                    throw new InvalidDataException($"Tokenizer file '{cfgPath}': added_tokens_decoder key '{idText}' is not an integer id.");
                added[id] = Token(node, cfgPath, $"added_tokens_decoder.{idText}")!;
            }

        SpecialToken? Special(string key) =>
            Token(map?[key], mapPath, key) is { } fromMap ? Resolve(fromMap, added)
            : Token(cfg?[key], cfgPath, key) is { } fromCfg ? Resolve(fromCfg, added)
            : null;

        int? maxLen = cfg?["model_max_length"] is JsonValue v && v.TryGetValue<double>(out double d) && d < int.MaxValue ? (int)d : null;
        return config with
        {
            TokenizerClass = Str(cfg?["tokenizer_class"], cfgPath, "tokenizer_class"),
            BosToken = Special("bos_token"),
            EosToken = Special("eos_token"),
            UnkToken = Special("unk_token"),
            SepToken = Special("sep_token"),
            PadToken = Special("pad_token"),
            ClsToken = Special("cls_token"),
            MaskToken = Special("mask_token"),
            AddedTokens = added,
            DoLowerCase = Bool(cfg?["do_lower_case"], cfgPath, "do_lower_case"),
            StripAccents = Bool(cfg?["strip_accents"], cfgPath, "strip_accents"),
            TokenizeChineseChars = Bool(cfg?["tokenize_chinese_chars"], cfgPath, "tokenize_chinese_chars"),
            AddPrefixSpace = Bool(cfg?["add_prefix_space"], cfgPath, "add_prefix_space"),
            AddBosToken = Bool(cfg?["add_bos_token"], cfgPath, "add_bos_token"),
            CleanUpTokenizationSpaces = Bool(cfg?["clean_up_tokenization_spaces"], cfgPath, "clean_up_tokenization_spaces"),
            ModelMaxLength = maxLen,
        };
    }

    /// <summary>Writes <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> into <paramref name="folder"/> (atomically).</summary>
    public void Write(string folder)
    {
        var cfg = new JsonObject();
        var map = new JsonObject();
        if (TokenizerClass is not null) cfg["tokenizer_class"] = TokenizerClass;
        if (AddedTokens.Count > 0)
        {
            var dec = new JsonObject();
            foreach (var (id, t) in AddedTokens.OrderBy(kv => kv.Key))
                dec[id.ToString()] = new JsonObject { ["content"] = t.Content, ["lstrip"] = t.LStrip, ["rstrip"] = t.RStrip, ["normalized"] = false, ["single_word"] = false, ["special"] = true };
            cfg["added_tokens_decoder"] = dec;
        }
        foreach (var (key, t) in new[] { ("bos_token", BosToken), ("eos_token", EosToken), ("unk_token", UnkToken), ("sep_token", SepToken), ("pad_token", PadToken), ("cls_token", ClsToken), ("mask_token", MaskToken) })
        {
            if (t is null) continue;
            cfg[key] = t.Content;
            map[key] = t.LStrip || t.RStrip
                ? new JsonObject { ["content"] = t.Content, ["lstrip"] = t.LStrip, ["rstrip"] = t.RStrip, ["normalized"] = false, ["single_word"] = false }
                : JsonValue.Create(t.Content);
        }
        void Flag(string key, bool? value) { if (value is not null) cfg[key] = value.Value; }
        Flag("do_lower_case", DoLowerCase);
        Flag("strip_accents", StripAccents);
        Flag("tokenize_chinese_chars", TokenizeChineseChars);
        Flag("add_prefix_space", AddPrefixSpace);
        Flag("add_bos_token", AddBosToken);
        Flag("clean_up_tokenization_spaces", CleanUpTokenizationSpaces);
        if (ModelMaxLength is not null) cfg["model_max_length"] = ModelMaxLength.Value;
        var options = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteText(Path.Combine(folder, "tokenizer_config.json"), cfg.ToJsonString(options) + "\n");
        AtomicFile.WriteText(Path.Combine(folder, "special_tokens_map.json"), map.ToJsonString(options) + "\n");
    }

    /// <summary>A special token keeps the strip flags its <c>added_tokens_decoder</c> entry gives.</summary>
    static SpecialToken Resolve(SpecialToken t, Dictionary<int, SpecialToken> added) =>
        added.Values.FirstOrDefault(a => a.Content == t.Content) is { } a && !t.LStrip && !t.RStrip ? a : t;

    static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"Tokenizer file '{path}': expected a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Tokenizer file '{path}': malformed JSON: {ex.Message}", ex);
        }
    }

    static SpecialToken? Token(JsonNode? node, string path, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => new SpecialToken(s),
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) =>
            new SpecialToken(s, Bool(o["lstrip"], path, field + ".lstrip") ?? false, Bool(o["rstrip"], path, field + ".rstrip") ?? false),
        _ => throw new InvalidDataException($"Tokenizer file '{path}': field '{field}' must be a string or an object with 'content'."),
    };

    static string? Str(JsonNode? node, string path, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new InvalidDataException($"Tokenizer file '{path}': field '{field}' must be a string."),
    };

    static bool? Bool(JsonNode? node, string path, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw new InvalidDataException($"Tokenizer file '{path}': field '{field}' must be true or false."),
    };

    static int? Int(JsonNode? node, string path, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        _ => throw new InvalidDataException($"Tokenizer file '{path}': field '{field}' must be an integer."),
    };
}
