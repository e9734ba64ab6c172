using System.Globalization;

namespace PromptLearning.Prompts;

/// <summary>
/// What <see cref="PromptEvaluation"/> measured on one task's split. <b>Every metric is a fraction in
/// [0, 1]</b>, as scikit-learn, seqeval and rouge-score return them; BLEU too (sacreBLEU's 0-100 score
/// divided by 100). Papers and the notebooks print points: multiply by 100. A metric the task kind does
/// not have is null: classification has <see cref="Accuracy"/> and <see cref="MacroF1"/>, tagging
/// <see cref="SpanF1"/>, <see cref="Precision"/> and <see cref="Recall"/>, generation <see cref="Bleu"/>
/// and <see cref="RougeL"/>, <see cref="Rouge1"/>, <see cref="Rouge2"/> (and <see cref="Outputs"/>).
/// </summary>
public sealed record TaskMetrics
{
    /// <summary>Name of the task's main metric (what early stopping and <see cref="MainValue"/> read): accuracy, span_f1, bleu or rouge_l.</summary>
    public required string Main { get; init; }
    /// <summary>Share of examples whose predicted label is the gold one.</summary>
    public double? Accuracy { get; init; }
    /// <summary>Unweighted mean of the per-label F1 scores.</summary>
    public double? MacroF1 { get; init; }
    /// <summary>Entity-level F1 of BIO tags (seqeval's default mode).</summary>
    public double? SpanF1 { get; init; }
    /// <summary>Entity-level precision of BIO tags.</summary>
    public double? Precision { get; init; }
    /// <summary>Entity-level recall of BIO tags.</summary>
    public double? Recall { get; init; }
    /// <summary>Corpus BLEU against all references (sacreBLEU's 13a tokenisation), as a fraction.</summary>
    public double? Bleu { get; init; }
    /// <summary>ROUGE-L F-measure against the best reference, averaged over examples.</summary>
    public double? RougeL { get; init; }
    /// <summary>ROUGE-1 F-measure.</summary>
    public double? Rouge1 { get; init; }
    /// <summary>ROUGE-2 F-measure.</summary>
    public double? Rouge2 { get; init; }
    /// <summary>Generated texts in the split's order (generation, and text-to-text classification); null otherwise.</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>The value of the main metric.</summary>
    public double MainValue => this[Main];

    /// <summary>A metric by its snake_case name (<c>accuracy</c>, <c>macro_f1</c>, <c>span_f1</c>, <c>precision</c>, <c>recall</c>, <c>bleu</c>, <c>rouge_l</c>, <c>rouge_1</c>, <c>rouge_2</c>).</summary>
    public double this[string name] => ToDictionary().TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"metric '{name}' was not measured for this task (measured: {string.Join(", ", ToDictionary().Keys)})");

    /// <summary>The measured metrics by snake_case name, the main one first (for JSON, tables and the trainer's early stopping).</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var all = new (string Name, double? Value)[]
        {
            ("accuracy", Accuracy), ("macro_f1", MacroF1), ("span_f1", SpanF1), ("precision", Precision), ("recall", Recall),
            ("bleu", Bleu), ("rouge_l", RougeL), ("rouge_1", Rouge1), ("rouge_2", Rouge2),
        };
        var result = new Dictionary<string, double>();
        foreach (var (name, value) in all.OrderBy(m => m.Name == Main ? 0 : 1))
            if (value is { } v) result[name] = v;
        return result;
    }

    /// <summary>"accuracy 0.8150, macro_f1 0.8012": every measured metric, main first.</summary>
    public override string ToString() =>
        string.Join(", ", ToDictionary().Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:F4}")));
}
