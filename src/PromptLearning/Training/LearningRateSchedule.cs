namespace PromptLearning.Training;

/// <summary>The learning rate at a given optimizer step (1-based), from a <see cref="TrainerConfig"/>.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// Learning rate for step <paramref name="step"/> (1 = the first update), as <c>transformers</c>'
    /// <c>get_linear_schedule_with_warmup</c> / <c>get_constant_schedule_with_warmup</c> evaluate their lambda
    /// at the count t = step - 1 of updates already taken: t / warmup during the warm-up (so the first update
    /// has lr 0 and update warmup + 1 the peak <see cref="TrainerConfig.LearningRate"/>), then constant or a
    /// linear fall towards 0 at <see cref="TrainerConfig.MaxSteps"/> (the last update keeps a small lr).
    /// </summary>
    public static double At(TrainerConfig config, int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "steps are numbered from 1");
        var peak = config.LearningRate;
        var warmup = config.EffectiveWarmupSteps;
        var t = step - 1;
        if (t < warmup) return peak * t / warmup;
        if (config.Schedule == ScheduleKind.ConstantWithWarmup) return peak;
        var span = Math.Max(1, config.MaxSteps - warmup);
        return peak * Math.Max(0.0, (config.MaxSteps - t) / (double)span);
    }
}
