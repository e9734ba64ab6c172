using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>Connects a <see cref="PromptModel"/> to the <see cref="Trainer{TExample}"/>.</summary>
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
    /// (optional) returns dev metrics for early stopping and keeping the best prompt.
    /// </summary>
    public static Trainer<PromptExample> CreateTrainer(PromptModel model, TrainerConfig config, Func<IReadOnlyDictionary<string, double>>? evaluate = null)
    {
        var parameters = model.TrainableParameters();
        if (parameters.Count == 0) throw new ArgumentException($"method '{model.Config.Method}' has no trainable parameters");
        return new Trainer<PromptExample>(config, parameters, model.Loss, evaluate, model);
    }

    /// <summary>Share of examples whose predicted label equals <see cref="PromptExample.Label"/>.</summary>
    public static double Accuracy(PromptModel model, IReadOnlyList<PromptExample> examples, int batchSize = 32)
    {
        var predicted = model.PredictLabels(examples, batchSize);
        return predicted.Where((p, i) => p == examples[i].Label).Count() / (double)examples.Count;
    }
}
