using PromptLearning.Prompts;

namespace PromptLearning.Tests.Pet;

/// <summary>Short forms for the tests' examples: one text or a pair, with or without a label.</summary>
internal static class Ex
{
    public static PromptExample Single(string text, int label = -1) => new(text) { Label = label };
    public static PromptExample Pair(string premise, string hypothesis, int label = -1) => new(premise, hypothesis) { Label = label };
}
