using PromptLearning.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Pet;

/// <summary>
/// Fresh copies of one pretrained masked LM, made from the weights in memory (no file read per
/// copy). PET trains one copy per PVP and seed, iPET one per model and generation, and the final
/// classifier starts from one too; each copy is independent and the caller disposes it. This
/// object owns <see cref="Source"/> (never trained) and disposes it.
/// </summary>
public sealed class ModelCopies : IDisposable
{
    private readonly Func<TransformerConfig, ILanguageModel> _create;

    /// <summary>The pretrained model the copies come from (kept unchanged).</summary>
    public ILanguageModel Source { get; }

    /// <summary>
    /// Copies of <paramref name="source"/>; <paramref name="create"/> builds an empty model of the
    /// same architecture (default: <see cref="BertForMaskedLM"/>, which covers BERT and RoBERTa).
    /// </summary>
    public ModelCopies(ILanguageModel source, Func<TransformerConfig, ILanguageModel>? create = null)
    {
        if (source.Config.IsCausal) throw new ArgumentException("PET needs a masked LM (BERT/RoBERTa), got a causal model", nameof(source));
        Source = source;
        _create = create ?? (c => new BertForMaskedLM(c));
    }

    /// <summary>Number of copies made so far.</summary>
    public int Created { get; private set; }

    /// <summary>A new model with the source's weights, in train mode.</summary>
    public ILanguageModel Create()
    {
        var model = _create(Source.Config);
        try
        {
            Devices.MoveTo(model.Module, Devices.Of(Source.Module));
            LanguageModelCopy.CopyWeights(Source, model);
            model.Module.train();
            Created++;
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Source.Dispose();
}
