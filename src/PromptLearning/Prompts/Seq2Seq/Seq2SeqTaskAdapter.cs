using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.Seq2Seq;

/// <summary>
/// One text-to-text task's trainable parts in a <see cref="Seq2SeqTaskModel"/>: soft tokens in front of the encoder
/// input (<see cref="InputPrompt"/>, prompt tuning) and/or key/value prefixes for the encoder self-attention, the
/// decoder self-attention and the cross-attention (prefix tuning, P-tuning v2). State-dict keys: <c>prompt.*</c>,
/// <c>encoder_prefix.*</c>, <c>decoder_prefix.*</c>, <c>cross_attention_prefix.*</c>.
/// </summary>
public sealed class Seq2SeqTaskAdapter : nn.Module
{
    private readonly InputPrompt? prompt;
    private readonly PrefixPrompt? encoder_prefix;
    private readonly PrefixPrompt? decoder_prefix;
    private readonly PrefixPrompt? cross_attention_prefix;

    /// <summary>The task: a generation task (examples carry <see cref="PromptExample.Target"/>) or a classification task whose label words (verbalizer, else label names) are the targets.</summary>
    public TaskDefinition Task { get; }
    /// <summary>Soft tokens in front of the encoder input, or null.</summary>
    public InputPrompt? InputPrompt => prompt;
    /// <summary>Prefix of the encoder self-attention, [encoder layers, 2, heads, n, head_dim], or null.</summary>
    public PrefixPrompt? EncoderPrefix => encoder_prefix;
    /// <summary>Prefix of the decoder self-attention, [decoder layers, 2, heads, n, head_dim], or null.</summary>
    public PrefixPrompt? DecoderPrefix => decoder_prefix;
    /// <summary>Prefix of the cross-attention, [decoder layers, 2, heads, n, head_dim], or null.</summary>
    public PrefixPrompt? CrossAttentionPrefix => cross_attention_prefix;
    /// <summary>Dropout on the prefixes while training (each row draws its own mask).</summary>
    public double PrefixDropout { get; }

    /// <summary>Number of soft tokens in front of the encoder input (0 without <see cref="InputPrompt"/>).</summary>
    public int InputLength => prompt?.Length ?? 0;

    /// <summary>The prefix of one set (<see cref="PrefixSets.Encoder"/>, <see cref="PrefixSets.Decoder"/> or <see cref="PrefixSets.CrossAttention"/>), or null.</summary>
    public PrefixPrompt? Prefix(PrefixSets set) => set switch
    {
        PrefixSets.Encoder => encoder_prefix,
        PrefixSets.Decoder => decoder_prefix,
        PrefixSets.CrossAttention => cross_attention_prefix,
        _ => throw new ArgumentOutOfRangeException(nameof(set), set, "one of Encoder, Decoder, CrossAttention"),
    };

    public Seq2SeqTaskAdapter(TaskDefinition task, InputPrompt? inputPrompt, PrefixPrompt? encoderPrefix, PrefixPrompt? decoderPrefix,
        PrefixPrompt? crossAttentionPrefix, double prefixDropout = 0.0) : base(nameof(Seq2SeqTaskAdapter))
    {
        Task = task.Validated();
        if (Task.Kind == TaskKind.Tagging)
            throw new ArgumentException($"task '{Task.Name}': a tagging task has no text-to-text form here (generation or classification with label words as targets).");
        if (!(prefixDropout >= 0 && prefixDropout < 1)) throw new ArgumentException($"task '{Task.Name}': prefix dropout must be in [0, 1), got {prefixDropout}.");
        prompt = inputPrompt;
        encoder_prefix = encoderPrefix;
        decoder_prefix = decoderPrefix;
        cross_attention_prefix = crossAttentionPrefix;
        PrefixDropout = prefixDropout;
        RegisterComponents();
    }

    /// <summary>The text an example must make the decoder produce: its <see cref="PromptExample.Target"/>, else its label's word.</summary>
    public string TargetOf(PromptExample example)
    {
        if (example.Target is not null) return example.Target;
        if (Task.Kind == TaskKind.Classification && example.Label >= 0 && example.Label < Task.Labels.Count)
            return (Task.Verbalizer?.LabelWords ?? Task.Labels)[example.Label];
        throw new ArgumentException($"task '{Task.Name}': example '{example.A}' has no Target and no label in [0, {Task.Labels.Count}).");
    }
}
