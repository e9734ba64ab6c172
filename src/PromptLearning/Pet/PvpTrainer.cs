using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Pet;

/// <summary>
/// How one PVP model is trained (PET §3.1-3.3). Single-token verbalizers: cross-entropy over the label
/// logits plus the auxiliary MLM loss. Multi-token verbalizers: by default as timoschick/pet's
/// <c>MultiMaskTaskHelper.train_step</c> (<see cref="MultiTokenObjective.Hinge"/>: one forward pass at the
/// largest token count, hinge loss with margin 1 over the wrong labels, no auxiliary MLM term); the
/// library's earlier cross-entropy objective stays available as <see cref="MultiTokenObjective.CrossEntropy"/>.
/// Prediction (most-confident-first decoding) matches PET either way.
/// </summary>
public sealed record PvpTrainingConfig
{
    /// <summary>Steps, labelled batch size, learning rate, schedule, seed (PET: 250 steps, batch 4, lr 1e-5 for RoBERTa-large).</summary>
    public TrainerConfig Trainer { get; init; } = new() { MaxSteps = 250, BatchSize = 4, LearningRate = 1e-5, EvalEvery = 0, LogEvery = 50 };
    /// <summary>Weight of the auxiliary MLM loss: <c>(1 - alpha) CE + alpha MLM</c>.</summary>
    public double Alpha { get; init; } = PetLoss.DefaultAlpha;
    /// <summary>
    /// Unlabelled examples per step for the auxiliary MLM loss; 0 = no auxiliary loss. PET's documented runs
    /// take 1 labelled and 3 unlabelled examples per batch with 4 accumulation steps, i.e. 4 : 12 per update,
    /// hence 12 for the labelled batch of 4 (3x the labelled batch; scale both together).
    /// </summary>
    public int UnlabelledBatchSize { get; init; } = 12;
    /// <summary>Training objective of multi-token verbalizers (default: PET's hinge loss); ignored for single-token ones.</summary>
    public MultiTokenObjective MultiToken { get; init; } = MultiTokenObjective.Hinge;
    /// <summary>Share of tokens the auxiliary MLM masks (BERT: 15%, of which 80% [MASK], 10% random, 10% kept).</summary>
    public double MaskProbability { get; init; } = 0.15;
}

