namespace PromptLearning.Display;

/// <summary>
/// A notebook's quick run: with the environment variable <c>PLEARN_QUICK_RUN=1</c> each notebook's settings
/// cell shrinks its budget (a few steps, a few dev examples), so the whole notebook runs in about a minute.
/// It checks that every cell runs and every chart draws in a kernel host; its numbers mean nothing, and
/// <c>plearn notebooks check --quick-run</c> does not compare them with the markdown. CI's second host pass
/// (dotnet-repl) runs this way; the main job and a user's run never set the variable.
/// </summary>
public static class QuickRun
{
    /// <summary>The environment variable that turns the quick run on (value <c>1</c>).</summary>
    public const string Variable = "PLEARN_QUICK_RUN";

    /// <summary>Whether this process runs the notebooks quickly (<see cref="Variable"/> is <c>1</c>).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>
    /// The settings table's caption: <paramref name="caption"/>, marked as a quick run when <see cref="Enabled"/>,
    /// so an output of a quick run cannot be mistaken for the notebook's results.
    /// </summary>
    public static string Caption(string caption) =>
        Enabled ? $"{caption}, QUICK RUN ({Variable}=1: a tiny budget; the numbers mean nothing)" : caption;
}
