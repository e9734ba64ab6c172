using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// A padded batch laid out for a model of the library (prompt methods, PET, fine-tuning) (all tensors int64, right-padded):
/// token ids with a placeholder where a virtual token goes, <see cref="Slots"/> saying which virtual
/// token (of the example's own task prompt) goes there, the positions the heads read, and the labels.
/// </summary>
public sealed class PromptBatch : IDisposable
{
    /// <summary>[B, L] token ids; the pad id where <see cref="Slots"/> is not -1.</summary>
    public required Tensor InputIds { get; init; }
    /// <summary>[B, L] 1 = token, 0 = padding.</summary>
    public required Tensor AttentionMask { get; init; }
    /// <summary>[B, L] segment ids (1 for the second sequence of a pair where the model has segments, else 0).</summary>
    public required Tensor TokenTypeIds { get; init; }
    /// <summary>[B, L] index of the virtual token placed there, or -1 for a real token.</summary>
    public required Tensor Slots { get; init; }
    /// <summary>[B] index of each example's task in the model's task list.</summary>
    public required Tensor TaskIds { get; init; }
    /// <summary>[B] position a classification head pools: [CLS] (0) for BERT/RoBERTa, the last real token for GPT-2.</summary>
    public required Tensor PoolPositions { get; init; }
    /// <summary>[B] position of the (first) [MASK] (0 where the template has none).</summary>
    public required Tensor MaskPositions { get; init; }
    /// <summary>Per row, the positions of every mask of the mask slot (PET's label words of several tokens); empty without one.</summary>
    public required long[][] MaskSlots { get; init; }
    /// <summary>[B] class ids, or [B, L] token labels (tags on each word's first piece, LM targets) with -100 elsewhere; null when unlabelled.</summary>
    public Tensor? Labels { get; init; }
    /// <summary>Host copy of <see cref="TaskIds"/>.</summary>
    public required int[] TaskIndex { get; init; }
    /// <summary>Number of real (unpadded) tokens per row.</summary>
    public required int[] Lengths { get; init; }
    /// <summary>For tagging: per row, the position of each word's first piece (words cut by truncation are missing).</summary>
    public IReadOnlyList<int[]>? WordStarts { get; init; }
    /// <summary>Per row, the input tokens removed to fit the maximum length.</summary>
    public int[] TruncatedTokens { get; init; } = [];

    /// <summary>Number of examples.</summary>
    public int Count => TaskIndex.Length;

    /// <summary>True when every example uses the same task.</summary>
    public bool SingleTask => TaskIndex.All(t => t == TaskIndex[0]);

    public void Dispose()
    {
        InputIds.Dispose(); AttentionMask.Dispose(); TokenTypeIds.Dispose(); Slots.Dispose();
        TaskIds.Dispose(); PoolPositions.Dispose(); MaskPositions.Dispose(); Labels?.Dispose();
    }
}
