using System.Text.Json.Serialization;

namespace PromptLearning.Prompts.PTuning;

/// <summary>P-tuning's prompt encoder (Liu et al. 2021, "GPT Understands, Too").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PromptEncoderKind>))]
public enum PromptEncoderKind
{
    /// <summary>Bidirectional 2-layer LSTM then a 2-layer ReLU MLP (the paper's encoder).</summary>
    Lstm,
    /// <summary>A 3-layer ReLU MLP only.</summary>
    Mlp,
}

/// <summary>
/// P-tuning v1: virtual tokens produced by a <see cref="PromptEncoder"/> and placed at the template's
/// <c>[P]</c> slots, anywhere in the input (default <c>[P][P][P] {x} [P][P][P] [MASK] .</c>, literal words in
/// the template act as anchors). <see cref="TrainBackbone"/> also fine-tunes the backbone, as the
/// paper does for SuperGLUE (there with learning rate 1e-5).
/// </summary>
public sealed record PTuningConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.PTuning;
    public PromptEncoderKind Encoder { get; init; } = PromptEncoderKind.Lstm;
    /// <summary>Encoder width; null = the backbone's hidden size (the paper's choice).</summary>
    public int? EncoderHiddenSize { get; init; }
    /// <summary>Also train the backbone's weights.</summary>
    public bool TrainBackbone { get; init; }

    public PTuningConfig()
    {
        LearningRate = 1e-3;
        BatchSize = 16;
    }
}
