using PromptLearning.Models;
using PromptLearning.Pet;
using PromptLearning.Tokenization;

namespace PromptLearning.Pretraining;

/// <summary>
/// Zero-shot cloze accuracy of a masked LM on an embedded task's test set, with the task's PET
/// pattern and verbalizer (<see cref="PetTask"/>) and PET's scorer (<see cref="Pvp"/>): no training
/// at all. For sentiment the first PVP is <c>"{a} It was [MASK]."</c> with great/terrible, the
/// quality bar of the shipped BERT.
/// </summary>
public static class ZeroShotCloze
{
    /// <summary>The project's quality bar for the shipped BERT: zero-shot sentiment accuracy with the first PVP.</summary>
    public const double QualityBar = 0.70;

    /// <summary>
    /// Accuracy of <paramref name="model"/> on the first <paramref name="limit"/> (all when null)
    /// test examples of <paramref name="task"/> under PVP number <paramref name="pvpIndex"/>, reading
    /// the files under <paramref name="dataRoot"/> (the <c>data/</c> folder).
    /// </summary>
    public static ClozeScore Score(ILanguageModel model, TextTokenizer tokenizer, string task, string dataRoot, int? limit = null, int pvpIndex = 0)
    {
        if (model.Config.IsCausal) throw new ArgumentException("zero-shot cloze needs a masked LM (BERT/RoBERTa)", nameof(model));
        var t = PetTask.ByName(task);
        if (pvpIndex < 0 || pvpIndex >= t.Pvps.Count)
            throw new ArgumentOutOfRangeException(nameof(pvpIndex), pvpIndex, $"task '{task}' has {t.Pvps.Count} PVPs");
        var spec = t.Pvps[pvpIndex];
        var pvp = spec.Build(tokenizer, t.Labels, model.Config.MaxPositionEmbeddings);
        var file = Path.Combine(dataRoot, t.Name, t.TestFile);
        if (!File.Exists(file)) throw new FileNotFoundException($"test file '{file}' of task '{task}' is missing", file);
        var examples = t.Read(t.TestFile, dataRoot).Take(limit ?? int.MaxValue).ToList();
        if (examples.Count == 0) throw new InvalidDataException($"test file '{file}' has no examples");
        return new ClozeScore(t.Name, spec.Template, spec.Verbalizer, examples.Count, pvp.Accuracy(model, examples));
    }
}
