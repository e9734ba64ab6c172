using PromptLearning.Prompts;
using PromptLearning.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pet;

/// <summary>
/// A tiny masked LM for PET tests. Non-contextual: the logits at a position are the row
/// <c>Table[input id]</c> (hand-computable). Contextual: a bag of words, hidden = E[id] + mean of the
/// sequence's E rows, logits = hidden Eᵀ + bias (trainable, so training and distillation can be tested).
/// </summary>
internal sealed class TinyLm : nn.Module, ILanguageModel
{
    private readonly Parameter table;
    private readonly Parameter bias;
    private readonly bool _contextual;

    public TinyLm(int vocab, int hidden, bool contextual, int seed = 1, double dropout = 0.1) : base(nameof(TinyLm))
    {
        _contextual = contextual;
        var gen = new Generator().manual_seed(seed);
        table = new Parameter(torch.randn(new long[] { vocab, contextual ? hidden : vocab }, generator: gen));
        bias = new Parameter(torch.zeros(vocab));
        Config = new TransformerConfig { ModelType = "bert", VocabSize = vocab, HiddenSize = contextual ? hidden : vocab, NumHiddenLayers = 1, NumAttentionHeads = 1, IntermediateSize = 4, MaxPositionEmbeddings = 512, HiddenDropoutProb = dropout };
        RegisterComponents();
    }

    /// <summary>The table (non-contextual: [V, V] logits rows).</summary>
    public Tensor Table => table;

    public TransformerConfig Config { get; }
    public nn.Module Module => this;

    public Tensor EmbedTokens(Tensor inputIds) => table.index_select(0, inputIds.flatten()).view(inputIds.shape[0], inputIds.shape[1], -1);

    public ForwardOutput Forward(ForwardArgs args)
    {
        var h = args.InputsEmbeds ?? EmbedTokens(args.InputIds!);
        // The LM head sees the rows ForwardArgs.LogitsPositions names (all without it), as the real models' heads do.
        if (!_contextual) return new ForwardOutput(h, args.SkipLmHead ? null : args.HeadInput(h) + bias, null, null);
        var mask = (args.AttentionMask ?? torch.ones(h.shape[0], h.shape[1], dtype: ScalarType.Int64)).unsqueeze(-1).to(h.dtype);
        var ctx = (h * mask).sum(1, keepdim: true) / mask.sum(1, keepdim: true);
        var hidden = h + ctx;
        return new ForwardOutput(hidden, args.SkipLmHead ? null : args.HeadInput(hidden).matmul(table.t()) + bias, null, null);
    }
}
