namespace PromptLearning.Prompts.PrefixTuning;

/// <summary>
/// Prefix tuning (Li &amp; Liang 2021): <see cref="Length"/> trainable key/value vectors in every layer,
/// trained through the reparameterisation <c>P = MLP(P')</c> (hidden <see cref="HiddenSize"/> = 512)
/// and stored as the plain prefixes. <see cref="InitText"/> starts the prefix from the activations of
/// real words (the paper's remedy in low-data settings) as the reference code does: the prefix then has
/// one position per token of the text (<see cref="Length"/> is not used) and only the MLP is fitted to
/// the activations (mean squared error, Adam at <see cref="InitFitLearningRate"/> for <see cref="InitFitSteps"/> steps). Paper defaults for table-to-text: prefix
/// length 10, learning rate 5e-5, batch size 5, 10 epochs, AdamW with linear decay.
/// </summary>
public sealed record PrefixTuningConfig : PromptMethodConfig
{
    public override string Method => PromptMethods.PrefixTuning;
    /// <summary>Prefix length (virtual tokens per layer); with <see cref="InitText"/>, the text's token count instead.</summary>
    public int Length { get; init; } = 10;
    /// <summary>Train through the MLP reparameterisation (the paper found direct training unstable).</summary>
    public bool Reparameterize { get; init; } = true;
    /// <summary>Hidden width of the reparameterisation MLP.</summary>
    public int HiddenSize { get; init; } = 512;
    /// <summary>Initialise from the keys/values of these words (e.g. "table-to-text:" or the task's name); null = random.</summary>
    public string? InitText { get; init; }
    /// <summary>Steps of fitting the MLP to the real words' activations when both are on (reference: 500).</summary>
    public int InitFitSteps { get; init; } = 500;
    /// <summary>Adam learning rate of that fit (reference: 1e-4).</summary>
    public double InitFitLearningRate { get; init; } = 1e-4;
    /// <summary>Dropout on the prefixes while training.</summary>
    public double PrefixDropout { get; init; }

    public PrefixTuningConfig()
    {
        LearningRate = 5e-5;
        BatchSize = 5;
        WarmupRatio = 0.0;
    }
}
