using TorchSharp;

namespace PromptLearning.Training;

/// <summary>Label values shared by every loss of the library.</summary>
public static class LossLabels
{
    /// <summary>
    /// The label of a position (or row) without a loss: cross-entropy skips it (<c>ignore_index</c>,
    /// -100 as in PyTorch and <c>transformers</c>). Masked-LM, causal-LM, PET's auxiliary MLM, token
    /// and generation labels all use it.
    /// </summary>
    public const long IgnoreIndex = -100;

    /// <summary><see cref="IgnoreIndex"/> as a TorchSharp scalar held for the process (for <c>ne</c>, <c>masked_fill</c>; see <see cref="Native.Scalars"/>).</summary>
    public static readonly Scalar IgnoreIndexScalar = IgnoreIndex.ToScalar();
}
