using PromptLearning.Native;
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
                    ln.weight?.fill_(Scalars.One);
                    ln.bias?.zero_();
                    break;
            }
        }
    }

    /// <summary>
    /// Redraws <paramref name="module"/>'s Linear, Embedding and LSTM parameters from PyTorch's default
    /// distributions (<c>reset_parameters</c>) with <paramref name="generator"/>, leaving torch's global
    /// generator alone: Linear weight and bias U(±1/√fan_in), Embedding N(0, 1), every LSTM tensor U(±1/√hidden).
    /// </summary>
    public static void ResetWithGenerator(nn.Module module, Generator generator)
    {
        using var _ = no_grad();
        static void Uniform(Tensor t, double bound, Generator g) => t.copy_(rand(t.shape, generator: g).TimesInPlace(2 * bound).PlusInPlace(-bound));
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Linear lin:
                {
                    double bound = 1 / Math.Sqrt(lin.weight!.shape[1]);
                    Uniform(lin.weight, bound, generator);
                    if (lin.bias is not null) Uniform(lin.bias, bound, generator);
                    break;
                }
                case Embedding emb:
                    emb.weight!.copy_(randn(emb.weight.shape, generator: generator));
                    break;
                case LSTM lstm:
                {
                    var parameters = lstm.named_parameters().ToList();
                    var hh = parameters.First(p => p.name.StartsWith("weight_hh", StringComparison.Ordinal)).parameter;
                    double bound = 1 / Math.Sqrt(hh.shape[1]);
                    foreach (var (_, p) in parameters) Uniform(p, bound, generator);
                    break;
                }
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
