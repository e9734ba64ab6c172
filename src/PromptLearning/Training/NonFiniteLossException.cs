namespace PromptLearning.Training;

/// <summary>
/// Training stopped because the loss (or the gradient norm) became NaN or infinite. The parameters
/// are left as they were before the offending step (or restored to the best ones, when kept).
/// </summary>
public sealed class NonFiniteLossException(int step, string quantity, double value, string hint)
    : Exception($"training stopped at step {step}: {quantity} is {Format(value)}. {hint}")
{
    /// <summary>The step (1-based) whose loss or gradient was not finite.</summary>
    public int Step { get; } = step;
    /// <summary>The non-finite value.</summary>
    public double Value { get; } = value;

    private static string Format(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
}
