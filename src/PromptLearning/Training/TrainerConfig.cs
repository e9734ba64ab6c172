namespace PromptLearning.Training;

/// <summary>Which optimizer the <see cref="Trainer{TExample}"/> builds.</summary>
public enum OptimizerKind
{
    /// <summary>TorchSharp's <c>torch.optim.AdamW</c> (decoupled weight decay).</summary>
    AdamW,
    /// <summary><see cref="Adafactor"/> (Shazeer &amp; Stern 2018), as used by the prompt-tuning paper.</summary>
    Adafactor,
}

/// <summary>Learning-rate schedule over optimizer steps.</summary>
public enum ScheduleKind
{
    /// <summary>Linear warm-up from 0 to the peak, then linear decay to 0 at <see cref="TrainerConfig.MaxSteps"/>.</summary>
    LinearWarmupDecay,
    /// <summary>Linear warm-up, then constant.</summary>
    ConstantWithWarmup,
}

/// <summary>
/// Everything a <see cref="Trainer{TExample}"/> run needs besides the data and the delegates. Defaults
/// follow Hugging Face's <c>Trainer</c> (AdamW, lr 5e-5 scale set by the caller, clip 1.0).
/// </summary>
public sealed record TrainerConfig
{
    /// <summary>Number of optimizer steps.</summary>
    public int MaxSteps { get; init; } = 1000;
    /// <summary>Examples per batch (the last batch of an epoch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Drop an epoch's incomplete last batch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Optimizer to use.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;
    /// <summary>Peak learning rate (ignored by Adafactor with <see cref="AdafactorRelativeStep"/>).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Decoupled weight decay (AdamW) or Adafactor's weight decay.</summary>
    public double WeightDecay { get; init; } = 0.0;
    /// <summary>
    /// With named parameters: no weight decay on biases and LayerNorm weights (names containing
    /// <c>bias</c>, <c>LayerNorm</c> or <c>ln_</c>), as Hugging Face's Trainer does.
    /// </summary>
    public bool NoDecayOnBiasAndNorm { get; init; } = true;
    /// <summary>AdamW's beta1 (Adafactor: momentum, used only when <see cref="AdafactorBeta1"/> is set).</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>AdamW's beta2.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>AdamW's epsilon.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Adafactor: use the relative step size <c>min(1e-2, 1/sqrt(t))</c> instead of the schedule.</summary>
    public bool AdafactorRelativeStep { get; init; }
    /// <summary>Adafactor: scale the step by the parameter's RMS (off in the prompt-tuning paper).</summary>
    public bool AdafactorScaleParameter { get; init; }
    /// <summary>Adafactor: with relative step, warm up as <c>1e-6 * t</c>.</summary>
    public bool AdafactorWarmupInit { get; init; }
    /// <summary>Adafactor: exponent of the second-moment decay <c>beta2_t = 1 - t^decay</c> (paper: -0.8).</summary>
    public double AdafactorDecayRate { get; init; } = -0.8;
    /// <summary>Adafactor: update clipping threshold d (paper: 1.0).</summary>
    public double AdafactorClipThreshold { get; init; } = 1.0;
    /// <summary>Adafactor: first-moment decay; null = no momentum (the paper's memory-saving default).</summary>
    public double? AdafactorBeta1 { get; init; }

    /// <summary>Learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.LinearWarmupDecay;
    /// <summary>Warm-up steps; when 0, <see cref="WarmupRatio"/> x <see cref="MaxSteps"/> is used.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Warm-up as a share of <see cref="MaxSteps"/> (used when <see cref="WarmupSteps"/> is 0).</summary>
    public double WarmupRatio { get; init; }

    /// <summary>Clip gradients to this global L2 norm; null = no clipping.</summary>
    public double? MaxGradNorm { get; init; } = 1.0;

    /// <summary>Evaluate every this many steps (and after the last step); 0 = only at the end.</summary>
    public int EvalEvery { get; init; } = 100;
    /// <summary>Metric (a key returned by the eval delegate) that decides the best checkpoint; null = the first key.</summary>
    public string? MetricForBest { get; init; }
    /// <summary>True when a larger <see cref="MetricForBest"/> is better (accuracy); false for losses.</summary>
    public bool GreaterIsBetter { get; init; } = true;
    /// <summary>Stop after this many evaluations without improvement; null = never stop early.</summary>
    public int? Patience { get; init; }
    /// <summary>Copy the trainable tensors at each new best and put them back at the end.</summary>
    public bool RestoreBest { get; init; } = true;

    /// <summary>Seeds <c>torch.manual_seed</c> and the batch shuffler.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Report progress (mean loss since the last report) every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Warm-up steps actually used.</summary>
    public int EffectiveWarmupSteps => WarmupSteps > 0 ? WarmupSteps : (int)Math.Round(WarmupRatio * MaxSteps);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (MaxSteps <= 0) throw new ArgumentException($"TrainerConfig.MaxSteps must be > 0, got {MaxSteps}");
        if (BatchSize <= 0) throw new ArgumentException($"TrainerConfig.BatchSize must be > 0, got {BatchSize}");
        if (!(LearningRate > 0) && !(Optimizer == OptimizerKind.Adafactor && AdafactorRelativeStep))
            throw new ArgumentException($"TrainerConfig.LearningRate must be > 0, got {LearningRate}");
        if (WeightDecay < 0) throw new ArgumentException($"TrainerConfig.WeightDecay must be >= 0, got {WeightDecay}");
        if (WarmupSteps < 0 || WarmupRatio < 0 || WarmupRatio > 1) throw new ArgumentException($"TrainerConfig warm-up must be >= 0 steps and a ratio in [0, 1], got {WarmupSteps} / {WarmupRatio}");
        if (MaxGradNorm is <= 0) throw new ArgumentException($"TrainerConfig.MaxGradNorm must be > 0 or null, got {MaxGradNorm}");
        if (EvalEvery < 0) throw new ArgumentException($"TrainerConfig.EvalEvery must be >= 0, got {EvalEvery}");
        if (Patience is <= 0) throw new ArgumentException($"TrainerConfig.Patience must be > 0 or null, got {Patience}");
        if (LogEvery <= 0) throw new ArgumentException($"TrainerConfig.LogEvery must be > 0, got {LogEvery}");
        if (AdafactorDecayRate >= 0) throw new ArgumentException($"TrainerConfig.AdafactorDecayRate must be < 0, got {AdafactorDecayRate}");
    }
}
