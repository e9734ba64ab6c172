using System.Globalization;
using PromptLearning.Training;

namespace PromptLearning.Prompts;

/// <summary>Connects a <see cref="TaskModel"/> to the <see cref="Trainer{TExample}"/>.</summary>
public static class PromptTraining
{
    /// <summary>
    /// A trainer config with the method's paper hyperparameters (optimizer, learning rate, batch size,
    /// warm-up, clipping, weight decay, seed) for <paramref name="steps"/> steps; Adafactor as in the
    /// prompt-tuning paper (fixed learning rate, no parameter scaling, no momentum).
    /// </summary>
    public static TrainerConfig TrainerConfigFor(PromptMethodConfig config, int steps, int evalEvery = 0) => new()
    {
        MaxSteps = steps,
        BatchSize = config.BatchSize,
        Optimizer = config.Optimizer.ToLowerInvariant() switch
        {
            "adamw" => OptimizerKind.AdamW,
            "adafactor" => OptimizerKind.Adafactor,
            var o => throw new ArgumentException($"{config.Method}: unknown optimizer '{o}' (adamw or adafactor)"),
        },
        LearningRate = config.LearningRate,
        WeightDecay = config.WeightDecay,
        WarmupRatio = config.WarmupRatio,
        Schedule = config.Schedule,
        MaxGradNorm = config.MaxGradNorm > 0 ? config.MaxGradNorm : null,
        EvalEvery = evalEvery,
        Seed = config.Seed,
    };

    /// <summary>
    /// A trainer for <paramref name="model"/>'s trainable parameters with its loss; <paramref name="evaluate"/>
    /// (optional, e.g. <c>() => PromptEvaluation.Evaluate(model, dev)</c>) returns dev metrics for the history,
    /// early stopping and keeping the best prompt (on <see cref="TrainerConfig.MetricForBest"/>, or the main metric).
    /// </summary>
    public static Trainer<PromptExample> CreateTrainer(TaskModel model, TrainerConfig config, Func<TaskMetrics>? evaluate = null)
    {
        var parameters = model.TrainableParameters();
        if (parameters.Count == 0) throw new ArgumentException($"method '{model.Config.Method}' has no trainable parameters");
        return new Trainer<PromptExample>(config, parameters, model.Loss, evaluate is null ? null : () => evaluate().ToDictionary(), model);
    }

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="examples"/> for <paramref name="steps"/> steps with the
    /// method's trainer settings and <paramref name="seed"/> (no dev evaluation, the last step's weights kept) and
    /// prints one line to <paramref name="log"/>: "[label] N steps in S s, final loss L" (mean of the last 10 steps).
    /// Unlike <see cref="PromptExperiment.Run"/> the model stays alive for the caller.
    /// </summary>
    public static TrainResult Train(TaskModel model, IReadOnlyList<PromptExample> examples, int steps, int seed,
        TextWriter? log = null, string? label = null)
    {
        var config = TrainerConfigFor(model.Config, steps) with { Seed = seed, RestoreBest = false, LogEvery = Math.Max(1, steps) };
        var result = CreateTrainer(model, config).Train(examples);
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{label ?? model.Config.Method}] {result.Steps} steps in {result.Elapsed.TotalSeconds:F1} s, final loss {result.StepLosses.TakeLast(10).Average():F3}"));
        return result;
    }

    /// <summary>Share of examples whose predicted label equals <see cref="PromptExample.Label"/>.</summary>
    public static double Accuracy(TaskModel model, IReadOnlyList<PromptExample> examples, int batchSize = 32)
    {
        var predicted = model.PredictLabels(examples, batchSize);
        return predicted.Where((p, i) => p == examples[i].Label).Count() / (double)examples.Count;
    }
}
