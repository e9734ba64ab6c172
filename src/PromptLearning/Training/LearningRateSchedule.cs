namespace PromptLearning.Training;

/// <summary>The learning rate at a given optimizer step (1-based), from a <see cref="TrainerConfig"/>.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// Learning rate for step <paramref name="step"/> (1 = the first update): rises linearly over the
    /// warm-up steps (peak/warmup at step 1) to <see cref="TrainerConfig.LearningRate"/>, then stays (constant) or falls
    /// linearly to 0 at <see cref="TrainerConfig.MaxSteps"/>, as <c>get_linear_schedule_with_warmup</c>.
    /// </summary>
    public static double At(TrainerConfig config, int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "steps are numbered from 1");
        var peak = config.LearningRate;
        var warmup = config.EffectiveWarmupSteps;
        if (step <= warmup) return peak * step / warmup;
        if (config.Schedule == ScheduleKind.ConstantWithWarmup) return peak;
        // As transformers' lambda at the 0-based count t of steps already taken: the last step keeps a small lr.
        var t = step - 1;
        var span = Math.Max(1, config.MaxSteps - warmup);
        return peak * Math.Max(0.0, (config.MaxSteps - t) / (double)span);
    }
}
