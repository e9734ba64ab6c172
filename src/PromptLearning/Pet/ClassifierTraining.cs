using PromptLearning.Prompts;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Pet;

/// <summary>
/// Training a <see cref="SequenceClassifier"/>: supervised fine-tuning on gold labels (the baseline)
/// and knowledge distillation from a PVP ensemble's logits on unlabelled text (PET's final step).
/// All parameters (backbone and head) are trained unless <c>headOnly</c>.
/// </summary>
public static class ClassifierTraining
{
    /// <summary>Cross-entropy fine-tuning on labelled <paramref name="train"/>.</summary>
    public static TrainResult FineTune(SequenceClassifier classifier, TextTokenizer tokenizer, IReadOnlyList<PromptExample> train,
        TrainerConfig config, int maxLength, bool headOnly = false, IProgress<TrainerProgress>? progress = null)
    {
        if (headOnly)
            foreach (var (_, p) in classifier.Backbone.Module.named_parameters()) p.requires_grad_(false);
        var trainer = new Trainer<PromptExample>(config, Parameters(classifier, headOnly), batch =>
        {
            using var scope = NewDisposeScope();
            using var encoded = SequenceClassifier.Encode(tokenizer, batch, maxLength, classifier.Device);
            var labels = tensor(batch.Select((e, i) => (long)(e.Label >= 0 ? e.Label : throw new ArgumentException($"training example {i} has no label"))).ToArray(), device: classifier.Device);
            return PetLoss.Classification(classifier.Forward(encoded), labels).MoveToOuterDisposeScope();
        }, module: classifier);
        return trainer.Train(train, progress);
    }

    /// <summary>
    /// Distils <paramref name="teacherLogits"/> [N, C] (one row per <paramref name="unlabelled"/>
    /// example) into <paramref name="classifier"/>: KL between softmax(teacher/T) and
    /// softmax(student/T), times T² (<see cref="PetLoss.Distillation"/>).
    /// </summary>
    public static TrainResult Distill(SequenceClassifier classifier, TextTokenizer tokenizer, IReadOnlyList<PromptExample> unlabelled,
        float[,] teacherLogits, TrainerConfig config, int maxLength, double temperature = PetLoss.DefaultTemperature,
        IProgress<TrainerProgress>? progress = null)
    {
        if (teacherLogits.GetLength(0) != unlabelled.Count)
            throw new ArgumentException($"teacher logits have {teacherLogits.GetLength(0)} rows for {unlabelled.Count} unlabelled examples", nameof(teacherLogits));
        if (teacherLogits.GetLength(1) != classifier.NumLabels)
            throw new ArgumentException($"teacher logits have {teacherLogits.GetLength(1)} labels, the classifier {classifier.NumLabels}", nameof(teacherLogits));
        int c = classifier.NumLabels;
        var indices = Enumerable.Range(0, unlabelled.Count).ToList();
        var trainer = new Trainer<int>(config, Parameters(classifier, headOnly: false), batch =>
        {
            using var scope = NewDisposeScope();
            using var encoded = SequenceClassifier.Encode(tokenizer, batch.Select(i => unlabelled[i]).ToList(), maxLength, classifier.Device);
            var rows = new float[batch.Count * c];
            for (int b = 0; b < batch.Count; b++)
                for (int j = 0; j < c; j++) rows[b * c + j] = teacherLogits[batch[b], j];
            var teacher = tensor(rows, new long[] { batch.Count, c }, device: classifier.Device);
            return PetLoss.Distillation(classifier.Forward(encoded), teacher, temperature).MoveToOuterDisposeScope();
        }, module: classifier);
        return trainer.Train(indices, progress);
    }

    private static IEnumerable<(string, TorchSharp.Modules.Parameter)> Parameters(SequenceClassifier classifier, bool headOnly) =>
        PvpTrainer.TrainableParameters(classifier).Where(p => !headOnly || !p.Name.StartsWith("backbone.", StringComparison.Ordinal));
}
