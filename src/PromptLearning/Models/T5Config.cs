using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PromptLearning.Models;

/// <summary>
/// The architecture of a T5 checkpoint (<c>transformers</c>' <c>T5Config</c>, same key names and
/// defaults), read from its <c>config.json</c>. Covers the original T5 (<c>feed_forward_proj: "relu"</c>,
/// tied head scaled by d_model^-0.5) and T5 v1.1 (<c>"gated-gelu"</c>, untied head).
/// </summary>
public sealed record T5Config
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "t5";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32128;
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 512;
    /// <summary>Size of one attention head (need not be d_model / heads).</summary>
    [JsonPropertyName("d_kv")] public int DKv { get; init; } = 64;
    [JsonPropertyName("d_ff")] public int DFf { get; init; } = 2048;
    /// <summary>Encoder layers.</summary>
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; } = 6;
    /// <summary>Decoder layers; null = <see cref="NumLayers"/>.</summary>
    [JsonPropertyName("num_decoder_layers")] public int? NumDecoderLayers { get; init; }
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 8;
    [JsonPropertyName("relative_attention_num_buckets")] public int RelativeAttentionNumBuckets { get; init; } = 32;
    [JsonPropertyName("relative_attention_max_distance")] public int RelativeAttentionMaxDistance { get; init; } = 128;
    [JsonPropertyName("dropout_rate")] public double DropoutRate { get; init; } = 0.1;
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-6;
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; init; } = 1.0;
    /// <summary><c>relu</c> (original T5: <c>wi</c>, <c>wo</c>) or <c>gated-ACT</c> (v1.1: <c>wi_0</c>, <c>wi_1</c>, <c>wo</c>); <c>gated-gelu</c> means gelu_new.</summary>
    [JsonPropertyName("feed_forward_proj")] public string FeedForwardProj { get; init; } = "relu";
    /// <summary>True: <c>lm_head</c> is <c>shared</c> and the decoder output is scaled by d_model^-0.5 first.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; } = 1;
    /// <summary>First decoder input; T5 uses the pad token.</summary>
    [JsonPropertyName("decoder_start_token_id")] public int? DecoderStartTokenId { get; init; }

    /// <summary>Decoder layers, <see cref="NumDecoderLayers"/> or <see cref="NumLayers"/>.</summary>
    [JsonIgnore] public int DecoderLayers => NumDecoderLayers ?? NumLayers;
    /// <summary>heads x d_kv: the width of q, k, v.</summary>
    [JsonIgnore] public int InnerDim => NumHeads * DKv;
    /// <summary>True for <c>gated-*</c> feed-forward (<c>wi_0</c>, <c>wi_1</c>).</summary>
    [JsonIgnore] public bool IsGatedAct => FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);
    /// <summary>The feed-forward activation (<c>dense_act_fn</c>): the part after <c>gated-</c>, with <c>gated-gelu</c> meaning <c>gelu_new</c>.</summary>
    [JsonIgnore] public string DenseActFn => FeedForwardProj == "gated-gelu" ? "gelu_new" : FeedForwardProj.Split('-')[^1];

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Malformed JSON, not a T5 config, or a field out of range (named).</exception>
    public static T5Config Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path, new UTF8Encoding(false)), path);
    }

    /// <summary>Parses and checks config JSON; <paramref name="source"/> names it in errors.</summary>
    public static T5Config Parse(string json, string source = "config.json")
    {
        T5Config c;
        try
        {
            c = JsonSerializer.Deserialize<T5Config>(json, new JsonSerializerOptions { AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip })
                ?? throw new InvalidDataException($"Config file '{source}': expected a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Config file '{source}': {ex.Message}", ex);
        }
        InvalidDataException Invalid(string field, string problem) => new($"Config file '{source}': field '{field}' {problem}.");
        if (c.ModelType != "t5") throw Invalid("model_type", $"is '{c.ModelType}', not 't5'");
        foreach (var (field, value) in new[] { ("vocab_size", c.VocabSize), ("d_model", c.DModel), ("d_kv", c.DKv), ("d_ff", c.DFf), ("num_layers", c.NumLayers),
                     ("num_decoder_layers", c.DecoderLayers), ("num_heads", c.NumHeads), ("relative_attention_num_buckets", c.RelativeAttentionNumBuckets) })
            if (value <= 0) throw Invalid(field, $"must be positive, found {value}");
        if (c.RelativeAttentionNumBuckets < 4)
            throw Invalid("relative_attention_num_buckets", $"must be at least 4 (half for each direction, half of those exact), found {c.RelativeAttentionNumBuckets}");
        if (c.RelativeAttentionMaxDistance <= c.RelativeAttentionNumBuckets / 2)
            throw Invalid("relative_attention_max_distance", $"must exceed relative_attention_num_buckets / 2 ({c.RelativeAttentionNumBuckets / 2}), found {c.RelativeAttentionMaxDistance}");
        var parts = c.FeedForwardProj.Split('-');
        if (parts.Length > 2 || (parts.Length == 2 && parts[0] != "gated") || !Activations.Supported.Contains(c.DenseActFn))
            throw Invalid("feed_forward_proj", $"is '{c.FeedForwardProj}'; expected ACT or gated-ACT with ACT one of {string.Join(", ", Activations.Supported)} (gated-gelu = gated gelu_new)");
        if (!(c.DropoutRate >= 0 && c.DropoutRate < 1)) throw Invalid("dropout_rate", $"is a dropout probability and must be in [0, 1), found {c.DropoutRate}");
        if (!(c.LayerNormEpsilon > 0)) throw Invalid("layer_norm_epsilon", $"must be greater than 0, found {c.LayerNormEpsilon}");
        foreach (var (field, id) in new[] { ("pad_token_id", (int?)c.PadTokenId), ("eos_token_id", c.EosTokenId), ("decoder_start_token_id", c.DecoderStartTokenId) })
            if (id is int i && (i < 0 || i >= c.VocabSize)) throw Invalid(field, $"is {i}, outside the vocabulary [0, {c.VocabSize})");
        return c;
    }

    /// <summary>This config as <c>config.json</c> text (the <c>transformers</c> keys).</summary>
    public string ToJson()
    {
        var o = JsonSerializer.SerializeToNode(this)!.AsObject();
        o["architectures"] = new System.Text.Json.Nodes.JsonArray("T5ForConditionalGeneration");
        o["is_encoder_decoder"] = true;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
