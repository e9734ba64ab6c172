using System.Text.Json.Serialization;

namespace PromptLearning.Prompts.PromptTuning;

/// <summary>How prompt tuning's virtual tokens start out (Lester et al. 2021, section 3.2).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PromptInit>))]
public enum PromptInit
{
    /// <summary>Uniform in [-<see cref="PromptTuningConfig.UniformRange"/>, +range] (the paper's random baseline).</summary>
    RandomUniform,
    /// <summary>Embeddings of distinct tokens sampled without replacement from the 5,000 lowest ids (the most frequent in frequency-ordered vocabularies), special tokens excluded.</summary>
    SampledVocab,
    /// <summary>Embeddings of the tokens of <see cref="PromptTuningConfig.InitText"/> (e.g. the class label words or a task description), repeated to fill the prompt (not in the paper; kept as an option).</summary>
    Text,
    /// <summary>
    /// The paper's class-label initialisation: slot i holds the mean embedding of label i's tokens (its
    /// verbalizer word, else its name), the remaining slots <see cref="SampledVocab"/> rows; tasks without
    /// class labels (tagging, generation) get <see cref="SampledVocab"/> throughout.
    /// </summary>
    ClassLabels,
}

/// <summary>
/// Prompt tuning (Lester et al. 2021): <see cref="Length"/> virtual tokens prepended to the input
/// embeddings, nothing else trained. Defaults follow the paper's recipe: Adafactor (second-moment decay
/// exponent 0.8, no parameter scaling, no momentum) at a constant learning rate 0.3 without warm-up or
/// decay (<see cref="Training.ScheduleKind.ConstantWithWarmup"/> with no warm-up steps), weight decay 1e-5,
/// batch 32, and class-label initialisation (<see cref="PromptInit.ClassLabels"/>). Deviations: 20
/// tokens instead of the paper's 100 (meant for T5 with 512 positions; 20 suits the small embedded
/// models), and gradient-norm clipping at 1.0 as every method here (set <see cref="PromptMethodConfig.MaxGradNorm"/>
/// to 0 for none). The library's earlier recipe (linear decay, sampled-vocabulary start) remains
/// available as <c>Schedule = LinearWarmupDecay</c>, <c>Init = SampledVocab</c>.
/// </summary>
public sealed record PromptTuningConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.PromptTuning;
    /// <summary>Number of virtual tokens.</summary>
    public int Length { get; init; } = 20;
    /// <summary>How the virtual tokens start (paper's best: class labels).</summary>
    public PromptInit Init { get; init; } = PromptInit.ClassLabels;
    /// <summary>Text for <see cref="PromptInit.Text"/>; null = the task's verbalizer (label) words.</summary>
    public string? InitText { get; init; }
    /// <summary>Half-width of the uniform range for <see cref="PromptInit.RandomUniform"/> (paper: 0.5).</summary>
    public double UniformRange { get; init; } = 0.5;

    public PromptTuningConfig()
    {
        Optimizer = "adafactor";
        LearningRate = 0.3;
        Schedule = Training.ScheduleKind.ConstantWithWarmup;
        WeightDecay = 1e-5;
        BatchSize = 32;
        WarmupRatio = 0.0;
    }
}
