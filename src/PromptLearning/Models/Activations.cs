using PromptLearning.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>The activation functions named by <c>hidden_act</c> / <c>activation_function</c>, computed as <c>transformers</c> does.</summary>
public static class Activations
{
    // Scalars held for the process: an implicit double -> Scalar per call is left to the finalizer, which
    // may free it while native code still reads it (see Attention.PaddingBias).
    static readonly Scalar SqrtTwoOverPi = Math.Sqrt(2.0 / Math.PI).ToScalar();
    static readonly Scalar Three = 3.0.ToScalar(), Coefficient = 0.044715.ToScalar(), Half = 0.5.ToScalar();

    /// <summary>
    /// Applies <paramref name="name"/>: <c>gelu</c> (exact, erf), <c>gelu_new</c> / <c>gelu_pytorch_tanh</c>
    /// (tanh approximation, HF's <c>NewGELUActivation</c> formula), <c>relu</c>, <c>silu</c> / <c>swish</c>, <c>tanh</c>.
    /// </summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh(x),
        "relu" => nn.functional.relu(x),
        "silu" or "swish" => nn.functional.silu(x),
        "tanh" => x.tanh(),
        _ => throw new NotSupportedException($"Activation '{name}' (config hidden_act / activation_function) is not supported; use gelu, gelu_new, gelu_pytorch_tanh, relu, silu or tanh."),
    };

    /// <summary>The names <see cref="Apply"/> accepts.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", "tanh"];

    /// <summary>Checks that <paramref name="name"/> is supported, so a bad config fails when the model is built.</summary>
    public static void Validate(string name)
    {
        if (!Supported.Contains(name)) Apply(name, null!);
    }

    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as HF's <c>NewGELUActivation</c>.</summary>
    static Tensor GeluTanh(Tensor x)
    {
        using var cube = x.pow(Three);
        using var inner = x.add(cube, Coefficient);
        using var scaled = inner.mul(SqrtTwoOverPi);
        using var t = scaled.tanh();
        using var onePlus = t.Plus(Scalars.One);
        return x.mul(onePlus).mul_(Half);
    }
}
