using PromptLearning.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Word + position + token-type embeddings, then LayerNorm and dropout (HF <c>BertEmbeddings</c> /
/// <c>RobertaEmbeddings</c>). RoBERTa (<see cref="TransformerConfig.IsRoberta"/>) numbers positions
/// from <c>padding_idx + 1</c> and gives pads <c>padding_idx</c>, as <c>transformers</c> does.
/// </summary>
public sealed class BertEmbeddings : HfModule
{
    readonly TransformerConfig _config;
    public Embedding WordEmbeddings { get; }
    public Embedding PositionEmbeddings { get; }
    public Embedding TokenTypeEmbeddings { get; }
    public LayerNorm LayerNorm { get; }
    readonly Dropout _dropout;

    public BertEmbeddings(TransformerConfig config) : base(nameof(BertEmbeddings))
    {
        _config = config;
        WordEmbeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        PositionEmbeddings = config.IsRoberta
            ? nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: RobertaPaddingIdx(config))
            : nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        TokenTypeEmbeddings = nn.Embedding(Math.Max(1, config.TypeVocabSize), config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        register_module("word_embeddings", WordEmbeddings);
        register_module("position_embeddings", PositionEmbeddings);
        register_module("token_type_embeddings", TokenTypeEmbeddings);
        register_module("LayerNorm", LayerNorm);
        register_module("dropout", _dropout);
    }

    static long RobertaPaddingIdx(TransformerConfig config) =>
        config.PadTokenId ?? throw new InvalidDataException("RoBERTa config has no pad_token_id (needed as padding_idx for position ids).");

    /// <summary>
    /// Position ids used when none are given: BERT <c>past .. past+L-1</c>; RoBERTa from ids
    /// <c>(cumsum(id != pad) + past) * (id != pad) + pad</c>, from embeddings <c>pad+1 .. pad+L</c>
    /// (HF ignores the past length there).
    /// </summary>
    public Tensor DefaultPositionIds(Tensor? inputIds, long batch, long length, long pastLength, Device device)
    {
        if (!_config.IsRoberta)
            return Scalars.Arange(pastLength, pastLength + length, device: device).unsqueeze(0).expand(batch, length);
        long pad = RobertaPaddingIdx(_config);
        if (inputIds is null)
            return Scalars.Arange(pad + 1, pad + 1 + length, device: device).unsqueeze(0).expand(batch, length);
        using var padId = pad.ToScalar();
        using var mask = inputIds.ne(padId).to_type(ScalarType.Int64);
        using var cum = mask.cumsum(1).PlusInPlace(pastLength);
        using var inc = cum.mul_(mask);
        return inc.Plus(pad);
    }

    /// <summary>[B, L] ids or [B, L, H] embeddings -> [B, L, H].</summary>
    public Tensor Forward(Tensor? inputIds, Tensor? inputsEmbeds, Tensor? tokenTypeIds, Tensor? positionIds, long pastLength)
    {
        using var scope = NewDisposeScope();
        var embeds = inputsEmbeds ?? WordEmbeddings.forward(inputIds!);
        long batch = embeds.shape[0], length = embeds.shape[1];
        positionIds ??= DefaultPositionIds(inputIds, batch, length, pastLength, embeds.device);
        long maxPos = positionIds.numel() == 0 ? -1 : positionIds.max().item<long>();
        if (maxPos >= _config.MaxPositionEmbeddings)
            throw new ArgumentException($"Position id {maxPos} is past max_position_embeddings ({_config.MaxPositionEmbeddings}): sequence (with past length {pastLength}) too long.");
        tokenTypeIds ??= zeros(batch, length, dtype: ScalarType.Int64, device: embeds.device);
        var x = embeds.Plus(TokenTypeEmbeddings.forward(tokenTypeIds));
        x = x.PlusInPlace(PositionEmbeddings.forward(positionIds));
        x = _dropout.forward(LayerNorm.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>Multi-head self-attention (HF <c>BertSelfAttention</c>, absolute positions); a key/value prefix is concatenated in front of the keys/values.</summary>
public sealed class BertSelfAttention : HfModule
{
    readonly int _heads;
    readonly double _dropout;
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }

    public BertSelfAttention(TransformerConfig config) : base(nameof(BertSelfAttention))
    {
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new ArgumentException($"hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}.");
        _heads = config.NumAttentionHeads;
        _dropout = config.AttentionProbsDropoutProb;
        Query = nn.Linear(config.HiddenSize, config.HiddenSize);
        Key = nn.Linear(config.HiddenSize, config.HiddenSize);
        Value = nn.Linear(config.HiddenSize, config.HiddenSize);
        register_module("query", Query);
        register_module("key", Key);
        register_module("value", Value);
    }

    /// <summary>hidden [B, L, H], bias broadcastable to [B, h, L, P+L] -> context [B, L, H].</summary>
    public Tensor Forward(Tensor hidden, Tensor? bias, KeyValue? past)
    {
        using var scope = NewDisposeScope();
        var q = Attention.SplitHeads(Query.forward(hidden), _heads);
        var k = Attention.SplitHeads(Key.forward(hidden), _heads);
        var v = Attention.SplitHeads(Value.forward(hidden), _heads);
        if (past is not null)
        {
            k = cat(new[] { past.Key, k }, 2);
            v = cat(new[] { past.Value, v }, 2);
        }
        var context = Attention.ScaledDotProduct(q, k, v, bias, _dropout, training);
        return Attention.MergeHeads(context).MoveToOuterDisposeScope();
    }
}

/// <summary>Dense + dropout + residual LayerNorm after attention (HF <c>BertSelfOutput</c>).</summary>
public sealed class BertSelfOutput : HfModule
{
    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }
    readonly Dropout _dropout;

    public BertSelfOutput(TransformerConfig config) : base(nameof(BertSelfOutput))
    {
        Dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        register_module("dense", Dense);
        register_module("LayerNorm", LayerNorm);
        register_module("dropout", _dropout);
    }

    public Tensor Forward(Tensor hidden, Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _dropout.forward(Dense.forward(hidden));
        return LayerNorm.forward(x.PlusInPlace(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>Self-attention followed by its output block (HF <c>BertAttention</c>: <c>self</c>, <c>output</c>).</summary>
public sealed class BertAttention : HfModule
{
    public BertSelfAttention Self { get; }
    public BertSelfOutput Output { get; }

    public BertAttention(TransformerConfig config) : base(nameof(BertAttention))
    {
        Self = new BertSelfAttention(config);
        Output = new BertSelfOutput(config);
        register_module("self", Self);
        register_module("output", Output);
    }

    public Tensor Forward(Tensor hidden, Tensor? bias, KeyValue? past)
    {
        using var context = Self.Forward(hidden, bias, past);
        return Output.Forward(context, hidden);
    }
}

/// <summary>Feed-forward up-projection and activation (HF <c>BertIntermediate</c>).</summary>
public sealed class BertIntermediate : HfModule
{
    readonly string _act;
    public Linear Dense { get; }

    public BertIntermediate(TransformerConfig config) : base(nameof(BertIntermediate))
    {
        Activations.Validate(config.HiddenAct);
        _act = config.HiddenAct;
        Dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        register_module("dense", Dense);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var h = Dense.forward(hidden);
        return Activations.Apply(_act, h);
    }
}

/// <summary>Feed-forward down-projection + dropout + residual LayerNorm (HF <c>BertOutput</c>).</summary>
public sealed class BertOutput : HfModule
{
    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }
    readonly Dropout _dropout;

    public BertOutput(TransformerConfig config) : base(nameof(BertOutput))
    {
        Dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        register_module("dense", Dense);
        register_module("LayerNorm", LayerNorm);
        register_module("dropout", _dropout);
    }

    public Tensor Forward(Tensor hidden, Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _dropout.forward(Dense.forward(hidden));
        return LayerNorm.forward(x.PlusInPlace(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>One transformer encoder layer (HF <c>BertLayer</c>: <c>attention</c>, <c>intermediate</c>, <c>output</c>).</summary>
public sealed class BertLayer : HfModule
{
    public BertAttention Attention { get; }
    public BertIntermediate Intermediate { get; }
    public BertOutput Output { get; }

    public BertLayer(TransformerConfig config) : base(nameof(BertLayer))
    {
        Attention = new BertAttention(config);
        Intermediate = new BertIntermediate(config);
        Output = new BertOutput(config);
        register_module("attention", Attention);
        register_module("intermediate", Intermediate);
        register_module("output", Output);
    }

    public Tensor Forward(Tensor hidden, Tensor? bias, KeyValue? past)
    {
        using var attended = Attention.Forward(hidden, bias, past);
        using var up = Intermediate.Forward(attended);
        return Output.Forward(up, attended);
    }
}

/// <summary>The stack of layers (HF <c>BertEncoder</c>: <c>layer.{i}</c>).</summary>
public sealed class BertEncoder : HfModule
{
    public ModuleList<BertLayer> Layer { get; }

    public BertEncoder(TransformerConfig config) : base(nameof(BertEncoder))
    {
        Layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        register_module("layer", Layer);
    }
}

/// <summary>
/// HF <c>BertPooler</c> (also RoBERTa's): <c>tanh(dense(h[:, 0]))</c>, the first token's final hidden state
/// through a square dense layer. Keys: <c>pooler.dense.weight</c>, <c>pooler.dense.bias</c>.
/// </summary>
public sealed class BertPooler : HfModule
{
    /// <summary>The square dense layer (<c>dense</c>).</summary>
    public Linear Dense { get; }

    /// <summary>A pooler of width <see cref="TransformerConfig.HiddenSize"/> (PyTorch's default initialisation; <see cref="Initialization"/> redraws it as HF does when part of a model).</summary>
    public BertPooler(TransformerConfig config) : base(nameof(BertPooler))
    {
        Dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        register_module("dense", Dense);
    }

    /// <summary>[B, L, H] hidden states -> [B, H] pooled output of the first token.</summary>
    public Tensor Forward(Tensor hidden)
    {
        using var first = hidden.select(1, 0);
        return Pool(first);
    }

    /// <summary>[.., H] hidden states of the pooled tokens -> [.., H] <c>tanh(dense(h))</c>.</summary>
    public Tensor Pool(Tensor token)
    {
        using var dense = Dense.forward(token);
        return dense.tanh();
    }
}

/// <summary>
/// The bare BERT/RoBERTa encoder (HF <c>BertModel</c> / <c>RobertaModel</c>: <c>embeddings</c>,
/// <c>encoder</c>, and <c>pooler</c> when built with one). Masked-LM checkpoints (<c>BertForMaskedLM</c>,
/// <c>RobertaForMaskedLM</c>) store no pooler weights, so the pooler is optional: <see cref="Checkpoints.Pretrained.Load(string, Checkpoints.PretrainedLoadOptions?)"/>
/// adds it when the checkpoint holds <c>pooler.dense.*</c> (BERT pre-training, <c>BertModel</c>,
/// <c>*ForSequenceClassification</c> checkpoints), so its keys map 1:1 and are saved back.
/// </summary>
public sealed class BertModel : HfModule
{
    public TransformerConfig Config { get; }
    public BertEmbeddings Embeddings { get; }
    public BertEncoder Encoder { get; }
    /// <summary>The pooler (<c>pooler</c>), or null when the model was built without one.</summary>
    public BertPooler? Pooler { get; }

    /// <summary>The encoder; <paramref name="addPoolingLayer"/> adds the pooler (HF's <c>add_pooling_layer</c>).</summary>
    public BertModel(TransformerConfig config, bool addPoolingLayer = false) : base(nameof(BertModel))
    {
        Config = config;
        Embeddings = new BertEmbeddings(config);
        Encoder = new BertEncoder(config);
        register_module("embeddings", Embeddings);
        register_module("encoder", Encoder);
        if (addPoolingLayer)
        {
            Pooler = new BertPooler(config);
            register_module("pooler", Pooler);
        }
    }

    /// <summary>Runs embeddings and all layers: last hidden state, and (when asked) every hidden state, [0] = embedding output.</summary>
    public (Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates) Forward(ForwardArgs args)
    {
        using var scope = NewDisposeScope();
        var shape = ForwardChecks.Validate(args, Config, nameof(BertModel));
        var pastLength = shape.PastLength;
        var device = (args.InputIds ?? args.InputsEmbeds)!.device;
        var mask = args.AttentionMask is null
            ? ones(shape.Batch, pastLength + shape.Length, dtype: ScalarType.Int64, device: device)
            : ForwardChecks.FullMask(args.AttentionMask, shape);
        var hidden = Embeddings.Forward(args.InputIds, args.InputsEmbeds, args.TokenTypeIds, args.PositionIds, pastLength);
        var bias = Attention.PaddingBias(mask, hidden.dtype);
        var states = args.OutputHiddenStates ? new List<Tensor> { hidden } : null;
        for (int i = 0; i < Config.NumHiddenLayers; i++)
        {
            hidden = Encoder.Layer[i].Forward(hidden, bias, args.PastKeyValues?[i]);
            states?.Add(hidden);
        }
        ForwardChecks.MoveOut(hidden, states);
        return (hidden, states);
    }
}

/// <summary>Dense + activation + LayerNorm before the BERT decoder (HF <c>BertPredictionHeadTransform</c>).</summary>
public sealed class BertPredictionHeadTransform : HfModule
{
    readonly string _act;
    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }

    public BertPredictionHeadTransform(TransformerConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        _act = config.HiddenAct;
        Dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        register_module("dense", Dense);
        register_module("LayerNorm", LayerNorm);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(Activations.Apply(_act, Dense.forward(hidden))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The masked-LM head: BERT <c>cls.predictions</c> (<c>transform.dense</c>, <c>transform.LayerNorm</c>, act =
/// <c>hidden_act</c>) or RoBERTa <c>lm_head</c> (<c>dense</c>, <c>layer_norm</c>, act = exact gelu always, as
/// HF's <c>RobertaLMHead</c>). The decoder weight is the word-embedding Parameter itself when
/// <c>tie_word_embeddings</c> (no <c>decoder.weight</c> of its own); the decoder bias is <c>bias</c>.
/// </summary>
public sealed class MaskedLMHead : HfModule
{
    readonly bool _roberta;
    readonly BertPredictionHeadTransform? _transform;
    readonly Linear? _dense;
    readonly LayerNorm? _layerNorm;
    readonly Linear? _decoder;

    public MaskedLMHead(TransformerConfig config) : base(nameof(MaskedLMHead))
    {
        _roberta = config.IsRoberta;
        if (_roberta)
        {
            _dense = nn.Linear(config.HiddenSize, config.HiddenSize);
            _layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
            register_module("dense", _dense);
            register_module("layer_norm", _layerNorm);
        }
        else
        {
            _transform = new BertPredictionHeadTransform(config);
            register_module("transform", _transform);
        }
        if (!config.TieWordEmbeddings)
        {
            _decoder = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("decoder", _decoder);
        }
        register_parameter("bias", new Parameter(zeros(config.VocabSize)));
    }

    /// <summary>The decoder bias (HF <c>cls.predictions.bias</c> / <c>lm_head.bias</c>, shared with <c>decoder.bias</c>).</summary>
    /// <remarks>Looked up by name so that it follows <c>Module.to(dtype)</c>, which replaces parameters.</remarks>
    public Parameter Bias => get_parameter("bias")!;

    /// <summary>[.., H] -> [.., V] scores; <paramref name="wordEmbeddings"/> is the tied decoder weight [V, H].</summary>
    public Tensor Forward(Tensor hidden, Tensor wordEmbeddings)
    {
        using var scope = NewDisposeScope();
        var x = _roberta
            ? _layerNorm!.forward(nn.functional.gelu(_dense!.forward(hidden)))
            : _transform!.Forward(hidden);
        return nn.functional.linear(x, _decoder?.weight ?? wordEmbeddings, Bias).MoveToOuterDisposeScope();
    }
}

/// <summary>HF <c>BertOnlyMLMHead</c>: holds <c>predictions</c> so that keys read <c>cls.predictions.*</c>.</summary>
public sealed class BertOnlyMLMHead : HfModule
{
    public MaskedLMHead Predictions { get; }

    public BertOnlyMLMHead(TransformerConfig config) : base(nameof(BertOnlyMLMHead))
    {
        Predictions = new MaskedLMHead(config);
        register_module("predictions", Predictions);
    }
}

/// <summary>
/// BERT or RoBERTa with its masked-LM head (HF <c>BertForMaskedLM</c> / <c>RobertaForMaskedLM</c>), chosen by
/// <see cref="TransformerConfig.ModelType"/>. State-dict keys equal HF's: <c>bert.*</c> + <c>cls.predictions.*</c>,
/// or <c>roberta.*</c> + <c>lm_head.*</c>. Tied weights are one Parameter, so the module lists only their
/// source key; <see cref="TiedWeights"/> names the aliases a checkpoint may also hold.
/// Build with <c>new BertForMaskedLM(config)</c> (HF initialisation), then load weights into <see cref="Module"/>.
/// </summary>
public sealed class BertForMaskedLM : HfModule, ILanguageModel
{
    readonly BertModel _encoder;
    readonly MaskedLMHead _lmHead;

    /// <summary>A freshly initialised model; <paramref name="addPoolingLayer"/> gives the encoder a pooler (<c>bert.pooler.*</c> / <c>roberta.pooler.*</c>).</summary>
    public BertForMaskedLM(TransformerConfig config, bool addPoolingLayer = false) : base(config.IsRoberta ? "RobertaForMaskedLM" : nameof(BertForMaskedLM))
    {
        if (config.IsCausal) throw new ArgumentException($"BertForMaskedLM needs model_type bert or roberta, not '{config.ModelType}'.");
        Config = config;
        _encoder = new BertModel(config, addPoolingLayer);
        register_module(BaseModelPrefix.TrimEnd('.'), _encoder);
        if (config.IsRoberta)
        {
            _lmHead = new MaskedLMHead(config);
            register_module("lm_head", _lmHead);
        }
        else
        {
            var cls = new BertOnlyMLMHead(config);
            _lmHead = cls.Predictions;
            register_module("cls", cls);
        }
        Initialization.InitBert(this, config);
    }

    public TransformerConfig Config { get; }
    public nn.Module Module => this;
    /// <summary>The encoder (<c>bert</c> / <c>roberta</c>).</summary>
    public BertModel Encoder => _encoder;
    /// <summary>The masked-LM head (<c>cls.predictions</c> / <c>lm_head</c>).</summary>
    public MaskedLMHead LMHead => _lmHead;
    /// <summary>The encoder's pooler (<c>bert.pooler</c> / <c>roberta.pooler</c>), or null when the model has none.</summary>
    public BertPooler? Pooler => _encoder.Pooler;

    /// <summary><c>bert.</c> or <c>roberta.</c>: the prefix of the encoder's keys.</summary>
    public string BaseModelPrefix => Config.IsRoberta ? "roberta." : "bert.";

    /// <summary>
    /// Tied aliases, alias key -> source key: keys HF's state dict has that this module shares instead of
    /// storing (BERT <c>cls.predictions.decoder.weight</c> -> <c>bert.embeddings.word_embeddings.weight</c>,
    /// <c>cls.predictions.decoder.bias</c> -> <c>cls.predictions.bias</c>; RoBERTa the same under <c>lm_head.</c>).
    /// A checkpoint loader fills nothing from an alias and accepts it when the file stores it.
    /// </summary>
    public IReadOnlyDictionary<string, string> TiedWeights => TiedWeightsFor(Config);

    /// <inheritdoc/>
    public IReadOnlyList<string> UntrainedHead { get; set; } = [];

    /// <summary>The tied aliases (alias -> source) of a BERT/RoBERTa masked LM built from <paramref name="config"/>.</summary>
    public static IReadOnlyDictionary<string, string> TiedWeightsFor(TransformerConfig config)
    {
        string head = config.IsRoberta ? "lm_head." : "cls.predictions.";
        string prefix = config.IsRoberta ? "roberta." : "bert.";
        var d = new Dictionary<string, string> { [head + "decoder.bias"] = head + "bias" };
        if (config.TieWordEmbeddings) d[head + "decoder.weight"] = prefix + "embeddings.word_embeddings.weight";
        return d;
    }

    public Tensor EmbedTokens(Tensor inputIds) => _encoder.Embeddings.WordEmbeddings.forward(inputIds);

    public ForwardOutput Forward(ForwardArgs args)
    {
        using var scope = NewDisposeScope();
        var (last, states) = _encoder.Forward(args);
        var logits = args.SkipLmHead ? null : _lmHead.Forward(args.HeadInput(last), _encoder.Embeddings.WordEmbeddings.weight!);
        ForwardChecks.MoveOut(last, states);
        logits?.MoveToOuterDisposeScope();
        return new ForwardOutput(last, logits, states, null);
    }
}
