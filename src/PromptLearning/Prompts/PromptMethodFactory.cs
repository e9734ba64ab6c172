using PromptLearning.Models;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Tokenization;

namespace PromptLearning.Prompts;

/// <summary>Builds any method's model from its config (the CLI's and notebooks' single entry point).</summary>
public static class PromptMethodFactory
{
    /// <summary>A new model of <paramref name="config"/>'s method for <paramref name="task"/> on <paramref name="backbone"/>.</summary>
    public static TaskModel Create(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PromptMethodConfig config) => config switch
    {
        PromptTuningConfig c => new PromptTuningModel(backbone, tokenizer, task, c),
        PTuningConfig c => new PTuningModel(backbone, tokenizer, task, c),
        PrefixTuningConfig c => new PrefixTuningModel(backbone, tokenizer, task, c),
        PTuningV2Config c => new PTuningV2Model(backbone, tokenizer, task, c),
        FineTuningConfig c => new FineTuningModel(backbone, tokenizer, task, c),
        HeadOnlyConfig c => new HeadOnlyModel(backbone, tokenizer, task, c),
        ZeroShotClozeConfig c => new ZeroShotClozeModel(backbone, tokenizer, task, c),
        _ => throw new ArgumentException($"no model for config type {config.GetType().Name}"),
    };
}
