using PromptLearning.Native;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// The architecture of a BART checkpoint, read from its Hugging Face <c>config.json</c> with the key names
/// and defaults of <c>transformers</c>' <c>BartConfig</c>.
/// </summary>
public sealed record BartConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bart";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 50265;
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 1024;
    [JsonPropertyName("encoder_layers")] public int EncoderLayers { get; init; } = 12;
    [JsonPropertyName("decoder_layers")] public int DecoderLayers { get; init; } = 12;
    [JsonPropertyName("encoder_attention_heads")] public int EncoderAttentionHeads { get; init; } = 16;
    [JsonPropertyName("decoder_attention_heads")] public int DecoderAttentionHeads { get; init; } = 16;
    [JsonPropertyName("encoder_ffn_dim")] public int EncoderFfnDim { get; init; } = 4096;
    [JsonPropertyName("decoder_ffn_dim")] public int DecoderFfnDim { get; init; } = 4096;
    /// <summary>Usable positions; the position tables hold 2 more rows (positions start at 2).</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 1024;
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu";
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.1;
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; init; }
    [JsonPropertyName("activation_dropout")] public double ActivationDropout { get; init; }
    [JsonPropertyName("init_std")] public double InitStd { get; init; } = 0.02;
    /// <summary>Multiply token embeddings by sqrt(d_model).</summary>
    [JsonPropertyName("scale_embedding")] public bool ScaleEmbedding { get; init; }
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; } = 1;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 0;
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; } = 2;
    [JsonPropertyName("decoder_start_token_id")] public int DecoderStartTokenId { get; init; } = 2;
    /// <summary><c>generate</c> forces this token at the last step (HF <c>ForcedEOSTokenLogitsProcessor</c>); null = none.</summary>
    [JsonPropertyName("forced_eos_token_id")] public int? ForcedEosTokenId { get; init; } = 2;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>
    /// <c>transformers</c>' <c>generate</c> forces this token first (<c>facebook/bart-base</c>: 0, <c>&lt;s&gt;</c>); null = none.
    /// Kept for the config file: <see cref="BartForConditionalGeneration.GenerationDefaults"/> does not force it
    /// (a BART pretrained by text infilling starts its output with <c>&lt;s&gt;</c> by itself).
    /// </summary>
    [JsonPropertyName("forced_bos_token_id")] public int? ForcedBosTokenId { get; init; }

    /// <summary>LayerNorm epsilon (BART uses PyTorch's default).</summary>
    [JsonIgnore] public double LayerNormEps => 1e-5;

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Malformed JSON, a field of the wrong type or out of range; the message names the file and the field.</exception>
    public static BartConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Writes the config as <c>BartConfig.save_pretrained</c> does (every field above, keys sorted, with
    /// <c>architectures</c> <c>BartForConditionalGeneration</c> and <c>is_encoder_decoder</c>), atomically.
    /// </summary>
    public void Write(string path)
    {
        var node = JsonSerializer.SerializeToNode(this)!.AsObject();
        node["architectures"] = new System.Text.Json.Nodes.JsonArray("BartForConditionalGeneration");
        node["is_encoder_decoder"] = true;
        var sorted = new System.Text.Json.Nodes.JsonObject();
        foreach (var (key, value) in node.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sorted[key] = value?.DeepClone();
        Checkpoints.AtomicFile.WriteText(path, sorted.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Parses and checks config JSON; <paramref name="source"/> names it in errors.</summary>
    public static BartConfig Parse(string json, string source = "config.json")
    {
        BartConfig c;
        try
        {
            c = JsonSerializer.Deserialize<BartConfig>(json, new JsonSerializerOptions { AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip })
                ?? throw new InvalidDataException($"Config file '{source}': expected a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Config file '{source}': {ex.Message}", ex);
        }
        InvalidDataException Invalid(string field, string problem) => new($"Config file '{source}': field '{field}' {problem}.");
        if (c.ModelType != "bart") throw Invalid("model_type", $"is '{c.ModelType}', not 'bart'");
        foreach (var (field, value) in new[]
        {
            ("vocab_size", c.VocabSize), ("d_model", c.DModel), ("encoder_layers", c.EncoderLayers), ("decoder_layers", c.DecoderLayers),
            ("encoder_ffn_dim", c.EncoderFfnDim), ("decoder_ffn_dim", c.DecoderFfnDim), ("max_position_embeddings", c.MaxPositionEmbeddings),
        })
            if (value <= 0) throw Invalid(field, $"must be positive, found {value}");
        foreach (var (field, heads) in new[] { ("encoder_attention_heads", c.EncoderAttentionHeads), ("decoder_attention_heads", c.DecoderAttentionHeads) })
            if (heads <= 0 || c.DModel % heads != 0) throw Invalid(field, $"must be positive and divide d_model {c.DModel}, found {heads}");
        if (!Activations.Supported.Contains(c.ActivationFunction))
            throw Invalid("activation_function", $"is '{c.ActivationFunction}', not one of {string.Join(", ", Activations.Supported)}");
        foreach (var (field, p) in new[] { ("dropout", c.Dropout), ("attention_dropout", c.AttentionDropout), ("activation_dropout", c.ActivationDropout) })
            if (!(p >= 0 && p < 1)) throw Invalid(field, $"is a dropout probability and must be in [0, 1), found {p}");
        foreach (var (field, id) in new[] { ("pad_token_id", (int?)c.PadTokenId), ("bos_token_id", c.BosTokenId), ("eos_token_id", c.EosTokenId),
                     ("decoder_start_token_id", c.DecoderStartTokenId), ("forced_eos_token_id", c.ForcedEosTokenId), ("forced_bos_token_id", c.ForcedBosTokenId) })
            if (id is int i && (i < 0 || i >= c.VocabSize)) throw Invalid(field, $"is {i}, outside the vocabulary [0, {c.VocabSize})");
        return c;
    }
}

/// <summary>
/// HF <c>BartAttention</c>: <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c>. Self-attention (keys from
/// the hidden states, a past concatenated in front) or cross-attention (keys from the encoder output, a prefix
/// in front; or the cached cross keys/values as they are).
/// </summary>
public sealed class BartAttention : HfModule
{
    readonly int _heads;
    readonly double _dropout;
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OutProj { get; }

    public BartAttention(int embedDim, int heads, double dropout) : base(nameof(BartAttention))
    {
        _heads = heads;
        _dropout = dropout;
        KProj = nn.Linear(embedDim, embedDim);
        VProj = nn.Linear(embedDim, embedDim);
        QProj = nn.Linear(embedDim, embedDim);
        OutProj = nn.Linear(embedDim, embedDim);
        register_module("k_proj", KProj);
        register_module("v_proj", VProj);
        register_module("q_proj", QProj);
        register_module("out_proj", OutProj);
    }

    /// <summary>
    /// hidden [B, T, H]; keys/values from <paramref name="keyValueStates"/> [B, S, H] (cross-attention) or from
    /// hidden (self-attention), with <paramref name="past"/> in front; or, when <paramref name="cached"/>, past is
    /// used as the whole keys/values. bias broadcastable to [B, h, T, K]. Returns the output [B, T, H] and the
    /// keys/values attended to.
    /// </summary>
    public (Tensor Output, KeyValue Present) Forward(Tensor hidden, Tensor? keyValueStates, Tensor? bias, KeyValue? past, bool cached)
    {
        using var scope = NewDisposeScope();
        var q = Attention.SplitHeads(QProj.forward(hidden), _heads);
        Tensor k, v;
        if (cached) (k, v) = (past!.Key.alias(), past.Value.alias());
        else
        {
            var source = keyValueStates ?? hidden;
            k = Attention.SplitHeads(KProj.forward(source), _heads);
            v = Attention.SplitHeads(VProj.forward(source), _heads);
            if (past is not null)
            {
                k = cat(new[] { past.Key, k }, 2);
                v = cat(new[] { past.Value, v }, 2);
            }
        }
        var context = Attention.ScaledDotProduct(q, k, v, bias, _dropout, training);
        var output = OutProj.forward(Attention.MergeHeads(context));
        output.MoveToOuterDisposeScope();
        k.MoveToOuterDisposeScope();
        v.MoveToOuterDisposeScope();
        return (output, new KeyValue(k, v));
    }
}

/// <summary>Post-norm feed-forward of a BART layer: <c>fc1</c>, activation, <c>fc2</c>, residual, <c>final_layer_norm</c>.</summary>
internal static class BartFeedForward
{
    public static Tensor Forward(Tensor hidden, Linear fc1, Linear fc2, LayerNorm norm, BartConfig config, bool training)
    {
        using var scope = NewDisposeScope();
        var x = Activations.Apply(config.ActivationFunction, fc1.forward(hidden));
        x = nn.functional.dropout(x, config.ActivationDropout, training);
        x = nn.functional.dropout(fc2.forward(x), config.Dropout, training);
        return norm.forward(x.PlusInPlace(hidden)).MoveToOuterDisposeScope();
    }
}

/// <summary>One post-norm encoder layer (HF <c>BartEncoderLayer</c>: <c>self_attn</c>, <c>self_attn_layer_norm</c>, <c>fc1</c>, <c>fc2</c>, <c>final_layer_norm</c>).</summary>
public sealed class BartEncoderLayer : HfModule
{
    readonly BartConfig _config;
    public BartAttention SelfAttn { get; }
    public LayerNorm SelfAttnLayerNorm { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    public LayerNorm FinalLayerNorm { get; }

    public BartEncoderLayer(BartConfig config) : base(nameof(BartEncoderLayer))
    {
        _config = config;
        SelfAttn = new BartAttention(config.DModel, config.EncoderAttentionHeads, config.AttentionDropout);
        SelfAttnLayerNorm = nn.LayerNorm(config.DModel, config.LayerNormEps);
        Fc1 = nn.Linear(config.DModel, config.EncoderFfnDim);
        Fc2 = nn.Linear(config.EncoderFfnDim, config.DModel);
        FinalLayerNorm = nn.LayerNorm(config.DModel, config.LayerNormEps);
        register_module("self_attn", SelfAttn);
        register_module("self_attn_layer_norm", SelfAttnLayerNorm);
        register_module("fc1", Fc1);
        register_module("fc2", Fc2);
        register_module("final_layer_norm", FinalLayerNorm);
    }

    /// <summary>hidden [B, S, H], bias [B, 1, 1, P+S] or null (no padding), prefix keys/values or null -> [B, S, H].</summary>
    public Tensor Forward(Tensor hidden, Tensor? bias, KeyValue? prefix)
    {
        using var scope = NewDisposeScope();
        var (attended, _) = SelfAttn.Forward(hidden, null, bias, prefix, cached: false);
        var h = SelfAttnLayerNorm.forward(nn.functional.dropout(attended, _config.Dropout, training).PlusInPlace(hidden));
        return BartFeedForward.Forward(h, Fc1, Fc2, FinalLayerNorm, _config, training).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One post-norm decoder layer (HF <c>BartDecoderLayer</c>): <c>self_attn</c> + <c>self_attn_layer_norm</c>,
/// <c>encoder_attn</c> + <c>encoder_attn_layer_norm</c>, <c>fc1</c>, <c>fc2</c>, <c>final_layer_norm</c>.
/// </summary>
public sealed class BartDecoderLayer : HfModule
{
    readonly BartConfig _config;
    public BartAttention SelfAttn { get; }
    public LayerNorm SelfAttnLayerNorm { get; }
    public BartAttention EncoderAttn { get; }
    public LayerNorm EncoderAttnLayerNorm { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    public LayerNorm FinalLayerNorm { get; }

    public BartDecoderLayer(BartConfig config) : base(nameof(BartDecoderLayer))
    {
        _config = config;
        SelfAttn = new BartAttention(config.DModel, config.DecoderAttentionHeads, config.AttentionDropout);
        SelfAttnLayerNorm = nn.LayerNorm(config.DModel, config.LayerNormEps);
        EncoderAttn = new BartAttention(config.DModel, config.DecoderAttentionHeads, config.AttentionDropout);
        EncoderAttnLayerNorm = nn.LayerNorm(config.DModel, config.LayerNormEps);
        Fc1 = nn.Linear(config.DModel, config.DecoderFfnDim);
        Fc2 = nn.Linear(config.DecoderFfnDim, config.DModel);
        FinalLayerNorm = nn.LayerNorm(config.DModel, config.LayerNormEps);
        register_module("self_attn", SelfAttn);
        register_module("self_attn_layer_norm", SelfAttnLayerNorm);
        register_module("encoder_attn", EncoderAttn);
        register_module("encoder_attn_layer_norm", EncoderAttnLayerNorm);
        register_module("fc1", Fc1);
        register_module("fc2", Fc2);
        register_module("final_layer_norm", FinalLayerNorm);
    }

    /// <summary>
    /// hidden [B, T, H] -> [B, T, H] and the keys/values attended to (self: past + current; cross: prefix + encoder).
    /// <paramref name="crossCached"/>: <paramref name="crossPast"/> is the cached cross keys/values (the encoder is not projected again).
    /// </summary>
    public (Tensor Hidden, KeyValue Self, KeyValue Cross) Forward(Tensor hidden, Tensor selfBias, KeyValue? selfPast,
        Tensor encoder, Tensor? crossBias, KeyValue? crossPast, bool crossCached)
    {
        using var scope = NewDisposeScope();
        var (attended, self) = SelfAttn.Forward(hidden, null, selfBias, selfPast, cached: false);
        var h = SelfAttnLayerNorm.forward(nn.functional.dropout(attended, _config.Dropout, training).PlusInPlace(hidden));
        var (crossed, cross) = EncoderAttn.Forward(h, encoder, crossBias, crossPast, crossCached);
        h = EncoderAttnLayerNorm.forward(nn.functional.dropout(crossed, _config.Dropout, training).PlusInPlace(h));
        var output = BartFeedForward.Forward(h, Fc1, Fc2, FinalLayerNorm, _config, training);
        output.MoveToOuterDisposeScope();
        foreach (var t in new[] { self.Key, self.Value, cross.Key, cross.Value }) t.MoveToOuterDisposeScope();
        return (output, self, cross);
    }
}

/// <summary>
/// Token embeddings (the shared table, held but not registered here, times sqrt(d_model) when
/// <c>scale_embedding</c>) + learned positions (<c>embed_positions</c>, row = position + 2) + <c>layernorm_embedding</c>.
/// </summary>
internal static class BartEmbedding
{
    /// <summary>Positions offset in the learned table (HF <c>BartLearnedPositionalEmbedding.offset</c>).</summary>
    public const int PositionOffset = 2;

    public static Tensor Forward(Tensor? ids, Tensor? embeds, long past, Embedding shared, Embedding positions, LayerNorm norm, BartConfig config, bool training, string model)
    {
        using var scope = NewDisposeScope();
        var x = embeds ?? shared.forward(ids!);
        if (embeds is null && config.ScaleEmbedding) x = x.Times(Math.Sqrt(config.DModel));
        long length = x.shape[1];
        if (past + length > config.MaxPositionEmbeddings)
            throw new ArgumentException($"{model}: positions up to {past + length - 1} (past {past} + length {length}) are past max_position_embeddings ({config.MaxPositionEmbeddings}).");
        var pos = Scalars.Arange(past + PositionOffset, past + length + PositionOffset, device: x.device);
        var h = norm.forward(x.Plus(positions.forward(pos).unsqueeze(0)));
        return nn.functional.dropout(h, config.Dropout, training).MoveToOuterDisposeScope();
    }
}

/// <summary>HF <c>BartEncoder</c>: <c>embed_positions</c>, <c>layers.{i}</c>, <c>layernorm_embedding</c> (token embeddings: the shared table).</summary>
public sealed class BartEncoder : HfModule
{
    readonly BartConfig _config;
    readonly Embedding _shared;
    public Embedding EmbedPositions { get; }
    public ModuleList<BartEncoderLayer> Layers { get; }
    public LayerNorm LayernormEmbedding { get; }

    public BartEncoder(BartConfig config, Embedding shared) : base(nameof(BartEncoder))
    {
        _config = config;
        _shared = shared;
        EmbedPositions = nn.Embedding(config.MaxPositionEmbeddings + BartEmbedding.PositionOffset, config.DModel);
        Layers = nn.ModuleList(Enumerable.Range(0, config.EncoderLayers).Select(_ => new BartEncoderLayer(config)).ToArray());
        LayernormEmbedding = nn.LayerNorm(config.DModel, config.LayerNormEps);
        register_module("embed_positions", EmbedPositions);
        register_module("layers", Layers);
        register_module("layernorm_embedding", LayernormEmbedding);
    }

    /// <summary>Encodes <see cref="Seq2SeqForwardArgs.InputIds"/> or <see cref="Seq2SeqForwardArgs.InputsEmbeds"/>: last hidden state and (when asked) [embeddings, layer 1, ...].</summary>
    public (Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates) Forward(Seq2SeqForwardArgs args)
    {
        const string model = nameof(BartEncoder);
        using var scope = NewDisposeScope();
        var (batch, length) = Seq2SeqChecks.Input(args.InputIds, args.InputsEmbeds, _config.DModel, "InputIds", "InputsEmbeds", model);
        long prefix = Seq2SeqChecks.KeyValueLength(args.EncoderPrefix, _config.EncoderLayers, batch, _config.EncoderAttentionHeads,
            _config.DModel / _config.EncoderAttentionHeads, "EncoderPrefix", model);
        Seq2SeqChecks.Mask(args.AttentionMask, batch, prefix, length, "AttentionMask", model);
        var hidden = BartEmbedding.Forward(args.InputIds, args.InputsEmbeds, 0, _shared, EmbedPositions, LayernormEmbedding, _config, training, model);
        Tensor? bias = args.AttentionMask is null ? null : Attention.PaddingBias(Seq2SeqChecks.Widen(args.AttentionMask, prefix, length), hidden.dtype);
        var states = args.OutputHiddenStates ? new List<Tensor> { hidden } : null;
        for (int i = 0; i < Layers.Count; i++)
        {
            hidden = Layers[i].Forward(hidden, bias, args.EncoderPrefix?[i]);
            states?.Add(hidden);
        }
        ForwardChecks.MoveOut(hidden, states);
        return (hidden, states);
    }
}

/// <summary>HF <c>BartDecoder</c>: <c>embed_positions</c>, <c>layers.{i}</c>, <c>layernorm_embedding</c> (token embeddings: the shared table).</summary>
public sealed class BartDecoder : HfModule
{
    readonly BartConfig _config;
    readonly Embedding _shared;
    public Embedding EmbedPositions { get; }
    public ModuleList<BartDecoderLayer> Layers { get; }
    public LayerNorm LayernormEmbedding { get; }

    public BartDecoder(BartConfig config, Embedding shared) : base(nameof(BartDecoder))
    {
        _config = config;
        _shared = shared;
        EmbedPositions = nn.Embedding(config.MaxPositionEmbeddings + BartEmbedding.PositionOffset, config.DModel);
        Layers = nn.ModuleList(Enumerable.Range(0, config.DecoderLayers).Select(_ => new BartDecoderLayer(config)).ToArray());
        LayernormEmbedding = nn.LayerNorm(config.DModel, config.LayerNormEps);
        register_module("embed_positions", EmbedPositions);
        register_module("layers", Layers);
        register_module("layernorm_embedding", LayernormEmbedding);
    }

    /// <summary>
    /// Decodes <paramref name="ids"/> or <paramref name="embeds"/> [B, T] against <paramref name="encoder"/> [B, S, H]
    /// (<paramref name="encoderMask"/> [B, S] or null). The self-attention past is <see cref="Seq2SeqForwardArgs.Cache"/>
    /// or <see cref="Seq2SeqForwardArgs.DecoderPrefix"/>; positions start after it. Returns the last hidden state, the
    /// hidden states when asked ([embeddings, layer 1, ...]) and the cache when asked.
    /// </summary>
    public (Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates, Seq2SeqCache? Cache) Forward(
        Tensor? ids, Tensor? embeds, Tensor encoder, Tensor? encoderMask, Seq2SeqForwardArgs args)
    {
        const string model = nameof(BartDecoder);
        using var scope = NewDisposeScope();
        var (batch, length) = Seq2SeqChecks.Input(ids, embeds, _config.DModel, "DecoderInputIds", "DecoderInputsEmbeds", model);
        int heads = _config.DecoderAttentionHeads, layers = _config.DecoderLayers;
        long headDim = _config.DModel / heads;
        if (encoder.shape[0] != batch)
            throw new ArgumentException($"{model}: the encoder output has batch {encoder.shape[0]}, the decoder input {batch}.");
        long sourceLength = encoder.shape[1];
        var (selfPast, past, crossPast, crossPrefix, crossCached) = Seq2SeqChecks.DecoderPast(args, layers, batch, heads, headDim, sourceLength, model);
        Seq2SeqChecks.Mask(args.DecoderAttentionMask, batch, past, length, "DecoderAttentionMask", model);

        var hidden = BartEmbedding.Forward(ids, embeds, past, _shared, EmbedPositions, LayernormEmbedding, _config, training, model);
        var selfBias = Attention.CausalBias(length, past + length, hidden.dtype, hidden.device);
        if (args.DecoderAttentionMask is not null)
            selfBias = selfBias.Plus(Attention.PaddingBias(Seq2SeqChecks.Widen(args.DecoderAttentionMask, past, length), hidden.dtype));
        Tensor? crossBias = encoderMask is null ? null : Attention.PaddingBias(Seq2SeqChecks.Widen(encoderMask, crossPrefix, sourceLength), hidden.dtype);

        var states = args.OutputHiddenStates ? new List<Tensor> { hidden } : null;
        var selfPresent = new List<KeyValue>();
        var crossPresent = new List<KeyValue>();
        for (int i = 0; i < layers; i++)
        {
            var (next, self, cross) = Layers[i].Forward(hidden, selfBias, selfPast?[i], encoder, crossBias, crossPast?[i], crossCached);
            hidden = next;
            states?.Add(hidden);
            selfPresent.Add(self);
            crossPresent.Add(cross);
        }
        ForwardChecks.MoveOut(hidden, states);
        Seq2SeqCache? present = null;
        if (args.UseCache)
        {
            present = new Seq2SeqCache(selfPresent, crossPresent);
            present.MoveToOuterDisposeScope();
        }
        return (hidden, states, present);
    }
}

/// <summary>The bare encoder-decoder (HF <c>BartModel</c>: <c>shared</c>, <c>encoder</c>, <c>decoder</c>).</summary>
public sealed class BartModel : HfModule
{
    public BartConfig Config { get; }
    /// <summary>The token embeddings shared by encoder, decoder and (tied) LM head (<c>shared</c>).</summary>
    public Embedding Shared { get; }
    public BartEncoder Encoder { get; }
    public BartDecoder Decoder { get; }

    public BartModel(BartConfig config) : base(nameof(BartModel))
    {
        Config = config;
        Shared = nn.Embedding(config.VocabSize, config.DModel, padding_idx: config.PadTokenId);
        Encoder = new BartEncoder(config, Shared);
        Decoder = new BartDecoder(config, Shared);
        register_module("shared", Shared);
        register_module("encoder", Encoder);
        register_module("decoder", Decoder);
    }

    /// <summary>
    /// Runs the encoder (unless <see cref="Seq2SeqForwardArgs.EncoderLastHiddenState"/> is given) and the decoder on
    /// <paramref name="decoderIds"/> or <paramref name="decoderEmbeds"/>.
    /// </summary>
    public (Tensor EncoderLast, IReadOnlyList<Tensor>? EncoderStates, Tensor DecoderLast, IReadOnlyList<Tensor>? DecoderStates, Seq2SeqCache? Cache) Forward(
        Seq2SeqForwardArgs args, Tensor? decoderIds, Tensor? decoderEmbeds)
    {
        using var scope = NewDisposeScope();
        var (encoder, encoderStates) = EncodeOrReuse(args);
        var encoderMask = Seq2SeqChecks.EncoderOutputMask(args.AttentionMask, encoder.shape[0], encoder.shape[1], nameof(BartModel));
        var (decoder, decoderStates, cache) = Decoder.Forward(decoderIds, decoderEmbeds, encoder, encoderMask, args);
        ForwardChecks.MoveOut(encoder, encoderStates);
        ForwardChecks.MoveOut(decoder, decoderStates);
        cache?.MoveToOuterDisposeScope();
        return (encoder, encoderStates, decoder, decoderStates, cache);
    }

    (Tensor Last, IReadOnlyList<Tensor>? States) EncodeOrReuse(Seq2SeqForwardArgs args) =>
        args.EncoderLastHiddenState is { } given ? (Seq2SeqChecks.EncoderOutput(given, args, Config.DModel, nameof(BartModel)), null) : Encoder.Forward(args);
}

/// <summary>
/// BART with its LM head (HF <c>BartForConditionalGeneration</c>): <c>model.*</c> keys and the <c>final_logits_bias</c>
/// buffer [1, V]; <c>lm_head</c> is the shared embedding matrix (no bias of its own) when <c>tie_word_embeddings</c>, so
/// the module holds it under <c>model.shared.weight</c> only (see <see cref="TiedWeights"/>). Logits =
/// decoder output x sharedᵀ + final_logits_bias; with <see cref="Seq2SeqForwardArgs.Labels"/>, the loss is the mean
/// token cross-entropy (-100 ignored) and the decoder input defaults to the labels shifted right.
/// </summary>
public sealed class BartForConditionalGeneration : HfModule, ISeq2SeqModel
{
    readonly BartModel _model;
    readonly Linear? _lmHead;

    /// <summary>A model with fresh weights drawn as <c>transformers</c>' <c>_init_weights</c> (N(0, init_std), biases 0, pad row 0).</summary>
    public BartForConditionalGeneration(BartConfig config) : base(nameof(BartForConditionalGeneration))
    {
        Config = config;
        _model = new BartModel(config);
        register_module("model", _model);
        register_buffer("final_logits_bias", zeros(1, config.VocabSize));
        if (!config.TieWordEmbeddings)
        {
            _lmHead = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
            register_module("lm_head", _lmHead);
        }
        Initialization.InitCommon(this, config.InitStd);
        using var _ = no_grad();
        _model.Shared.weight![config.PadTokenId].zero_();
    }

    public BartConfig Config { get; }
    public nn.Module Module => this;
    public string ModelType => "bart";
    public int DecoderStartTokenId => Config.DecoderStartTokenId;
    public Seq2SeqDimensions Dimensions => new(Config.DModel,
        new AttentionLayout(Config.EncoderLayers, Config.EncoderAttentionHeads, Config.DModel / Config.EncoderAttentionHeads),
        new AttentionLayout(Config.DecoderLayers, Config.DecoderAttentionHeads, Config.DModel / Config.DecoderAttentionHeads),
        Config.ScaleEmbedding ? Math.Sqrt(Config.DModel) : 1.0);
    /// <summary>The encoder-decoder (<c>model</c>).</summary>
    public BartModel Model => _model;
    /// <summary><c>final_logits_bias</c> [1, V], looked up by name so that it follows <c>Module.to</c>.</summary>
    public Tensor FinalLogitsBias => named_buffers().First(b => b.name == "final_logits_bias").buffer;

    /// <summary>Tied aliases, alias key -> source key: the encoder's and decoder's <c>embed_tokens.weight</c> and, when tied, <c>lm_head.weight</c> -> <c>model.shared.weight</c>.</summary>
    public IReadOnlyDictionary<string, string> TiedWeights => TiedWeightsFor(Config);

    /// <summary>The tied aliases (alias -> source) of a BART built from <paramref name="config"/>.</summary>
    public static IReadOnlyDictionary<string, string> TiedWeightsFor(BartConfig config)
    {
        var d = new Dictionary<string, string>
        {
            ["model.encoder.embed_tokens.weight"] = "model.shared.weight",
            ["model.decoder.embed_tokens.weight"] = "model.shared.weight",
        };
        if (config.TieWordEmbeddings) d["lm_head.weight"] = "model.shared.weight";
        return d;
    }

    public Tensor EmbedTokens(Tensor inputIds) => _model.Shared.forward(inputIds);

    public Tensor Encode(Seq2SeqForwardArgs args)
    {
        using var scope = NewDisposeScope();
        return _model.Encoder.Forward(args with { OutputHiddenStates = false }).LastHiddenState.MoveToOuterDisposeScope();
    }

    public Seq2SeqOutput Forward(Seq2SeqForwardArgs args)
    {
        using var scope = NewDisposeScope();
        var decoderIds = args.DecoderInputIds;
        if (decoderIds is null && args.DecoderInputsEmbeds is null && args.Labels is not null)
            decoderIds = Seq2Seq.ShiftTokensRight(args.Labels, Config.PadTokenId, Config.DecoderStartTokenId);
        var (encoder, encoderStates, decoder, decoderStates, cache) = _model.Forward(args, decoderIds, args.DecoderInputsEmbeds);
        Tensor? logits = null, loss = null;
        if (!args.SkipLmHead)
        {
            logits = nn.functional.linear(decoder, _lmHead?.weight ?? _model.Shared.weight!).PlusInPlace(FinalLogitsBias);
            if (args.Labels is not null)
            {
                Seq2SeqChecks.Labels(args.Labels, logits.shape[0], logits.shape[1], nameof(BartForConditionalGeneration));
                loss = Seq2Seq.Loss(logits, args.Labels).MoveToOuterDisposeScope();
            }
            logits.MoveToOuterDisposeScope();
        }
        ForwardChecks.MoveOut(encoder, encoderStates);
        ForwardChecks.MoveOut(decoder, decoderStates);
        cache?.MoveToOuterDisposeScope();
        return new Seq2SeqOutput(encoder, decoder, logits, loss, encoderStates, decoderStates, cache);
    }

    /// <summary>Eos and forced eos from the config, pad = <c>pad_token_id</c>.</summary>
    public GenerationConfig GenerationDefaults(int maxNewTokens, int numBeams = 1) => new()
    {
        MaxNewTokens = maxNewTokens, NumBeams = numBeams, EosTokenId = Config.EosTokenId, PadTokenId = Config.PadTokenId,
        ForcedEosTokenId = Config.ForcedEosTokenId,
    };
}
