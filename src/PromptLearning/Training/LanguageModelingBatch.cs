using static TorchSharp.torch;

namespace PromptLearning.Training;

/// <summary>
/// A batch for language-model pretraining: token ids [B, L] (right-padded), the attention mask
/// (1 = token, 0 = padding) and labels [B, L] (<see cref="LossLabels.IgnoreIndex"/> = no loss at that position).
/// </summary>
public sealed record LanguageModelingBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels)
{
    /// <summary>Right-pads <paramref name="sequences"/> with <paramref name="padId"/> into [B, Lmax] id and mask arrays.</summary>
    public static (long[,] Ids, long[,] Mask) Pad(IReadOnlyList<IReadOnlyList<int>> sequences, int padId)
    {
        if (sequences.Count == 0) throw new ArgumentException("empty batch", nameof(sequences));
        var length = sequences.Max(s => s.Count);
        var ids = new long[sequences.Count, length];
        var mask = new long[sequences.Count, length];
        for (int b = 0; b < sequences.Count; b++)
            for (int i = 0; i < length; i++)
            {
                var inside = i < sequences[b].Count;
                ids[b, i] = inside ? sequences[b][i] : padId;
                mask[b, i] = inside ? 1 : 0;
            }
        return (ids, mask);
    }
}
