namespace PromptLearning.Prompts;

/// <summary>
/// One example: text <see cref="A"/> (a review, a premise, a linearised table), an optional
/// second text <see cref="B"/>, and its gold output: <see cref="Label"/> (class index),
/// <see cref="Tags"/> (one tag index per word of <see cref="A"/> split on whitespace) or
/// <see cref="Target"/> (the text to generate). <see cref="Task"/> names the task whose prompt it uses.
/// </summary>
public sealed record PromptExample(string A, string? B = null)
{
    public int Label { get; init; } = -1;
    public IReadOnlyList<int>? Tags { get; init; }
    public string? Target { get; init; }
    /// <summary>Task name for mixed-task batches; null = the model's only (first) task.</summary>
    public string? Task { get; init; }
}
