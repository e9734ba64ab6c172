namespace PromptLearning.Prompts.Baselines;

/// <summary>
/// Full fine-tuning: every backbone weight plus the head is trained (linear [CLS] head for
/// classification, token head for tagging, the LM itself for generation). Learning rate 2e-5 as in
/// BERT's GLUE recipe; small models usually want 1e-4.
/// </summary>
public sealed record FineTuningConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.FineTuning;

    public FineTuningConfig()
    {
        LearningRate = 2e-5;
        BatchSize = 16;
        WeightDecay = 0.01;
    }
}

/// <summary>Head-only ("linear probe"): the backbone is frozen and only a linear [CLS] or token head is trained.</summary>
public sealed record HeadOnlyConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.HeadOnly;

    public HeadOnlyConfig()
    {
        LearningRate = 1e-3;
        BatchSize = 16;
    }
}

/// <summary>
/// Zero-shot cloze: a hand-written pattern (the task's <see cref="TaskDefinition.Cloze"/>, e.g.
/// <c>{x} It was [MASK] .</c>) and verbalizer on the untouched masked LM; nothing is trained.
/// </summary>
public sealed record ZeroShotClozeConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.ZeroShot;
}
