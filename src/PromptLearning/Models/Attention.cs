using PromptLearning.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>Mask and attention arithmetic shared by the BERT and GPT-2 blocks (as <c>transformers</c> computes it).</summary>
internal static class Attention
{
    /// <summary>The most negative finite value of <paramref name="dtype"/> (HF masks with <c>torch.finfo(dtype).min</c>).</summary>
    public static double MinValue(ScalarType dtype) => finfo(dtype).min;

    /// <summary>
    /// Turns a [B, K] mask (1 = attend, 0 = padding) into the additive bias [B, 1, 1, K]:
    /// (1 - mask) * min, as HF's <c>get_extended_attention_mask</c>.
    /// </summary>
    public static Tensor PaddingBias(Tensor mask, ScalarType dtype)
    {
        // An explicit scalar, disposed after use (see Scalars).
        using var min = MinValue(dtype).ToScalar();
        using var m = mask.to_type(dtype);
        using var inv = m.SubtractedFrom(1.0);
        using var bias = inv.mul_(min);
        return bias.unsqueeze(1).unsqueeze(1);
    }

    /// <summary>
    /// Additive causal bias [1, 1, Q, K] for Q queries that are the last Q of K keys: query i sees
    /// key j when j &lt;= K - Q + i; other entries get the dtype's min.
    /// </summary>
    public static Tensor CausalBias(long queries, long keys, ScalarType dtype, Device device)
    {
        using var ones = torch.ones(queries, keys, dtype: ScalarType.Bool, device: device);
        using var visible = ones.tril(keys - queries);
        using var zero = torch.zeros(1, dtype: dtype, device: device);
        using var minValue = MinValue(dtype).ToScalar();
        using var min = torch.full(1, minValue, dtype: dtype, device: device);
        using var bias = torch.where(visible, zero, min);
        return bias.unsqueeze(0).unsqueeze(0);
    }

    /// <summary>
    /// softmax(q kᵀ / sqrt(d) + bias) v with dropout on the probabilities when training.
    /// q: [B, h, Q, d]; k, v: [B, h, K, d]; bias broadcastable to [B, h, Q, K].
    /// Without autograd (evaluation, generation) libtorch's fused <c>scaled_dot_product_attention</c> runs
    /// (faster, same values within float noise); with autograd the explicit form runs, whose backward is
    /// cheaper on CPU. Both meet the HF parity tolerance (the parity tests cover both).
    /// </summary>
    public static Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor? bias, double dropout, bool training)
    {
        if (!is_grad_enabled())
            return nn.functional.scaled_dot_product_attention(q, k, v, bias, training ? dropout : 0.0);
        using var kt = k.transpose(-1, -2);
        using var scores = matmul(q, kt);
        scores.DividedByInPlace(Math.Sqrt(q.shape[^1]));
        if (bias is not null) scores.PlusInPlace(bias);
        using var probs = scores.softmax(-1);
        if (training && dropout > 0)
        {
            using var dropped = nn.functional.dropout(probs, dropout, true);
            return matmul(dropped, v);
        }
        return matmul(probs, v);
    }

    /// <summary>[B, L, h*d] -> [B, h, L, d].</summary>
    public static Tensor SplitHeads(Tensor x, int heads)
    {
        var s = x.shape;
        using var v = x.view(s[0], s[1], heads, s[2] / heads);
        return v.permute(0, 2, 1, 3);
    }

    /// <summary>[B, h, L, d] -> [B, L, h*d].</summary>
    public static Tensor MergeHeads(Tensor x)
    {
        var s = x.shape;
        using var p = x.permute(0, 2, 1, 3);
        using var c = p.contiguous();
        return c.view(s[0], s[2], s[1] * s[3]);
    }
}
