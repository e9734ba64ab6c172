using System.Text.Json.Serialization;

namespace PromptLearning.Prompts.PromptTuning;

/// <summary>How prompt tuning's virtual tokens start out (Lester et al. 2021, section 3.2).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PromptInit>))]
public enum PromptInit
{
    /// <summary>Uniform in [-<see cref="PromptTuningConfig.UniformRange"/>, +range] (the paper's random baseline).</summary>
    RandomUniform,
    /// <summary>Embeddings of tokens sampled from the 5,000 lowest ids (the most frequent in frequency-ordered vocabularies), special tokens excluded.</summary>
    SampledVocab,
    /// <summary>Embeddings of the tokens of <see cref="PromptTuningConfig.InitText"/> (e.g. the class label words or a task description), repeated to fill the prompt.</summary>
    Text,
}

/// <summary>
/// Prompt tuning (Lester et al. 2021): <see cref="Length"/> virtual tokens prepended to the input
/// embeddings, nothing else trained. Paper defaults: Adafactor at learning rate 0.3; the paper's best
/// initialisation is from the class labels (use <see cref="PromptInit.Text"/> with the label words).
/// The paper's 100 tokens are meant for T5 with 512 positions; 20 suits the small embedded models.
/// </summary>
public sealed record PromptTuningConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.PromptTuning;
    /// <summary>Number of virtual tokens.</summary>
    public int Length { get; init; } = 20;
    public PromptInit Init { get; init; } = PromptInit.SampledVocab;
    /// <summary>Text for <see cref="PromptInit.Text"/>; null = the task's verbalizer (label) words.</summary>
    public string? InitText { get; init; }
    /// <summary>Half-width of the uniform range for <see cref="PromptInit.RandomUniform"/> (paper: 0.5).</summary>
    public double UniformRange { get; init; } = 0.5;

    public PromptTuningConfig()
    {
        Optimizer = "adafactor";
        LearningRate = 0.3;
        BatchSize = 32;
        WarmupRatio = 0.0;
    }
}
