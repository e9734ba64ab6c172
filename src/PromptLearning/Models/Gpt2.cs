using PromptLearning.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// HF's <c>Conv1D</c>: a linear layer whose weight is stored [in, out] (y = x W + b), as in the
/// original GPT-2 checkpoints. Keys <c>weight</c> [in, out] and <c>bias</c> [out].
/// </summary>
public sealed class Conv1D : HfModule
{
    /// <summary>The weight [in, out], looked up by name so that it follows <c>Module.to(dtype)</c>, which replaces parameters.</summary>
    public Parameter Weight => get_parameter("weight")!;
    /// <summary>The bias [out] (looked up by name, as <see cref="Weight"/>).</summary>
    public Parameter Bias => get_parameter("bias")!;

    public Conv1D(long inFeatures, long outFeatures) : base(nameof(Conv1D))
    {
        register_parameter("weight", new Parameter(empty(inFeatures, outFeatures)));
        register_parameter("bias", new Parameter(zeros(outFeatures)));
    }

    /// <summary>[.., in] -> [.., out].</summary>
    public Tensor Forward(Tensor x)
    {
        var shape = x.shape.ToArray();
        shape[^1] = Weight.shape[1];
        using var flat = x.reshape(-1, Weight.shape[0]);
        using var y = addmm(Bias, flat, Weight, 1f, 1f);
        return y.view(shape);
    }
}

/// <summary>
/// GPT-2 causal self-attention (HF <c>GPT2Attention</c>: <c>c_attn</c> -> [q | k | v], <c>c_proj</c>).
/// Past keys/values (a prefix or the generation cache) are concatenated in front; the present
/// keys/values (past + current) are returned for the cache.
/// </summary>
public sealed class GPT2Attention : HfModule
{
    readonly int _heads;
    readonly long _hidden;
    readonly double _attnDropout;
    public Conv1D CAttn { get; }
    public Conv1D CProj { get; }
    readonly Dropout _residDropout;

    public GPT2Attention(TransformerConfig config) : base(nameof(GPT2Attention))
    {
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new ArgumentException($"n_embd {config.HiddenSize} is not a multiple of n_head {config.NumAttentionHeads}.");
        _heads = config.NumAttentionHeads;
        _hidden = config.HiddenSize;
        _attnDropout = config.AttentionProbsDropoutProb;
        CAttn = new Conv1D(config.HiddenSize, 3L * config.HiddenSize);
        CProj = new Conv1D(config.HiddenSize, config.HiddenSize);
        _residDropout = nn.Dropout(config.HiddenDropoutProb);
        register_module("c_attn", CAttn);
        register_module("c_proj", CProj);
        register_module("resid_dropout", _residDropout);
    }

    /// <summary>hidden [B, L, H], bias broadcastable to [B, h, L, P+L] -> (output [B, L, H], present keys/values [B, h, P+L, d]).</summary>
    public (Tensor Output, KeyValue Present) Forward(Tensor hidden, Tensor bias, KeyValue? past)
    {
        using var scope = NewDisposeScope();
        var qkv = CAttn.Forward(hidden).split(_hidden, 2);
        var q = Attention.SplitHeads(qkv[0], _heads);
        var k = Attention.SplitHeads(qkv[1], _heads);
        var v = Attention.SplitHeads(qkv[2], _heads);
        if (past is not null)
        {
            k = cat(new[] { past.Key, k }, 2);
            v = cat(new[] { past.Value, v }, 2);
        }
        var context = Attention.ScaledDotProduct(q, k, v, bias, _attnDropout, training);
        var output = _residDropout.forward(CProj.Forward(Attention.MergeHeads(context)));
        output.MoveToOuterDisposeScope();
        k.MoveToOuterDisposeScope();
        v.MoveToOuterDisposeScope();
        return (output, new KeyValue(k, v));
    }
}

/// <summary>GPT-2 feed-forward (HF <c>GPT2MLP</c>: <c>c_fc</c>, activation, <c>c_proj</c>, dropout).</summary>
public sealed class GPT2MLP : HfModule
{
    readonly string _act;
    public Conv1D CFc { get; }
    public Conv1D CProj { get; }
    readonly Dropout _dropout;

