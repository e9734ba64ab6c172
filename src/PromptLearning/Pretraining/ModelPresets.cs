using PromptLearning.Models;

namespace PromptLearning.Pretraining;

/// <summary>
/// The architectures of the shipped checkpoints: <c>bert</c> or <c>gpt2</c> at size <c>small</c>
/// or <c>base</c> (small enough to pretrain on two CPU cores and ship under 25 MB).
/// </summary>
public static class ModelPresets
{
    /// <summary>Known sizes.</summary>
    public static readonly IReadOnlyList<string> Sizes = new[] { "small", "base" };

    /// <summary>
    /// The config for <paramref name="arch"/> (<c>bert</c> | <c>gpt2</c>) and <paramref name="size"/>
    /// with the given vocabulary and special-token ids.
    /// </summary>
    public static TransformerConfig Create(string arch, string size, int vocabSize, int maxPositions, int? padTokenId, int? eosTokenId)
    {
        var (hidden, layers, heads) = size switch
        {
            "small" => (128, 4, 4),
            "base" => (256, 4, 4),
            _ => throw new ArgumentException($"--size must be one of {string.Join(", ", Sizes)}, not '{size}'"),
        };
        return arch switch
        {
            "bert" => new TransformerConfig
            {
                ModelType = "bert", VocabSize = vocabSize, HiddenSize = hidden, NumHiddenLayers = layers,
                NumAttentionHeads = heads, IntermediateSize = 4 * hidden, MaxPositionEmbeddings = maxPositions,
                TypeVocabSize = 2, LayerNormEps = 1e-12, HiddenAct = "gelu", PadTokenId = padTokenId,
                HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1, InitializerRange = 0.02,
            },
            "gpt2" => new TransformerConfig
            {
                ModelType = "gpt2", VocabSize = vocabSize, HiddenSize = hidden, NumHiddenLayers = layers,
                NumAttentionHeads = heads, IntermediateSize = 4 * hidden, MaxPositionEmbeddings = maxPositions,
                LayerNormEps = 1e-5, HiddenAct = "gelu_new", BosTokenId = eosTokenId, EosTokenId = eosTokenId,
                HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1, InitializerRange = 0.02,
            },
            _ => throw new ArgumentException($"--arch must be bert or gpt2, not '{arch}'"),
        };
    }
}
