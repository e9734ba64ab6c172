using System.Globalization;

namespace PromptLearning.Training;

/// <summary>
/// One progress report of a <see cref="Trainer{TExample}"/>: sent every
/// <see cref="TrainerConfig.LogEvery"/> steps and after each evaluation (then <see cref="Metrics"/> is set).
/// </summary>
/// <param name="Step">Optimizer steps done (1-based).</param>
/// <param name="MaxSteps">Planned steps.</param>
/// <param name="Epoch">Passes over the training set begun (1-based).</param>
/// <param name="Loss">Mean training loss since the previous report.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="GradNorm">Global gradient L2 norm of the last step, before clipping.</param>
/// <param name="Metrics">Dev metrics when this report follows an evaluation, else null.</param>
/// <param name="IsBest">True when this evaluation is the best so far.</param>
/// <param name="Elapsed">Wall time since training began.</param>
public sealed record TrainerProgress(
    int Step, int MaxSteps, int Epoch, double Loss, double LearningRate, double GradNorm,
    IReadOnlyDictionary<string, double>? Metrics, bool IsBest, TimeSpan Elapsed)
{
    /// <summary>One line: step, epoch, loss, lr, grad norm, metrics, elapsed.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var width = MaxSteps.ToString(ci).Length;
        var line = string.Create(ci, $"step {Step.ToString(ci).PadLeft(width)}/{MaxSteps} | epoch {Epoch} | loss {Loss:F4} | lr {LearningRate:E2} | grad {GradNorm:F3}");
        if (Metrics is not null)
            line += " | " + string.Join(" ", Metrics.Select(m => string.Create(ci, $"{m.Key} {m.Value:F4}"))) + (IsBest ? " *" : "");
        return line + string.Create(ci, $" | {Elapsed.TotalSeconds:F1}s");
    }
}

/// <summary>
/// The default progress printer: writes each report it receives (<see cref="TrainerProgress.ToString"/>)
/// as one line; usable from the CLI (console) and notebooks (any <see cref="TextWriter"/>).
/// </summary>
public sealed class ProgressPrinter : IProgress<TrainerProgress>
{
    private readonly TextWriter _writer;
    private readonly string _prefix;

    /// <summary>Prints to <paramref name="writer"/> (default: the console), each line after <paramref name="prefix"/>.</summary>
    public ProgressPrinter(TextWriter? writer = null, string prefix = "")
    {
        _writer = writer ?? Console.Out;
        _prefix = prefix;
    }

    public void Report(TrainerProgress value)
    {
        _writer.WriteLine(_prefix + value);
        _writer.Flush();
    }
}