    public GPT2MLP(TransformerConfig config) : base(nameof(GPT2MLP))
    {
        Activations.Validate(config.HiddenAct);
        _act = config.HiddenAct;
        CFc = new Conv1D(config.HiddenSize, config.IntermediateSize);
        CProj = new Conv1D(config.IntermediateSize, config.HiddenSize);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        register_module("c_fc", CFc);
        register_module("c_proj", CProj);
        register_module("dropout", _dropout);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return _dropout.forward(CProj.Forward(Activations.Apply(_act, CFc.Forward(hidden)))).MoveToOuterDisposeScope();
    }
}

/// <summary>One pre-LayerNorm GPT-2 block (HF <c>GPT2Block</c>: <c>ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>).</summary>
public sealed class GPT2Block : HfModule
{
    public LayerNorm Ln1 { get; }
    public GPT2Attention Attn { get; }
    public LayerNorm Ln2 { get; }
    public GPT2MLP Mlp { get; }

    public GPT2Block(TransformerConfig config) : base(nameof(GPT2Block))
    {
        Ln1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        Attn = new GPT2Attention(config);
        Ln2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        Mlp = new GPT2MLP(config);
        register_module("ln_1", Ln1);
        register_module("attn", Attn);
        register_module("ln_2", Ln2);
        register_module("mlp", Mlp);
    }

    public (Tensor Hidden, KeyValue Present) Forward(Tensor hidden, Tensor bias, KeyValue? past)
    {
        using var scope = NewDisposeScope();
        var (attended, present) = Attn.Forward(Ln1.forward(hidden), bias, past);
        var h = attended.PlusInPlace(hidden);
        var output = Mlp.Forward(Ln2.forward(h)).PlusInPlace(h);
        output.MoveToOuterDisposeScope();
        present.Key.MoveToOuterDisposeScope();
        present.Value.MoveToOuterDisposeScope();
        return (output, present);
    }
}

/// <summary>The bare GPT-2 decoder (HF <c>GPT2Model</c>: <c>wte</c>, <c>wpe</c>, <c>h.{i}</c>, <c>ln_f</c>).</summary>
public sealed class GPT2Model : HfModule
{
    public TransformerConfig Config { get; }
    public Embedding Wte { get; }
    public Embedding Wpe { get; }
    public ModuleList<GPT2Block> H { get; }
    public LayerNorm LnF { get; }
    readonly Dropout _drop;

    public GPT2Model(TransformerConfig config) : base(nameof(GPT2Model))
    {
        Config = config;
        Wte = nn.Embedding(config.VocabSize, config.HiddenSize);
        Wpe = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        _drop = nn.Dropout(config.HiddenDropoutProb);
        H = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new GPT2Block(config)).ToArray());
        LnF = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        register_module("wte", Wte);
        register_module("wpe", Wpe);
        register_module("drop", _drop);
        register_module("h", H);
        register_module("ln_f", LnF);
    }

    /// <summary>
    /// Runs the decoder. Positions default to <c>past .. past+L-1</c> whatever the padding (as HF's forward);
    /// the attention bias is causal over past + current keys plus the padding mask when one is given.
    /// Hidden states: [i] = input of block i ([0] = wte + wpe), last = <c>ln_f</c> output.
    /// </summary>
    public (Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates, IReadOnlyList<KeyValue>? Presents) Forward(ForwardArgs args)
    {
        using var scope = NewDisposeScope();
        var shape = ForwardChecks.Validate(args, Config, nameof(GPT2Model));
        long past = shape.PastLength;
        var embeds = args.InputsEmbeds ?? Wte.forward(args.InputIds!);
        var device = embeds.device;
        var positions = args.PositionIds ?? Scalars.Arange(past, past + shape.Length, device: device).unsqueeze(0);
        long maxPos = positions.numel() == 0 ? -1 : positions.max().item<long>();
        if (maxPos >= Config.MaxPositionEmbeddings)
            throw new ArgumentException($"GPT2Model: position id {maxPos} (past {past} + length {shape.Length}) is past n_positions ({Config.MaxPositionEmbeddings}).");
        var hidden = embeds.Plus(Wpe.forward(positions));
        if (args.TokenTypeIds is not null) hidden = hidden.PlusInPlace(Wte.forward(args.TokenTypeIds));
        hidden = _drop.forward(hidden);

        var bias = Attention.CausalBias(shape.Length, past + shape.Length, hidden.dtype, device);
        if (args.AttentionMask is not null)
            bias = bias.Plus(Attention.PaddingBias(ForwardChecks.FullMask(args.AttentionMask, shape), hidden.dtype));

        var states = args.OutputHiddenStates ? new List<Tensor>() : null;
        var presents = args.UseCache ? new List<KeyValue>() : null;
        for (int i = 0; i < Config.NumHiddenLayers; i++)
        {
            states?.Add(hidden);
            var (next, present) = H[i].Forward(hidden, bias, args.PastKeyValues?[i]);
            hidden = next;
            presents?.Add(present);
        }
        hidden = LnF.forward(hidden);
        states?.Add(hidden);

        ForwardChecks.MoveOut(hidden, states);
        if (presents is not null)
            foreach (var p in presents) { p.Key.MoveToOuterDisposeScope(); p.Value.MoveToOuterDisposeScope(); }
        return (hidden, states, presents);
    }
}

