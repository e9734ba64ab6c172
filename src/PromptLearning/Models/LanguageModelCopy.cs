using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Deep copies of a backbone, for methods that train its weights (fine-tuning, P-tuning with backbone
/// training, PET's models): the caller's backbone is never written to. A copy is built as loading the
/// checkpoint again builds it (a fresh model of the same architecture, whose initialisation draws from
/// torch's global generator exactly as a load does), then every tensor is copied over, so the copy is
/// bit-identical to its source: same weights, dtype, head state and train/eval mode.
/// </summary>
public static class LanguageModelCopy
{
    /// <summary>A new, independent model with <paramref name="source"/>'s weights; the caller owns and disposes it.</summary>
    /// <exception cref="NotSupportedException">The backbone is not a <see cref="BertForMaskedLM"/> or <see cref="GPT2LMHeadModel"/>.</exception>
    public static ILanguageModel Of(ILanguageModel source)
    {
        ILanguageModel copy = source switch
        {
            BertForMaskedLM bert => new BertForMaskedLM(bert.Config, addPoolingLayer: bert.Pooler is not null),
            GPT2LMHeadModel gpt => new GPT2LMHeadModel(gpt.Config),
            _ => throw new NotSupportedException(
                $"cannot copy a {source.GetType().Name}: a method that trains the backbone works on its own copy, and copies are made of BertForMaskedLM and GPT2LMHeadModel"),
        };
        try
        {
            var dtype = source.Module.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
            if (dtype != ScalarType.Float32) copy.Module.to(dtype);
            Devices.MoveTo(copy.Module, Devices.Of(source.Module));
            CopyWeights(source, copy);
            copy.UntrainedHead = source.UntrainedHead;
            copy.Module.train(source.Module.training);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Copies every tensor (parameters and buffers) of <paramref name="source"/> into <paramref name="target"/>, which must have the same names.</summary>
    /// <exception cref="InvalidOperationException">The two models' tensors do not correspond.</exception>
    public static void CopyWeights(ILanguageModel source, ILanguageModel target) => CopyWeights(source.Module, target.Module);

    /// <summary>Copies every tensor (parameters and buffers) of module <paramref name="source"/> into <paramref name="target"/>, which must have the same names.</summary>
    /// <exception cref="InvalidOperationException">The two modules' tensors do not correspond.</exception>
    public static void CopyWeights(nn.Module source, nn.Module target)
    {
        var to = target.state_dict();
        var from = source.state_dict();
        using (no_grad())
        {
            foreach (var (name, t) in to)
            {
                if (!from.TryGetValue(name, out var s))
                    throw new InvalidOperationException($"model copy: the source has no tensor '{name}'");
                t.copy_(s);
            }
        }
        if (from.Count != to.Count)
            throw new InvalidOperationException($"model copy: source has {from.Count} tensors, the copy {to.Count}");
    }
}
