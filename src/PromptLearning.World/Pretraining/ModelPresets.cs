using PromptLearning.Models;

namespace PromptLearning.Pretraining;

/// <summary>
/// The architectures of the shipped checkpoints: <c>bert</c>, <c>gpt2</c> or <c>bart</c> at size <c>small</c>
/// or <c>base</c> (small enough to pretrain on two CPU cores and ship under 25 MB), and <c>deep</c> (twice base's
/// depth at about its compute per token; shipped as <c>data/models/bert-deep</c>, the P-tuning v2 backbone).
/// </summary>
public static class ModelPresets
{
    /// <summary>Known sizes.</summary>
    public static readonly IReadOnlyList<string> Sizes = new[] { "small", "base", "deep" };

    /// <summary>
    /// A BART config at <paramref name="size"/> as <c>facebook/bart-base</c>'s (gelu, dropout 0.1, no embedding scale,
    /// tied embeddings, <c>&lt;s&gt;</c>=0, <c>&lt;pad&gt;</c>=1, <c>&lt;/s&gt;</c>=2 as eos and decoder start,
    /// forced bos 0 and eos 2) with the given vocabulary; d_model, heads and feed-forward as the BERT and GPT-2 presets,
    /// and as many encoder layers and decoder layers as they have layers.
    /// </summary>
    public static BartConfig CreateBart(string size, int vocabSize, int maxPositions)
    {
        var (hidden, layers, heads) = Dimensions(size);
        return new BartConfig
        {
            VocabSize = vocabSize, DModel = hidden, EncoderLayers = layers, DecoderLayers = layers,
            EncoderAttentionHeads = heads, DecoderAttentionHeads = heads, EncoderFfnDim = 4 * hidden, DecoderFfnDim = 4 * hidden,
            MaxPositionEmbeddings = maxPositions, ActivationFunction = "gelu", Dropout = 0.1, AttentionDropout = 0.1,
            ActivationDropout = 0.1, InitStd = 0.02, ScaleEmbedding = false, PadTokenId = 1, BosTokenId = 0, EosTokenId = 2,
            DecoderStartTokenId = 2, ForcedBosTokenId = 0, ForcedEosTokenId = 2, TieWordEmbeddings = true,
        };
    }

    private static (int Hidden, int Layers, int Heads) Dimensions(string size) => size switch
    {
        "small" => (128, 4, 4),
        "base" => (256, 4, 4),
        // twice base's depth at about its compute per token: 8 layers of 3 heads of 64 dimensions
        "deep" => (192, 8, 3),
        _ => throw new ArgumentException($"--size must be one of {string.Join(", ", Sizes)}, not '{size}'"),
    };

    /// <summary>
    /// The config for <paramref name="arch"/> (<c>bert</c> | <c>gpt2</c>) and <paramref name="size"/>
    /// with the given vocabulary and special-token ids.
    /// </summary>
    public static TransformerConfig Create(string arch, string size, int vocabSize, int maxPositions, int? padTokenId, int? eosTokenId)
    {
        var (hidden, layers, heads) = Dimensions(size);
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
            _ => throw new ArgumentException($"--arch must be bert or gpt2 here (bart: CreateBart), not '{arch}'"),
        };
    }
}
