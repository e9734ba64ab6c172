using System.Diagnostics;
using System.Globalization;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using PromptLearning.Training;

namespace PromptLearning.Prompts;

/// <summary>
/// One training run of one method: what it trained on, its dev metrics (<see cref="TaskMetrics"/>, every one a
/// fraction in [0, 1]), its size and cost, and its training history.
/// </summary>
/// <param name="Method">The method's name (<see cref="PromptMethodConfig.Method"/>) or the caller's label.</param>
/// <param name="Task">The task's name.</param>
/// <param name="Seed">The seed of the method's initialisation and of the trainer.</param>
/// <param name="TrainExamples">Number of training examples.</param>
/// <param name="Metric">The task's main metric (accuracy, span_f1 or bleu).</param>
/// <param name="Score">Its value on the dev split (a fraction).</param>
/// <param name="Metrics">Every dev metric.</param>
/// <param name="Trainable">Trainable parameters while training.</param>
/// <param name="TrainableShare">Trainable parameters as a share of the backbone's.</param>
/// <param name="Training">The trainer's result: steps, per-step losses, history, time.</param>
/// <param name="Seconds">Wall-clock seconds of the whole run (build, training, evaluation).</param>
public sealed record ExperimentRun(string Method, string Task, int Seed, int TrainExamples, string Metric, double Score,
    TaskMetrics Metrics, long Trainable, double TrainableShare, TrainResult Training, double Seconds);

/// <summary>
/// The loop every comparison repeats: build a method on a backbone, train it for a budget, score it
/// on dev, and check that a frozen backbone came back unchanged. Notebooks and <c>plearn</c> call it
/// instead of writing their own.
/// </summary>
public static class PromptExperiment
{
    /// <summary>
    /// Builds <paramref name="config"/>'s method on <paramref name="backbone"/> for
    /// <paramref name="train"/>'s task (<see cref="PromptMethodFactory"/>), trains it for
    /// <paramref name="steps"/> steps with the method's trainer settings and seed, evaluates it on
    /// <paramref name="dev"/>, disposes it, and prints one line to <paramref name="log"/>.
    /// <paramref name="progress"/> receives the trainer's reports (every <paramref name="logEvery"/>
    /// steps); with <paramref name="evalEvery"/> &gt; 0 the dev metrics are also measured every that many
    /// steps and kept in the run's history (a learning curve; the last step's weights are scored either way).
    /// Throws when the backbone's weights changed (a frozen method must not move them; methods that
    /// train backbone weights work on their own copy).
    /// </summary>
    public static ExperimentRun Run(ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config,
        TaskSplit train, TaskSplit dev, int steps, string? label = null, TextWriter? log = null,
        IProgress<TrainerProgress>? progress = null, int? logEvery = null, int evalEvery = 0)
    {
        if (train.Task.Name != dev.Task.Name)
            throw new ArgumentException($"train split is task '{train.Task.Name}', dev split is task '{dev.Task.Name}'");
        var clock = Stopwatch.StartNew();
        var before = BackboneFingerprint.Compute(backbone);
        var name = label ?? config.Method;
        using var model = PromptMethodFactory.Create(backbone, tokenizer, train.Task, config);
        var trainerConfig = PromptTraining.TrainerConfigFor(config, steps, evalEvery) with
        {
            RestoreBest = false, LogEvery = logEvery ?? Math.Max(1, steps),
        };
        var result = PromptTraining.CreateTrainer(model, trainerConfig, evalEvery > 0 ? () => PromptEvaluation.Evaluate(model, dev) : null)
            .Train(train.Examples, progress);
        var metrics = PromptEvaluation.Evaluate(model, dev);
        if (BackboneFingerprint.Compute(backbone) != before)
            throw new InvalidOperationException($"{name}: the backbone's weights changed during training");
        string metric = metrics.Main;
        double score = metrics.MainValue;
        var run = new ExperimentRun(name, train.Task.Name, config.Seed, train.Examples.Count, metric, score, metrics,
            model.TrainableParameterCount, model.TrainableShare, result, clock.Elapsed.TotalSeconds);
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Task} / {name}, {run.TrainExamples} examples, seed {run.Seed}: dev {metric} {score:F3} " +
            $"({string.Join(", ", metrics.ToDictionary().Skip(1).Select(m => $"{m.Key} {m.Value:F3}"))}), " +
            $"{run.Trainable:N0} trainable, {result.Steps} steps, {run.Seconds:F1} s"));
        return run;
    }
}