/// <summary>
/// GPT-2 with its LM head (HF <c>GPT2LMHeadModel</c>): <c>transformer.*</c> keys, <c>lm_head</c> tied to
/// <c>transformer.wte</c> (no bias) when <c>tie_word_embeddings</c>, so the module then has no
/// <c>lm_head.weight</c> of its own (see <see cref="TiedWeights"/>). With <see cref="ForwardArgs.UseCache"/>
/// the output carries the key/value cache (<see cref="ForwardOutput.PresentKeyValues"/>).
/// </summary>
public sealed class GPT2LMHeadModel : HfModule, ILanguageModel
{
    readonly GPT2Model _transformer;
    readonly Linear? _lmHead;

    public GPT2LMHeadModel(TransformerConfig config) : base(nameof(GPT2LMHeadModel))
    {
        if (!config.IsCausal) throw new ArgumentException($"GPT2LMHeadModel needs model_type gpt2, not '{config.ModelType}'.");
        Config = config;
        _transformer = new GPT2Model(config);
        register_module("transformer", _transformer);
        if (!config.TieWordEmbeddings)
        {
            _lmHead = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("lm_head", _lmHead);
        }
        Initialization.InitGpt2(this, config);
    }

    public TransformerConfig Config { get; }
    public nn.Module Module => this;
    /// <summary>The decoder (<c>transformer</c>).</summary>
    public GPT2Model Transformer => _transformer;
    /// <summary><c>transformer.</c>: the prefix of the decoder's keys.</summary>
    public string BaseModelPrefix => "transformer.";

    /// <summary>Tied aliases, alias key -> source key: <c>lm_head.weight</c> -> <c>transformer.wte.weight</c> when tied, else none.</summary>
    public IReadOnlyDictionary<string, string> TiedWeights => TiedWeightsFor(Config);

    /// <inheritdoc/>
    public IReadOnlyList<string> UntrainedHead { get; set; } = [];

    /// <summary>The tied aliases (alias -> source) of a GPT-2 LM built from <paramref name="config"/>.</summary>
    public static IReadOnlyDictionary<string, string> TiedWeightsFor(TransformerConfig config) =>
        config.TieWordEmbeddings
            ? new Dictionary<string, string> { ["lm_head.weight"] = "transformer.wte.weight" }
            : new Dictionary<string, string>();

    public Tensor EmbedTokens(Tensor inputIds) => _transformer.Wte.forward(inputIds);

    public ForwardOutput Forward(ForwardArgs args)
    {
        using var scope = NewDisposeScope();
        var (last, states, presents) = _transformer.Forward(args);
        var logits = args.SkipLmHead ? null : nn.functional.linear(args.HeadInput(last), _lmHead?.weight ?? _transformer.Wte.weight!);
        ForwardChecks.MoveOut(last, states);
        logits?.MoveToOuterDisposeScope();
        if (presents is not null)
            foreach (var p in presents) { p.Key.MoveToOuterDisposeScope(); p.Value.MoveToOuterDisposeScope(); }
        return new ForwardOutput(last, logits, states, presents);
    }
}
