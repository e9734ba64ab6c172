using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Deep copies of an encoder-decoder, for the fine-tuning baseline (which trains every weight): the caller's model
/// is never written to. As <see cref="LanguageModelCopy"/>: a fresh model of the same architecture, then every
/// tensor copied over, so the copy is bit-identical to its source (weights, dtype, train/eval mode).
/// </summary>
public static class Seq2SeqModelCopy
{
    /// <summary>A new, independent model with <paramref name="source"/>'s weights; the caller owns and disposes it.</summary>
    /// <exception cref="NotSupportedException">The model is not a <see cref="BartForConditionalGeneration"/> or <see cref="T5ForConditionalGeneration"/>.</exception>
    public static ISeq2SeqModel Of(ISeq2SeqModel source)
    {
        ISeq2SeqModel copy = source switch
        {
            BartForConditionalGeneration bart => new BartForConditionalGeneration(bart.Config),
            T5ForConditionalGeneration t5 => new T5ForConditionalGeneration(t5.Config),
            _ => throw new NotSupportedException(
                $"cannot copy a {source.GetType().Name}: fine-tuning works on its own copy, and copies are made of BartForConditionalGeneration and T5ForConditionalGeneration"),
        };
        try
        {
            var dtype = source.Module.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
            if (dtype != ScalarType.Float32) copy.Module.to(dtype);
            Devices.MoveTo(copy.Module, Devices.Of(source.Module));
            LanguageModelCopy.CopyWeights(source.Module, copy.Module);
            copy.Module.train(source.Module.training);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
