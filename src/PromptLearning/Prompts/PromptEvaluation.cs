using PromptLearning.Metrics;
using PromptLearning.Models;
using PromptLearning.Prompts.Seq2Seq;

namespace PromptLearning.Prompts;

/// <summary>
/// A task's dev/test metrics for a <see cref="TaskModel"/> as a <see cref="TaskMetrics"/> (every metric a
/// fraction in [0, 1]): accuracy and macro-F1 (classification), span-F1 (BIO tagging), corpus BLEU and
/// ROUGE-L, ROUGE-1, ROUGE-2 against all references, with the generated texts (generation). An encoder-decoder
/// (<see cref="Seq2SeqTaskModel"/>) is scored on the text it generates: a classification output is right when it is
/// the gold label's word (text-to-text, as Lester et al. score T5).
/// </summary>
public static class PromptEvaluation
{
    /// <summary>Metrics of <paramref name="model"/> on <paramref name="split"/> (task = the split's task, looked up by name in the model).</summary>
    public static TaskMetrics Evaluate(TaskModel model, TaskSplit split, int batchSize = 32, int maxNewTokens = 60, int beams = 1)
    {
        var examples = split.Examples.Select(e => e with { Task = split.Task.Name }).ToList();
        if (model.Tasks.Count == 1) examples = split.Examples.Select(e => e with { Task = null }).ToList();
        switch (split.Task.Kind)
        {
            case TaskKind.Classification:
            {
                var predicted = model.PredictLabels(examples, batchSize);
                var gold = examples.Select(e => e.Label).ToArray();
                return new() { Main = "accuracy", Accuracy = ClassificationMetrics.Accuracy(predicted, gold), MacroF1 = ClassificationMetrics.MacroF1(predicted, gold) };
            }
            case TaskKind.Tagging:
            {
                var tags = split.Task.Labels;
                var predicted = model.PredictTags(examples, batchSize).Select(p => (IReadOnlyList<string>)p.Select(i => tags[i]).ToList()).ToList();
                var gold = examples.Select(e => (IReadOnlyList<string>)e.Tags!.Select(i => tags[i]).ToList()).ToList();
                var s = SpanF1.Compute(predicted, gold);
                return new() { Main = "span_f1", SpanF1 = s.F1, Precision = s.Precision, Recall = s.Recall };
            }
            default:
            {
                var refs = split.References ?? examples.Select(e => (IReadOnlyList<string>)[e.Target ?? ""]).ToList();
                var hyps = model.Generate(examples, maxNewTokens, beams, batchSize);
                return Generated("bleu", hyps, refs);
            }
        }
    }

    /// <summary>
    /// Metrics of an encoder-decoder <paramref name="model"/> on <paramref name="split"/> from its greedy (or beam)
    /// output: accuracy and macro-F1 of the generated label words (an output that is no label's word counts as wrong),
    /// or BLEU and ROUGE-L/1/2 against all references.
    /// </summary>
    public static TaskMetrics Evaluate(Seq2SeqTaskModel model, TaskSplit split, int batchSize = 32, int maxNewTokens = 60, int beams = 1)
    {
        var examples = split.Examples.Select(e => e with { Task = model.Tasks.Count == 1 ? null : split.Task.Name }).ToList();
        var hyps = model.Generate(examples, model.Backbone.GenerationDefaults(maxNewTokens, beams), batchSize);
        switch (split.Task.Kind)
        {
            case TaskKind.Classification:
            {
                var words = (split.Task.Verbalizer?.LabelWords ?? split.Task.Labels).ToList();
                var predicted = hyps.Select(h => words.IndexOf(h.Trim())).ToArray();
                var gold = examples.Select(e => e.Label).ToArray();
                return new()
                {
                    Main = "accuracy", Accuracy = ClassificationMetrics.Accuracy(predicted, gold), MacroF1 = ClassificationMetrics.MacroF1(predicted, gold),
                    Outputs = hyps,
                };
            }
            case TaskKind.Generation:
            {
                var refs = split.References ?? examples.Select(e => (IReadOnlyList<string>)[e.Target ?? ""]).ToList();
                return Generated("rouge_l", hyps, refs);
            }
            default: throw new ArgumentException($"task '{split.Task.Name}': {split.Task.Kind} has no text-to-text form here");
        }
    }

    /// <summary>BLEU (as a fraction) and ROUGE-L/1/2 of generated texts against all references, with the texts.</summary>
    private static TaskMetrics Generated(string main, IReadOnlyList<string> hyps, IReadOnlyList<IReadOnlyList<string>> refs) => new()
    {
        Main = main, Bleu = Bleu.Corpus(hyps, refs).Score / 100, RougeL = RougeL.Corpus(hyps, refs),
        Rouge1 = RougeN.Corpus(hyps, refs, 1), Rouge2 = RougeN.Corpus(hyps, refs, 2), Outputs = hyps,
    };
}
