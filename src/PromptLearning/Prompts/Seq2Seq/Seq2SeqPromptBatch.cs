using static TorchSharp.torch;

namespace PromptLearning.Prompts.Seq2Seq;

/// <summary>
/// Text-to-text examples laid out for a <see cref="Seq2SeqTaskModel"/>: the encoder input (source tokens with the
/// tokenizer's special tokens, padded at the end; soft tokens and prefixes are added by the model), and with targets
/// the labels (target ids + eos, -100 padded) and the decoder input (labels shifted right behind the decoder start token).
/// </summary>
public sealed record Seq2SeqPromptBatch : IDisposable
{
    /// <summary>Source ids [B, S], padded with the pad id.</summary>
    public required Tensor InputIds { get; init; }
    /// <summary>1 for source tokens, 0 for padding, [B, S].</summary>
    public required Tensor AttentionMask { get; init; }
    /// <summary>Source tokens per row (special tokens included).</summary>
    public required int[] SourceLengths { get; init; }
    /// <summary>Each row's task index in the model.</summary>
    public required int[] TaskIndex { get; init; }
    /// <summary>Target ids + eos [B, T], -100 past each target; null without targets.</summary>
    public Tensor? Labels { get; init; }
    /// <summary>Decoder input [B, T]: <see cref="Labels"/> shifted right (<see cref="Models.Seq2Seq.ShiftTokensRight"/>); null without targets.</summary>
    public Tensor? DecoderInputIds { get; init; }

    /// <summary>Rows in the batch.</summary>
    public int Count => TaskIndex.Length;

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Labels?.Dispose();
        DecoderInputIds?.Dispose();
    }
}
