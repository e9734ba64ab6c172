using PromptLearning.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// T5's RMS norm (HF <c>T5LayerNorm</c>): <c>weight * x / sqrt(mean(x²) + eps)</c>, no bias and no mean
/// subtraction, the variance in float32. Key <c>weight</c>.
/// </summary>
public sealed class T5LayerNorm : HfModule
{
    readonly Scalar _eps;   // held, not converted per call (see Attention.PaddingBias)

    /// <summary>The scale [d_model] (looked up by name so that it follows <c>Module.to</c>).</summary>
    public Parameter Weight => get_parameter("weight")!;

    public T5LayerNorm(long size, double eps) : base(nameof(T5LayerNorm))
    {
        _eps = eps.ToScalar();
        register_parameter("weight", new Parameter(ones(size)));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var variance = x.to_type(ScalarType.Float32).Squared().mean(new long[] { -1 }, keepdim: true);
        var normed = x * variance.PlusInPlace(_eps).rsqrt_();
        if (Weight.dtype is ScalarType.Float16 or ScalarType.BFloat16) normed = normed.to_type(Weight.dtype);
        return (Weight * normed).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// T5's feed-forward, named <c>DenseReluDense</c> whatever the activation: HF <c>T5DenseActDense</c>
/// (<c>wi</c>, activation, <c>wo</c>; original T5 with relu) or, for <c>gated-*</c>, HF
/// <c>T5DenseGatedActDense</c> (<c>act(wi_0 x) * wi_1 x</c>, then <c>wo</c>; v1.1). No biases.
/// </summary>
public sealed class T5DenseActDense : HfModule
{
    readonly string _act;
    readonly Linear? _wi, _wi0, _wi1;
    readonly Linear _wo;
    readonly Dropout _dropout;

    public T5DenseActDense(T5Config config) : base(nameof(T5DenseActDense))
    {
        _act = config.DenseActFn;
        Activations.Validate(_act);
        if (config.IsGatedAct)
        {
            _wi0 = nn.Linear(config.DModel, config.DFf, hasBias: false);
            _wi1 = nn.Linear(config.DModel, config.DFf, hasBias: false);
            register_module("wi_0", _wi0);
            register_module("wi_1", _wi1);
        }
        else
        {
            _wi = nn.Linear(config.DModel, config.DFf, hasBias: false);
            register_module("wi", _wi);
        }
        _wo = nn.Linear(config.DFf, config.DModel, hasBias: false);
        _dropout = nn.Dropout(config.DropoutRate);
        register_module("wo", _wo);
        register_module("dropout", _dropout);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _wi is not null
            ? Activations.Apply(_act, _wi.forward(x))
            : Activations.Apply(_act, _wi0!.forward(x)).mul_(_wi1!.forward(x));
        return _wo.forward(_dropout.forward(h)).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm feed-forward sub-layer with residual (HF <c>T5LayerFF</c>: <c>DenseReluDense</c>, <c>layer_norm</c>).</summary>
public sealed class T5LayerFF : HfModule
{
    readonly T5DenseActDense _dense;
    readonly T5LayerNorm _norm;
    readonly Dropout _dropout;

    public T5LayerFF(T5Config config) : base(nameof(T5LayerFF))
    {
        _dense = new T5DenseActDense(config);
        _norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        _dropout = nn.Dropout(config.DropoutRate);
        register_module("DenseReluDense", _dense);
        register_module("layer_norm", _norm);
        register_module("dropout", _dropout);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return hidden.Plus(_dropout.forward(_dense.Forward(_norm.Forward(hidden)))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// T5 multi-head attention (HF <c>T5Attention</c>: <c>q</c>, <c>k</c>, <c>v</c>, <c>o</c> without biases,
/// and in the first block of each stack <c>relative_attention_bias</c> [num_buckets, heads], which every
/// block of that stack then uses). Scores are <c>q kᵀ</c> with no 1/sqrt(d) scaling (T5 folds it into
/// the initialisation), plus the position bias and the mask.
/// </summary>
public sealed class T5Attention : HfModule
{
    readonly int _heads, _dKv, _numBuckets, _maxDistance;
    readonly bool _bidirectional;
    readonly double _dropout;
    readonly Linear _q, _k, _v, _o;
    readonly Embedding? _relativeAttentionBias;

    /// <param name="config">Sizes.</param>
    /// <param name="hasRelativeAttentionBias">True in block 0's self-attention only.</param>
    /// <param name="bidirectional">Relative buckets for both directions (encoder) or for the past only (decoder).</param>
    public T5Attention(T5Config config, bool hasRelativeAttentionBias, bool bidirectional) : base(nameof(T5Attention))
    {
        _heads = config.NumHeads;
        _dKv = config.DKv;
        _numBuckets = config.RelativeAttentionNumBuckets;
        _maxDistance = config.RelativeAttentionMaxDistance;
        _bidirectional = bidirectional;
        _dropout = config.DropoutRate;
        _q = nn.Linear(config.DModel, config.InnerDim, hasBias: false);
        _k = nn.Linear(config.DModel, config.InnerDim, hasBias: false);
        _v = nn.Linear(config.DModel, config.InnerDim, hasBias: false);
        _o = nn.Linear(config.InnerDim, config.DModel, hasBias: false);
        register_module("q", _q);
        register_module("k", _k);
        register_module("v", _v);
        register_module("o", _o);
        if (hasRelativeAttentionBias)
        {
            _relativeAttentionBias = nn.Embedding(_numBuckets, _heads);
            register_module("relative_attention_bias", _relativeAttentionBias);
        }
    }

    /// <summary>
    /// HF <c>_relative_position_bucket</c>: relative position (key - query) -> bucket. Bidirectional: half
    /// the buckets for keys after the query. Half of a direction's buckets are exact distances, the rest
    /// logarithmic up to <c>max_distance</c> (computed in float32 as <c>transformers</c> does).
    /// </summary>
    public static Tensor RelativePositionBucket(Tensor relativePosition, bool bidirectional, int numBuckets, int maxDistance)
    {
        using var scope = NewDisposeScope();
        var buckets = zeros_like(relativePosition);
        var position = relativePosition;
        if (bidirectional)
        {
            numBuckets /= 2;
            buckets = buckets.Plus(position.gt(Scalars.Zero).to_type(ScalarType.Int64).Times((long)numBuckets));
            position = position.abs();
        }
        else position = position.clamp_max(Scalars.Zero).neg();
        int maxExact = numBuckets / 2;
        var isSmall = Scalars.With((long)maxExact, s => position.lt(s));
        var large = position.to_type(ScalarType.Float32).DividedBy(maxExact).log_()
            .DividedByInPlace(Math.Log((double)maxDistance / maxExact)).TimesInPlace(numBuckets - maxExact)
            .to_type(ScalarType.Int64).PlusInPlace((long)maxExact);
        Scalars.With((long)(numBuckets - 1), s => large.clamp_max_(s));
        return buckets.PlusInPlace(where(isSmall, position, large)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The position bias [1, heads, queries, keys] for queries at positions <paramref name="queryStart"/> ..
    /// queryStart + queries - 1 over keys at 0 .. keys - 1 (HF <c>compute_bias</c> over past + current,
    /// keeping the last rows). Only the attention that holds <c>relative_attention_bias</c> has one.
    /// </summary>
    public Tensor ComputeBias(long queryStart, long queries, long keys, Device device)
    {
        if (_relativeAttentionBias is null) throw new InvalidOperationException("Only a T5Attention with relative_attention_bias (block 0's self-attention) computes the position bias.");
        using var scope = NewDisposeScope();
        var context = Scalars.Arange(queryStart, queryStart + queries, device: device).unsqueeze(1);
        var memory = Scalars.Arange(keys, device: device).unsqueeze(0);
        var buckets = RelativePositionBucket(memory - context, _bidirectional, _numBuckets, _maxDistance);
        return _relativeAttentionBias.forward(buckets).permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Keys and values of <paramref name="source"/> [B, K, d_model], each [B, heads, K, d_kv].</summary>
    public KeyValue Project(Tensor source)
    {
        using var scope = NewDisposeScope();
        var k = Attention.SplitHeads(_k.forward(source), _heads).MoveToOuterDisposeScope();
        var v = Attention.SplitHeads(_v.forward(source), _heads).MoveToOuterDisposeScope();
        return new KeyValue(k, v);
    }

    /// <summary>Attends from <paramref name="hidden"/> [B, L, d_model] to <paramref name="keyValue"/> with the additive <paramref name="bias"/> (broadcastable to [B, heads, L, K]); returns [B, L, d_model].</summary>
    public Tensor Attend(Tensor hidden, KeyValue keyValue, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var q = Attention.SplitHeads(_q.forward(hidden), _heads);
        var scores = matmul(q, keyValue.Key.transpose(-1, -2));
        if (bias is not null) scores = scores.PlusInPlace(bias);
        var probs = scores.to_type(ScalarType.Float32).softmax(-1).to_type(scores.dtype);
        if (training && _dropout > 0) probs = nn.functional.dropout(probs, _dropout, true);
        return _o.forward(Attention.MergeHeads(matmul(probs, keyValue.Value))).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm self-attention sub-layer with residual (HF <c>T5LayerSelfAttention</c>: <c>SelfAttention</c>, <c>layer_norm</c>).</summary>
public sealed class T5LayerSelfAttention : HfModule
{
    readonly T5LayerNorm _norm;
    readonly Dropout _dropout;
    public T5Attention SelfAttention { get; }

    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias, bool bidirectional) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeAttentionBias, bidirectional);
        _norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        _dropout = nn.Dropout(config.DropoutRate);
        register_module("SelfAttention", SelfAttention);
        register_module("layer_norm", _norm);
        register_module("dropout", _dropout);
    }

    /// <summary>hidden [B, L, d_model]; <paramref name="past"/> (prefix or cache) goes in front of the keys/values; returns the output and past + current keys/values.</summary>
    public (Tensor Hidden, KeyValue Present) Forward(Tensor hidden, Tensor? bias, KeyValue? past)
    {
        using var scope = NewDisposeScope();
        var normed = _norm.Forward(hidden);
        var kv = SelfAttention.Project(normed);
        if (past is not null) kv = new KeyValue(cat(new[] { past.Key, kv.Key }, 2), cat(new[] { past.Value, kv.Value }, 2));
        var output = hidden.Plus(_dropout.forward(SelfAttention.Attend(normed, kv, bias))).MoveToOuterDisposeScope();
        kv.Key.MoveToOuterDisposeScope();
        kv.Value.MoveToOuterDisposeScope();
        return (output, kv);
    }
}

/// <summary>Pre-norm cross-attention sub-layer with residual (HF <c>T5LayerCrossAttention</c>: <c>EncDecAttention</c>, <c>layer_norm</c>).</summary>
public sealed class T5LayerCrossAttention : HfModule
{
    readonly T5LayerNorm _norm;
    readonly Dropout _dropout;
    public T5Attention EncDecAttention { get; }

    public T5LayerCrossAttention(T5Config config) : base(nameof(T5LayerCrossAttention))
    {
        EncDecAttention = new T5Attention(config, hasRelativeAttentionBias: false, bidirectional: true);
        _norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        _dropout = nn.Dropout(config.DropoutRate);
        register_module("EncDecAttention", EncDecAttention);
        register_module("layer_norm", _norm);
        register_module("dropout", _dropout);
    }

    /// <summary>
    /// Attends to the encoder output: when <paramref name="cached"/>, to <paramref name="past"/> as the complete
    /// keys/values (returned as aliases, so a new cache owns its own handles); else to those projected from
    /// <paramref name="encoderHidden"/> behind the prefix <paramref name="past"/>. Returns the output and the keys/values used.
    /// </summary>
    public (Tensor Hidden, KeyValue KeyValues) Forward(Tensor hidden, Tensor encoderHidden, Tensor? bias, KeyValue? past, bool cached)
    {
        using var scope = NewDisposeScope();
        KeyValue kv;
        if (cached) kv = new KeyValue(past!.Key.alias(), past.Value.alias());
        else
        {
            kv = EncDecAttention.Project(encoderHidden);
            if (past is not null) kv = new KeyValue(cat(new[] { past.Key, kv.Key }, 2), cat(new[] { past.Value, kv.Value }, 2));
        }
        var output = hidden.Plus(_dropout.forward(EncDecAttention.Attend(_norm.Forward(hidden), kv, bias))).MoveToOuterDisposeScope();
        kv.Key.MoveToOuterDisposeScope();
        kv.Value.MoveToOuterDisposeScope();
        return (output, kv);
    }
}

/// <summary>One T5 block (HF <c>T5Block</c>): <c>layer.0</c> self-attention, in the decoder <c>layer.1</c> cross-attention, then the feed-forward.</summary>
public sealed class T5Block : HfModule
{
    readonly ModuleList<nn.Module> _layer;
    public T5LayerSelfAttention SelfAttention { get; }
    public T5LayerCrossAttention? CrossAttention { get; }
    public T5LayerFF FeedForward { get; }

    public T5Block(T5Config config, bool isDecoder, bool hasRelativeAttentionBias) : base(nameof(T5Block))
    {
        SelfAttention = new T5LayerSelfAttention(config, hasRelativeAttentionBias, bidirectional: !isDecoder);
        CrossAttention = isDecoder ? new T5LayerCrossAttention(config) : null;
        FeedForward = new T5LayerFF(config);
        _layer = CrossAttention is null
            ? nn.ModuleList<nn.Module>(SelfAttention, FeedForward)
            : nn.ModuleList<nn.Module>(SelfAttention, CrossAttention, FeedForward);
        register_module("layer", _layer);
    }
}

/// <summary>
/// T5's encoder or decoder (HF <c>T5Stack</c>: <c>block.{i}</c>, <c>final_layer_norm</c>). It takes
/// embeddings: the word embeddings are the model's <c>shared</c> matrix (HF's <c>encoder.embed_tokens</c> /
/// <c>decoder.embed_tokens</c> are tied aliases of <c>shared</c>). Block 0's self-attention computes the
/// position bias once; every block adds the same bias.
/// </summary>
public sealed class T5Stack : HfModule
{
    readonly Dropout _dropout;
    public bool IsDecoder { get; }
    public ModuleList<T5Block> Block { get; }
    public T5LayerNorm FinalLayerNorm { get; }
    /// <summary>Number of blocks.</summary>
    public int Layers => Block.Count;

    public T5Stack(T5Config config, bool isDecoder) : base(nameof(T5Stack))
    {
        IsDecoder = isDecoder;
        int layers = isDecoder ? config.DecoderLayers : config.NumLayers;
        Block = nn.ModuleList(Enumerable.Range(0, layers).Select(i => new T5Block(config, isDecoder, hasRelativeAttentionBias: i == 0)).ToArray());
        FinalLayerNorm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        _dropout = nn.Dropout(config.DropoutRate);
        register_module("block", Block);
        register_module("final_layer_norm", FinalLayerNorm);
        register_module("dropout", _dropout);
    }

    /// <summary>
    /// Runs the stack over <paramref name="embeds"/> [B, L, d_model]. <paramref name="mask"/>: [B, L] or
    /// [B, P + L] (P = past length) or null (all visible); the decoder adds the causal mask. Positions
    /// start at P. Decoder only: <paramref name="encoderHidden"/> with its <paramref name="crossMask"/>
    /// ([B, S], null = all visible) and <paramref name="crossPast"/>, a cross-attention prefix or, when
    /// <paramref name="crossCached"/>, the complete cross-attention keys/values. Hidden states: embeddings,
    /// then each block's output, the last after <c>final_layer_norm</c> (as HF). Presents: self-attention
    /// past + current keys/values, and the cross-attention keys/values (decoder).
    /// </summary>
    internal (Tensor Last, List<Tensor>? States, List<KeyValue> Presents, List<KeyValue>? Cross) Forward(
        Tensor embeds, Tensor? mask, IReadOnlyList<KeyValue>? past,
        Tensor? encoderHidden, Tensor? crossMask, IReadOnlyList<KeyValue>? crossPast, bool crossCached,
        bool outputHiddenStates)
    {
        using var scope = NewDisposeScope();
        long length = embeds.shape[1];
        long pastLength = past is { Count: > 0 } ? past[0].Key.shape[2] : 0;
        var device = embeds.device;
        var dtype = embeds.dtype;
        var bias = Block[0].SelfAttention.SelfAttention.ComputeBias(pastLength, length, pastLength + length, device).to_type(dtype);
        if (IsDecoder) bias = bias.Plus(Attention.CausalBias(length, pastLength + length, dtype, device));
        if (mask is not null) bias = bias.Plus(Attention.PaddingBias(Seq2SeqChecks.Widen(mask, pastLength, length), dtype));

        Tensor? crossBias = null;
        if (IsDecoder && crossMask is not null)
        {
            long source = crossMask.shape[1], crossLength = crossPast is { Count: > 0 } ? crossPast[0].Key.shape[2] : 0;
            crossBias = Attention.PaddingBias(Seq2SeqChecks.Widen(crossMask, crossCached ? crossLength - source : crossLength, source), dtype);
        }

        var hidden = _dropout.forward(embeds);
        var states = outputHiddenStates ? new List<Tensor>() : null;
        var presents = new List<KeyValue>();
        var cross = IsDecoder ? new List<KeyValue>() : null;
        for (int i = 0; i < Layers; i++)
        {
            states?.Add(hidden);
            var block = Block[i];
            (hidden, var present) = block.SelfAttention.Forward(hidden, bias, past?[i]);
            presents.Add(present);
            if (block.CrossAttention is { } crossAttention)
            {
                (hidden, var kv) = crossAttention.Forward(hidden, encoderHidden!, crossBias, crossPast?[i], crossCached);
                cross!.Add(kv);
            }
            hidden = block.FeedForward.Forward(hidden);
        }
        hidden = _dropout.forward(FinalLayerNorm.Forward(hidden));
        states?.Add(hidden);

        ForwardChecks.MoveOut(hidden, states);
        foreach (var kv in presents.Concat(cross ?? [])) { kv.Key.MoveToOuterDisposeScope(); kv.Value.MoveToOuterDisposeScope(); }
        return (hidden, states, presents, cross);
    }
}

/// <summary>
/// The bare T5 encoder-decoder (HF <c>T5Model</c>: <c>shared</c>, <c>encoder.*</c>, <c>decoder.*</c>).
/// <see cref="Forward"/> returns no logits; <see cref="T5ForConditionalGeneration"/> adds the LM head.
/// </summary>
public class T5Model : HfModule
{
    public T5Config Config { get; }
    public Embedding Shared { get; }
    public T5Stack Encoder { get; }
    public T5Stack Decoder { get; }

    public T5Model(T5Config config) : this(config, nameof(T5Model)) { }

    protected T5Model(T5Config config, string name) : base(name)
    {
        Config = config;
        Shared = nn.Embedding(config.VocabSize, config.DModel);
        Encoder = new T5Stack(config, isDecoder: false);
        Decoder = new T5Stack(config, isDecoder: true);
        register_module("shared", Shared);
        register_module("encoder", Encoder);
        register_module("decoder", Decoder);
    }

    /// <summary>The first decoder input: <c>decoder_start_token_id</c>, else the pad id (T5's convention).</summary>
    public int DecoderStartTokenId => Config.DecoderStartTokenId ?? Config.PadTokenId;

    /// <summary>
    /// Tied aliases, alias key -> source key: <c>encoder.embed_tokens.weight</c> and
    /// <c>decoder.embed_tokens.weight</c> -> <c>shared.weight</c>, and <c>lm_head.weight</c> too when
    /// <c>tie_word_embeddings</c> (for <see cref="T5ForConditionalGeneration"/>).
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> TiedWeights => new Dictionary<string, string>
    {
        ["encoder.embed_tokens.weight"] = "shared.weight",
        ["decoder.embed_tokens.weight"] = "shared.weight",
    };

    public Tensor EmbedTokens(Tensor inputIds) => Shared.forward(inputIds);

    /// <summary>Runs the encoder on the encoder fields of <paramref name="args"/>: its last hidden state [B, S, d_model].</summary>
    public Tensor Encode(Seq2SeqForwardArgs args)
    {
        using var scope = NewDisposeScope();
        return RunEncoder(args with { OutputHiddenStates = false }).Last.MoveToOuterDisposeScope();
    }

    /// <summary>The encoder on <see cref="Seq2SeqForwardArgs.InputIds"/> or <see cref="Seq2SeqForwardArgs.InputsEmbeds"/> behind <see cref="Seq2SeqForwardArgs.EncoderPrefix"/>.</summary>
    (Tensor Last, List<Tensor>? States) RunEncoder(Seq2SeqForwardArgs args)
    {
        using var scope = NewDisposeScope();
        string name = GetName();
        var (batch, length) = Seq2SeqChecks.Input(args.InputIds, args.InputsEmbeds, Config.DModel, "InputIds", "InputsEmbeds", name);
        long prefix = Seq2SeqChecks.KeyValueLength(args.EncoderPrefix, Config.NumLayers, batch, Config.NumHeads, Config.DKv, "EncoderPrefix", name);
        Seq2SeqChecks.Mask(args.AttentionMask, batch, prefix, length, "AttentionMask", name);
        var embeds = args.InputsEmbeds ?? Shared.forward(args.InputIds!);
        var (last, states, _, _) = Encoder.Forward(embeds, args.AttentionMask, args.EncoderPrefix, null, null, null, false, args.OutputHiddenStates);
        ForwardChecks.MoveOut(last, states);
        return (last, states);
    }

    /// <summary>
    /// Encoder (unless <see cref="Seq2SeqForwardArgs.EncoderLastHiddenState"/> is given), decoder and, in subclasses,
    /// the head (skipped with <see cref="Seq2SeqForwardArgs.SkipLmHead"/>).
    /// </summary>
    public Seq2SeqOutput Forward(Seq2SeqForwardArgs args)
    {
        using var scope = NewDisposeScope();
        string name = GetName();
        var (encoderHidden, encoderStates) = args.EncoderLastHiddenState is { } given
            ? (Seq2SeqChecks.EncoderOutput(given, args, Config.DModel, name), null)
            : RunEncoder(args);
        long batch = encoderHidden.shape[0], source = encoderHidden.shape[1];
        var crossMask = Seq2SeqChecks.EncoderOutputMask(args.AttentionMask, batch, source, name);

        var decoderIds = args.DecoderInputIds;
        if (decoderIds is null && args.DecoderInputsEmbeds is null && args.Labels is not null)
            decoderIds = Seq2Seq.ShiftTokensRight(args.Labels, Config.PadTokenId, DecoderStartTokenId);
        var (decoderBatch, length) = Seq2SeqChecks.Input(decoderIds, args.DecoderInputsEmbeds, Config.DModel, "DecoderInputIds", "DecoderInputsEmbeds", name);
        if (decoderBatch != batch)
            throw new ArgumentException($"{name}: the encoder output has batch {batch}, the decoder input {decoderBatch}.");
        var past = Seq2SeqChecks.DecoderPast(args, Config.DecoderLayers, batch, Config.NumHeads, Config.DKv, source, name);
        Seq2SeqChecks.Mask(args.DecoderAttentionMask, batch, past.SelfLength, length, "DecoderAttentionMask", name);
        if (args.Labels is { } labels) Seq2SeqChecks.Labels(labels, batch, length, name);

        var decoderEmbeds = args.DecoderInputsEmbeds ?? Shared.forward(decoderIds!);
        var (last, states, presents, cross) = Decoder.Forward(decoderEmbeds, args.DecoderAttentionMask, past.Self,
            encoderHidden, crossMask, past.Cross, past.CrossCached, args.OutputHiddenStates);

        var logits = args.SkipLmHead ? null : Head(last);
        var loss = logits is not null && args.Labels is not null ? Seq2Seq.Loss(logits, args.Labels) : null;
        Seq2SeqCache? cache = args.UseCache ? new Seq2SeqCache(presents, cross!) : null;

        ForwardChecks.MoveOut(encoderHidden, encoderStates);
        ForwardChecks.MoveOut(last, states);
        logits?.MoveToOuterDisposeScope();
        loss?.MoveToOuterDisposeScope();
        cache?.MoveToOuterDisposeScope();
        return new Seq2SeqOutput(encoderHidden, last, logits, loss, encoderStates, states, cache);
    }

    /// <summary>The LM head on the decoder output [B, T, d_model]; none in the bare model.</summary>
    protected virtual Tensor? Head(Tensor decoderHidden) => null;
}

/// <summary>
/// T5 with its LM head (HF <c>T5ForConditionalGeneration</c>): <c>lm_head.weight</c> [vocab, d_model] of
/// its own (v1.1), or, with <c>tie_word_embeddings</c>, the <c>shared</c> matrix applied to the decoder
/// output scaled by d_model^-0.5 (original T5). Labels give the loss; without decoder inputs they are
/// shifted right behind the decoder start token.
/// </summary>
public sealed class T5ForConditionalGeneration : T5Model, ISeq2SeqModel
{
    readonly Linear? _lmHead;

    public T5ForConditionalGeneration(T5Config config) : base(config, nameof(T5ForConditionalGeneration))
    {
        if (!config.TieWordEmbeddings)
        {
            _lmHead = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
            register_module("lm_head", _lmHead);
        }
        InitWeights(this, config);
    }

    public nn.Module Module => this;
    public string ModelType => Config.ModelType;
    /// <summary>Prefixes match <c>num_heads</c> x <c>d_kv</c> in every layer; T5 does not scale its embeddings.</summary>
    public Seq2SeqDimensions Dimensions => new(Config.DModel,
        new AttentionLayout(Config.NumLayers, Config.NumHeads, Config.DKv),
        new AttentionLayout(Config.DecoderLayers, Config.NumHeads, Config.DKv), 1.0);

    /// <summary>Eos and pad from the config; T5 forces no eos.</summary>
    public GenerationConfig GenerationDefaults(int maxNewTokens, int numBeams = 1) => new()
    {
        MaxNewTokens = maxNewTokens, NumBeams = numBeams, EosTokenId = Config.EosTokenId, PadTokenId = Config.PadTokenId,
    };

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> TiedWeights
    {
        get
        {
            var tied = new Dictionary<string, string>(base.TiedWeights);
            if (Config.TieWordEmbeddings) tied["lm_head.weight"] = "shared.weight";
            return tied;
        }
    }

    protected override Tensor? Head(Tensor decoderHidden)
    {
        if (_lmHead is not null) return _lmHead.forward(decoderHidden);
        using var scaled = decoderHidden.Times(Math.Pow(Config.DModel, -0.5));
        return nn.functional.linear(scaled, Shared.weight!);
    }

    /// <summary>
    /// HF <c>T5PreTrainedModel._init_weights</c> with <c>initializer_factor</c> f: embeddings and head
    /// N(0, f²), q N(0, f²/(d_model d_kv)), k and v N(0, f²/d_model), o N(0, f²/(heads d_kv)), position bias
    /// N(0, f²/d_model), wi N(0, f²/d_model), wo N(0, f²/d_ff), norms f.
    /// </summary>
    static void InitWeights(T5Model model, T5Config c)
    {
        using var _ = no_grad();
        double f = c.InitializerFactor;
        foreach (var (name, p) in model.named_parameters())
        {
            string last = name.Split('.')[^2];
            double std = last switch
            {
                "shared" or "lm_head" => f,
                "q" => f / Math.Sqrt((double)c.DModel * c.DKv),
                "k" or "v" or "relative_attention_bias" or "wi" or "wi_0" or "wi_1" => f / Math.Sqrt(c.DModel),
                "o" => f / Math.Sqrt(c.InnerDim),
                "wo" => f / Math.Sqrt(c.DFf),
                _ => double.NaN,
            };
            if (double.IsNaN(std)) Scalars.With(f, s => p.fill_(s));
            else p.normal_(0, std);
        }
    }
}
