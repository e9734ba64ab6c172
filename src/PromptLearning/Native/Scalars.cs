using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Native;

/// <summary>
/// Tensor arithmetic with numbers that keeps every <see cref="Scalar"/> alive for the whole native call.
/// In TorchSharp 0.107 a number converted implicitly to a <see cref="Scalar"/> (as in <c>x * 0.5</c>,
/// <c>x.add_(y)</c> or <c>a + b</c>, whose alpha is an implicit <c>1</c>) is reachable only until its handle
/// is read; the finalizer thread may then free it while libtorch still reads it, which fails as
/// <c>c10::Scalar::toFloat: Expected false to be true</c> or crashes the process. It happens under GC
/// pressure from other threads, as in the .NET Interactive kernel (upstream: dotnet/TorchSharp#1434, open).
/// <c>src/BannedSymbols.txt</c> makes every such call a build error in this repository; these helpers
/// are what to call instead.
/// </summary>
public static class Scalars
{
    /// <summary>1, held for the process: the alpha of a plain addition.</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>0, held for the process.</summary>
    public static readonly Scalar Zero = 0L.ToScalar();

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a += b</c> in place; returns <paramref name="a"/>.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>a + value</c> with a held scalar.</summary>
    public static Tensor Plus(this Tensor a, Scalar value) => a.add(value, One);

    /// <summary><c>a += value</c> in place with a held scalar; returns <paramref name="a"/>.</summary>
    public static Tensor PlusInPlace(this Tensor a, Scalar value) => a.add_(value, One);

    /// <summary><c>a + value</c>.</summary>
    public static Tensor Plus(this Tensor a, double value) => With(value, s => a.add(s, One));

    /// <summary><c>a + value</c> with an integer value (an integer tensor stays integer).</summary>
    public static Tensor Plus(this Tensor a, long value) => With(value, s => a.add(s, One));

    /// <summary><c>a += value</c> in place; returns <paramref name="a"/>.</summary>
    public static Tensor PlusInPlace(this Tensor a, double value) => With(value, s => a.add_(s, One));

    /// <summary><c>a += value</c> in place with an integer value; returns <paramref name="a"/>.</summary>
    public static Tensor PlusInPlace(this Tensor a, long value) => With(value, s => a.add_(s, One));

    /// <summary><c>a * value</c>.</summary>
    public static Tensor Times(this Tensor a, double value) => With(value, s => a.mul(s));

    /// <summary><c>a * value</c> with an integer value (an integer tensor stays integer).</summary>
    public static Tensor Times(this Tensor a, long value) => With(value, s => a.mul(s));

    /// <summary><c>a *= value</c> in place; returns <paramref name="a"/>.</summary>
    public static Tensor TimesInPlace(this Tensor a, double value) => With(value, s => a.mul_(s));

    /// <summary><c>a / value</c>.</summary>
    public static Tensor DividedBy(this Tensor a, double value) => With(value, s => a.div(s));

    /// <summary><c>a /= value</c> in place; returns <paramref name="a"/>.</summary>
    public static Tensor DividedByInPlace(this Tensor a, double value) => With(value, s => a.div_(s));

    /// <summary><c>value - a</c>.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double value)
    {
        using var negated = a.neg();
        return With(value, s => negated.add(s, One));
    }

    /// <summary><c>a²</c> elementwise (TorchSharp's <c>square()</c> converts its exponent implicitly).</summary>
    public static Tensor Squared(this Tensor a) => a.mul(a);

    /// <summary>Integers <c>[start, end)</c> with step 1, as <c>torch.arange(start, end)</c>.</summary>
    public static Tensor Arange(long start, long end, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        using var from = start.ToScalar();
        using var to = end.ToScalar();
        return arange(from, to, One, dtype, device);
    }

    /// <summary>Integers <c>[0, end)</c>, as <c>torch.arange(end)</c>.</summary>
    public static Tensor Arange(long end, ScalarType dtype = ScalarType.Int64, Device? device = null) =>
        Arange(0, end, dtype, device);

    /// <summary>Runs <paramref name="op"/> with <paramref name="value"/> as a <see cref="Scalar"/> held until it returns.</summary>
    public static Tensor With(double value, Func<Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        return op(s);
    }

    /// <summary>Runs <paramref name="op"/> with <paramref name="value"/> as an integer <see cref="Scalar"/> held until it returns.</summary>
    public static Tensor With(long value, Func<Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        return op(s);
    }
}
