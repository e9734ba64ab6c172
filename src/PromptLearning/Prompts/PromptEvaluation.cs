using PromptLearning.Metrics;
using PromptLearning.Models;
using PromptLearning.Prompts.Seq2Seq;

namespace PromptLearning.Prompts;

/// <summary>
/// A task's dev/test metrics for a <see cref="PromptModel"/>: accuracy and macro-F1 (classification),
/// span-F1 (BIO tagging), corpus BLEU (0-100) and ROUGE-L, ROUGE-1, ROUGE-2 (fractions) against all references
/// (generation). The first key is the task's main metric (what early stopping watches). An encoder-decoder
/// (<see cref="Seq2SeqPromptModel"/>) is scored on the text it generates: a classification output is right when it is
/// the gold label's word (text-to-text, as Lester et al. score T5).
/// </summary>
public static class PromptEvaluation
{
    /// <summary>Metrics of <paramref name="model"/> on <paramref name="split"/> (task = the split's task, looked up by name in the model).</summary>
    public static Dictionary<string, double> Evaluate(PromptModel model, TaskSplit split, int batchSize = 32, int maxNewTokens = 60, int beams = 1)
    {
        var examples = split.Examples.Select(e => e with { Task = split.Task.Name }).ToList();
        if (model.Tasks.Count == 1) examples = split.Examples.Select(e => e with { Task = null }).ToList();
        switch (split.Task.Kind)
        {
            case TaskKind.Classification:
            {
                var predicted = model.PredictLabels(examples, batchSize);
                var gold = examples.Select(e => e.Label).ToArray();
                return new() { ["accuracy"] = ClassificationMetrics.Accuracy(predicted, gold), ["macro_f1"] = ClassificationMetrics.MacroF1(predicted, gold) };
            }
            case TaskKind.Tagging:
            {
                var tags = split.Task.Labels;
                var predicted = model.PredictTags(examples, batchSize).Select(p => (IReadOnlyList<string>)p.Select(i => tags[i]).ToList()).ToList();
                var gold = examples.Select(e => (IReadOnlyList<string>)e.Tags!.Select(i => tags[i]).ToList()).ToList();
                var s = SpanF1.Compute(predicted, gold);
                return new() { ["span_f1"] = s.F1, ["precision"] = s.Precision, ["recall"] = s.Recall };
            }
            default:
            {
                var refs = split.References ?? examples.Select(e => (IReadOnlyList<string>)[e.Target ?? ""]).ToList();
                var hyps = model.Generate(examples, maxNewTokens, beams, batchSize);
                return new()
                {
                    ["bleu"] = Bleu.Corpus(hyps, refs).Score, ["rouge_l"] = RougeL.Corpus(hyps, refs),
                    ["rouge_1"] = RougeN.Corpus(hyps, refs, 1), ["rouge_2"] = RougeN.Corpus(hyps, refs, 2),
                };
            }
        }
    }

    /// <summary>
    /// Metrics of an encoder-decoder <paramref name="model"/> on <paramref name="split"/> from its greedy (or beam)
    /// output: accuracy and macro-F1 of the generated label words (an output that is no label's word counts as wrong),
    /// or BLEU and ROUGE-L/1/2 against all references.
    /// </summary>
    public static Dictionary<string, double> Evaluate(Seq2SeqPromptModel model, TaskSplit split, int batchSize = 32, int maxNewTokens = 60, int beams = 1)
    {
        var examples = split.Examples.Select(e => e with { Task = model.Tasks.Count == 1 ? null : split.Task.Name }).ToList();
        var hyps = model.Generate(examples, model.Backbone.GenerationDefaults(maxNewTokens, beams), batchSize);
        switch (split.Task.Kind)
        {
            case TaskKind.Classification:
            {
                var words = (split.Task.Verbalizer ?? split.Task.Labels).ToList();
                var predicted = hyps.Select(h => words.IndexOf(h.Trim())).ToArray();
                var gold = examples.Select(e => e.Label).ToArray();
                return new() { ["accuracy"] = ClassificationMetrics.Accuracy(predicted, gold), ["macro_f1"] = ClassificationMetrics.MacroF1(predicted, gold) };
            }
            case TaskKind.Generation:
            {
                var refs = split.References ?? examples.Select(e => (IReadOnlyList<string>)[e.Target ?? ""]).ToList();
                return new()
                {
                    ["rouge_l"] = RougeL.Corpus(hyps, refs), ["rouge_1"] = RougeN.Corpus(hyps, refs, 1), ["rouge_2"] = RougeN.Corpus(hyps, refs, 2),
                    ["bleu"] = Bleu.Corpus(hyps, refs).Score,
                };
            }
            default: throw new ArgumentException($"task '{split.Task.Name}': {split.Task.Kind} has no text-to-text form here");
        }
    }
}
