namespace PromptLearning.Prompts.PTuningV2;

/// <summary>
/// P-tuning v2 (Liu et al. 2022): deep prompts (trainable key/value prefixes) in every layer, no
/// reparameterisation by default, a linear head on [CLS] for classification and a token head for
/// sequence labelling instead of a verbalizer. Defaults from the paper's code: prompt length 20
/// (classification), learning rate 1e-2, dropout 0.1, prefixes initialised N(0, 1).
/// Deviation: the classification head is dropout + linear on the final [CLS] hidden state; the
/// reference's <c>BertPrefixForSequenceClassification</c> reads BERT's pooled output (<c>pooler.dense</c>
/// + tanh, from the checkpoint) before the dropout. The library's BERT is the masked-LM model, which has
/// no pooler, and the fixture and shipped checkpoints carry no pooler weights, so the pooled head is not
/// offered yet; with checkpoints that have <c>bert.pooler.*</c> results will differ from the reference.
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