/// <summary>
/// Trains one masked LM on one PVP: cross-entropy over the verbalizer scores of the labelled batch,
/// plus the auxiliary MLM loss on a batch of unlabelled examples in the same pattern (PET encodes
/// them with the pattern too), through the shared <see cref="Trainer{TExample}"/>.
/// </summary>
public static class PvpTrainer
{
    /// <summary>
    /// The PET loss of one step: <c>(1 - alpha) CE(verbalizer scores, labels) + alpha MLM(unlabelled)</c>;
    /// without <paramref name="unlabelled"/>, the cross-entropy alone. A multi-token PVP under
    /// <see cref="MultiTokenObjective.Hinge"/> gets PET's hinge loss alone (<paramref name="unlabelled"/> must then be null).
    /// </summary>
    public static Tensor Loss(ILanguageModel model, Pvp pvp, IReadOnlyList<PromptExample> labelled, PromptBatch? unlabelled, double alpha = PetLoss.DefaultAlpha,
        MultiTokenObjective multiToken = MultiTokenObjective.Hinge)
    {
        using var scope = NewDisposeScope();
        var labels = tensor(labelled.Select((e, i) => (long)(e.Label >= 0 ? e.Label : throw new ArgumentException($"labelled example {i} has no label", nameof(labelled)))).ToArray(), device: Devices.Of(model.Module));
        if (pvp.IsMultiToken && multiToken == MultiTokenObjective.Hinge)
        {
            if (unlabelled is not null) throw new ArgumentException("PET's multi-token hinge loss has no auxiliary MLM term; pass no unlabelled batch (or use MultiTokenObjective.CrossEntropy)", nameof(unlabelled));
            return PetLoss.Hinge(pvp.MaxMaskScores(model, labelled), labels).MoveToOuterDisposeScope();
        }
        var ce = PetLoss.Classification(pvp.ClassLogits(model, labelled), labels);
        Tensor? mlm = null;
        if (unlabelled is not null) mlm = PetLoss.MaskedLm(Pvp.MlmLogits(model, unlabelled), unlabelled.Labels!);
        return PetLoss.Combine(ce, mlm, alpha).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// BERT's masking of <paramref name="examples"/> encoded with <paramref name="pvp"/>'s pattern, by
    /// the library's one masker (<see cref="MaskedLanguageModeling.Mask"/>): each token other than the
    /// special ones and the pattern's mask is chosen with probability <paramref name="maskProbability"/>;
    /// chosen ones become the mask token (80%), a random non-special token (10%) or stay (10%). Each
    /// example gets at least one chosen token. Deterministic for a given <paramref name="rng"/>. The
    /// tensors are made on <paramref name="device"/> (null: the CPU), the model's device.
    /// </summary>
    public static PromptBatch MaskForMlm(Pvp pvp, IReadOnlyList<PromptExample> examples, Random rng, double maskProbability = 0.15, Device? device = null)
    {
        var tok = pvp.Tokenizer;
        var masker = new MaskedLanguageModeling(tok.VocabSize, tok.MaskTokenId!.Value, MaskedLanguageModeling.SpecialIds(tok), maskProbability);
        return pvp.EncodeReplaced(examples, ids => masker.Mask(ids, rng), device);
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place on <paramref name="train"/> with <paramref name="pvp"/>.
    /// With an <paramref name="unlabelled"/> pool and <see cref="PvpTrainingConfig.UnlabelledBatchSize"/> &gt; 0,
    /// every step adds the auxiliary MLM loss on the next unlabelled batch (cycling through a shuffled pool),
    /// except for a multi-token PVP under PET's hinge objective, which has no auxiliary term.
    /// </summary>
    public static TrainResult Train(ILanguageModel model, Pvp pvp, IReadOnlyList<PromptExample> train, IReadOnlyList<PromptExample>? unlabelled,
        PvpTrainingConfig config, IProgress<TrainerProgress>? progress = null)
    {
        if (train.Count == 0) throw new ArgumentException("PET training set is empty", nameof(train));
        bool hinge = pvp.IsMultiToken && config.MultiToken == MultiTokenObjective.Hinge;
        bool aux = !hinge && unlabelled is { Count: > 0 } && config.UnlabelledBatchSize > 0 && config.Alpha > 0;
        var rng = new Random(config.Trainer.Seed * 7919 + 17);
        var order = aux ? Enumerable.Range(0, unlabelled!.Count).OrderBy(_ => rng.Next()).ToArray() : Array.Empty<int>();
        int cursor = 0;

        PromptBatch? NextUnlabelled()
        {
            if (!aux) return null;
            var chunk = new List<PromptExample>(config.UnlabelledBatchSize);
            for (int i = 0; i < Math.Min(config.UnlabelledBatchSize, order.Length); i++)
            {
                if (cursor >= order.Length) cursor = 0;
                chunk.Add(unlabelled![order[cursor++]]);
            }
            return MaskForMlm(pvp, chunk, rng, config.MaskProbability, Devices.Of(model.Module));
        }

        var trainer = new Trainer<PromptExample>(config.Trainer, TrainableParameters(model.Module),
            batch =>
            {
                using var mlm = NextUnlabelled();
                return Loss(model, pvp, batch, mlm, config.Alpha, config.MultiToken);
            },
            module: model.Module);
        return trainer.Train(train, progress);
    }

    /// <summary>The module's parameters that require grad, each once (tied weights appear under one name).</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> TrainableParameters(nn.Module module)
    {
        var seen = new HashSet<IntPtr>();
        foreach (var (name, p) in module.named_parameters())
            if (p.requires_grad && seen.Add(p.Handle)) yield return (name, p);
    }
}
