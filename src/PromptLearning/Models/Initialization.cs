using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>Fresh weights as <c>transformers</c>' <c>_init_weights</c> draws them (used when a model is built from a config).</summary>
internal static class Initialization
{
    /// <summary>Linear / Conv1D / Embedding weights ~ N(0, initializer_range), biases 0, embedding padding row 0, LayerNorm (1, 0).</summary>
    public static void InitCommon(nn.Module model, double std)
    {
        using var _ = no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case Linear lin:
                    lin.weight!.normal_(0, std);
                    lin.bias?.zero_();
                    break;
                case Conv1D conv:
                    conv.Weight.normal_(0, std);
                    conv.Bias.zero_();
                    break;
                case Embedding emb:
                    emb.weight!.normal_(0, std);
                    break;
                case LayerNorm ln:
                    ln.weight?.fill_(1.0);
                    ln.bias?.zero_();
                    break;
            }
        }
    }

    public static void InitBert(BertForMaskedLM model, TransformerConfig config)
    {
        InitCommon(model, config.InitializerRange);
        using var _ = no_grad();
        var emb = model.Encoder.Embeddings;
        if (config.PadTokenId is { } pad && pad >= 0 && pad < config.VocabSize) emb.WordEmbeddings.weight![pad].zero_();
        if (config.IsRoberta && config.PadTokenId is { } p && p < config.MaxPositionEmbeddings) emb.PositionEmbeddings.weight![p].zero_();
        model.LMHead.Bias.zero_();
    }

    /// <summary>GPT-2 also scales every <c>c_proj.weight</c> to N(0, initializer_range / sqrt(2 n_layer)).</summary>
    public static void InitGpt2(nn.Module model, TransformerConfig config)
    {
        InitCommon(model, config.InitializerRange);
        using var _ = no_grad();
        double std = config.InitializerRange / Math.Sqrt(2.0 * config.NumHiddenLayers);
        foreach (var (name, p) in model.named_parameters())
            if (name.EndsWith("c_proj.weight", StringComparison.Ordinal)) p.normal_(0, std);
    }
}
