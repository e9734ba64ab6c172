namespace PromptLearning.Prompts.PTuningV2;

/// <summary>
/// P-tuning v2 (Liu et al. 2022): deep prompts (trainable key/value prefixes) in every layer, no
/// reparameterisation by default, a classification head on [CLS] for classification and a token head for
/// sequence labelling instead of a verbalizer. Defaults from the paper's code: prompt length 20
/// (classification), learning rate 1e-2, dropout 0.1, prefixes initialised N(0, 1).
/// Classification head: as the reference's <c>BertPrefixForSequenceClassification</c>, the backbone's
/// pooled output (<c>pooler.dense</c> + tanh on [CLS], loaded from the checkpoint), dropout, then a linear
/// layer (<see cref="HeadKind.PooledClassification"/>); this is the default when the backbone has a pooler
/// (checkpoints that hold <c>bert.pooler.*</c> / <c>roberta.pooler.*</c>, e.g. <c>bert-base-uncased</c>).
/// Checkpoints without one (masked-LM-only files such as the fixtures and the shipped models) default to
/// dropout + linear on the final [CLS] hidden state (<see cref="HeadKind.Classification"/>, also
/// available by name on any backbone); asking for the pooled head there gives it a freshly initialised
/// pooler, listed as newly initialised and trained with the head (the reference keeps such a random
/// pooler frozen inside BERT).
/// </summary>
public sealed record PTuningV2Config : PromptMethodConfig
{
    public override string Method => PromptMethods.PTuningV2;
    /// <summary>Prompt length per layer.</summary>
    public int Length { get; init; } = 20;
    /// <summary>Train through prefix tuning's MLP (optional in the paper; helps on some tasks).</summary>
    public bool Reparameterize { get; init; }
    /// <summary>Hidden width of that MLP.</summary>
    public int HiddenSize { get; init; } = 512;
    /// <summary>Standard deviation of the plain prompts' normal initialisation.</summary>
    public double InitStd { get; init; } = 1.0;
    /// <summary>Dropout on the prompts while training.</summary>
    public double PrefixDropout { get; init; } = 0.1;

    public PTuningV2Config()
    {
        LearningRate = 1e-2;
        BatchSize = 16;
        WarmupRatio = 0.0;
    }
}
