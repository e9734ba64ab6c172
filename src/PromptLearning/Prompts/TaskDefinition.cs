using System.Text.Json.Serialization;

namespace PromptLearning.Prompts;

/// <summary>What a task asks the model to produce.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaskKind>))]
public enum TaskKind
{
    /// <summary>One label per text (or text pair).</summary>
    Classification,
    /// <summary>One BIO tag per word.</summary>
    Tagging,
    /// <summary>A text from a text (table-to-text with GPT-2).</summary>
    Generation,
}

/// <summary>How the model's output becomes a prediction.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadKind>))]
public enum HeadKind
{
    /// <summary>The MLM head's scores of the verbalizer words at <c>[MASK]</c> (cloze; no new parameters).</summary>
    Cloze,
    /// <summary>A linear layer on the <c>[CLS]</c> (first token's) final hidden state.</summary>
    Classification,
    /// <summary>
    /// The backbone's pooler (<c>pooler.dense</c> + tanh on the <c>[CLS]</c> state), dropout, then a linear layer:
    /// <c>transformers</c>' <c>BertForSequenceClassification</c> and P-tuning v2's <c>BertPrefixForSequenceClassification</c>.
    /// BERT/RoBERTa only; a backbone without a pooler gets a freshly initialised one in the head.
    /// </summary>
    PooledClassification,
    /// <summary>
    /// <c>RobertaClassificationHead</c> on the <c>[CLS]</c> state: dropout, dense + tanh, dropout, linear (PET's classifier;
    /// dropout is the backbone's).
    /// </summary>
    DenseClassification,
    /// <summary>A linear layer on every token's final hidden state (BIO tagging).</summary>
    Token,
    /// <summary>The causal LM head: conditional generation of the target after the source.</summary>
    LanguageModel,
}

/// <summary>
/// A task as a prompt method sees it: its name (the key of its prompt in a multi-task model), what
/// it predicts, its label set (class names or BIO tags) and, for cloze heads, one verbalizer word per
/// label.
/// </summary>
public sealed record TaskDefinition
{
    public required string Name { get; init; }
    public required TaskKind Kind { get; init; }
    /// <summary>Class names (classification) or tags (tagging); empty for generation.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
    /// <summary>The label words for cloze heads (e.g. <c>negative: terrible; positive: great</c>), labels as <see cref="Labels"/>.</summary>
    public Verbalizer? Verbalizer { get; init; }
    /// <summary>How the example's texts enter a template: <c>{x}</c>, or e.g. <c>{a} [SEP] {b}</c> for pairs.</summary>
    public string Input { get; init; } = "{x}";
    /// <summary>The input with a <c>[MASK]</c> for cloze heads, e.g. <c>{x} It was [MASK] .</c> or <c>{a} ? [MASK] , {b}</c>.</summary>
    public string Cloze { get; init; } = "{x} [MASK]";

    /// <summary>Checks the fields against each other; throws naming the task and the problem.</summary>
    public TaskDefinition Validated()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("task name is empty");
        if (Kind != TaskKind.Generation && Labels.Count < 2) throw new ArgumentException($"task '{Name}': a {Kind} task needs at least two labels, got {Labels.Count}");
        if (Verbalizer is not null && !Verbalizer.Labels.SequenceEqual(Labels))
            throw new ArgumentException($"task '{Name}': the verbalizer's labels ({string.Join(", ", Verbalizer.Labels)}) are not the task's ({string.Join(", ", Labels)}), in that order");
        return this;
    }
}
