using PromptLearning.Models;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Pretraining;

/// <summary>
/// GPT-2's causal-LM objective: every token predicts the next one. Labels equal the input ids with
/// padding set to -100; the shift happens in <see cref="LanguageModelingLoss.Compute(ILanguageModel, LanguageModelingBatch)"/> (as in
/// <c>GPT2LMHeadModel</c>).
/// </summary>
public static class CausalLanguageModeling
{
    /// <summary>Pads <paramref name="sequences"/> and labels every real token.</summary>
    public static LanguageModelingBatch Collate(IReadOnlyList<IReadOnlyList<int>> sequences, int padId)
    {
        var (ids, mask) = LanguageModelingBatch.Pad(sequences, padId);
        var labels = new long[ids.GetLength(0), ids.GetLength(1)];
        for (int r = 0; r < ids.GetLength(0); r++)
            for (int i = 0; i < ids.GetLength(1); i++)
                labels[r, i] = mask[r, i] == 1 ? ids[r, i] : LossLabels.IgnoreIndex;
        return new LanguageModelingBatch(tensor(ids), tensor(mask), tensor(labels));
    }
}
