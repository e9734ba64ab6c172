using PromptLearning.Models;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.PrefixTuning;

/// <summary>
/// Prefix tuning's "initialise with real words": the keys and values the frozen backbone itself
/// computes, in every layer, for the tokens of a phrase. GPT-2 hands them back from its cache; for
/// BERT/RoBERTa they are the layers' key/value projections of each layer's input hidden states.
/// </summary>
public static class RealWordPrefix
{
    /// <summary>Number of tokens of <paramref name="text"/>: the prefix length of a real-word initialisation.</summary>
    public static int TokenCount(TextTokenizer tokenizer, string text)
    {
        int n = tokenizer.Encode(text).Count;
        return n > 0 ? n : throw new ArgumentException($"prefix init text '{text}' has no tokens");
    }

    /// <summary>
    /// Keys/values of <paramref name="text"/>'s tokens, [layers, 2, heads, n, head_dim]: the tokens are
    /// repeated or cut to <paramref name="length"/>.
    /// </summary>
    public static Tensor Activations(ILanguageModel backbone, TextTokenizer tokenizer, string text, int length)
    {
        var c = backbone.Config;
        var ids = tokenizer.Encode(text);
        if (ids.Count == 0) throw new ArgumentException($"prefix init text '{text}' has no tokens");
        var cycled = Enumerable.Range(0, length).Select(i => (long)ids[i % ids.Count]).ToArray();
        bool was = backbone.Module.training;
        backbone.Module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = tensor(cycled, device: Devices.Of(backbone.Module)).unsqueeze(0);
            var output = backbone.Forward(new ForwardArgs { InputIds = input, UseCache = c.IsCausal, OutputHiddenStates = !c.IsCausal, SkipLmHead = true });
            var layers = new List<Tensor>();
            if (output.PresentKeyValues is { } present)
                foreach (var kv in present) layers.Add(stack([kv.Key[0], kv.Value[0]], 0));
            else
            {
                var hs = output.HiddenStates ?? throw new InvalidOperationException("backbone returned neither keys/values nor hidden states");
                var named = backbone.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                for (int l = 0; l < c.NumHiddenLayers; l++)
                {
                    var k = Project(named, l, "key", hs[l][0]);
                    var v = Project(named, l, "value", hs[l][0]);
                    layers.Add(stack([Heads(k, c), Heads(v, c)], 0));
                }
            }
            return stack(layers, 0).MoveToOuterDisposeScope();
        }
        finally { backbone.Module.train(was); }
    }

    private static Tensor Project(Dictionary<string, TorchSharp.Modules.Parameter> named, int layer, string which, Tensor h)
    {
        var suffix = $"encoder.layer.{layer}.attention.self.{which}.";
        var w = named.FirstOrDefault(p => p.Key.EndsWith(suffix + "weight", StringComparison.Ordinal)).Value
            ?? throw new InvalidOperationException($"backbone has no parameter '*{suffix}weight' to compute real-word prefixes from");
        var b = named.FirstOrDefault(p => p.Key.EndsWith(suffix + "bias", StringComparison.Ordinal)).Value;
        return nn.functional.linear(h, w, b);
    }

    private static Tensor Heads(Tensor x, TransformerConfig c) // [n, hidden] -> [heads, n, head_dim]
        => x.view(x.shape[0], c.NumAttentionHeads, c.HeadDim).permute(1, 0, 2);
}
