using PromptLearning.Models;
using PromptLearning.Tokenization;

namespace PromptLearning.Prompts.Baselines;

/// <summary>
/// Full fine-tuning in the prompt API: no prompt, the backbone trained with the head. It trains its own
/// copy of <c>backbone</c> (<see cref="LanguageModelCopy.Of"/>, made at construction and disposed with
/// the model), so the caller's backbone keeps its weights and can serve other methods.
/// </summary>
public sealed class FineTuningModel : TaskModel
{
    public FineTuningModel(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, FineTuningConfig? config = null)
        : this(RunsOn.For(backbone, trainsBackbone: true), tokenizer, task, config ?? new FineTuningConfig()) { }

    private FineTuningModel(RunsOn own, TextTokenizer tokenizer, TaskDefinition task, FineTuningConfig config)
        : base(own.Model, tokenizer, config, [Baseline.Task(own.Model, tokenizer, task, config, HeadKind.Classification)], trainBackbone: true) { }
}

/// <summary>Head-only: no prompt, frozen backbone, a trained linear head.</summary>
public sealed class HeadOnlyModel : TaskModel
{
    public HeadOnlyModel(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, HeadOnlyConfig? config = null)
        : base(backbone, tokenizer, config ??= new HeadOnlyConfig(), [Baseline.Task(backbone, tokenizer, task, config, HeadKind.Classification)], trainBackbone: false)
    {
        if (Tasks[0].Head.Kind is HeadKind.LanguageModel or HeadKind.Cloze)
            throw new ArgumentException($"head-only training needs a head with weights; task '{task.Name}' would use the {Tasks[0].Head.Kind} head, which has none");
    }
}

/// <summary>Zero-shot cloze: pattern + verbalizer on the frozen masked LM; no trainable parameters.</summary>
public sealed class ZeroShotClozeModel : TaskModel
{
    public ZeroShotClozeModel(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, ZeroShotClozeConfig? config = null)
        : base(backbone, tokenizer, config ??= new ZeroShotClozeConfig(), [Baseline.Task(backbone, tokenizer, task, config, HeadKind.Cloze)], trainBackbone: false) { }
}

internal static class Baseline
{
    /// <summary>The baselines' task: no prompt, template "{x}" unless given, the given head for classification.</summary>
    public static TaskAdapter Task(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PromptMethodConfig config, HeadKind classificationHead)
    {
        var head = config.Head ?? task.Kind switch
        {
            TaskKind.Classification => classificationHead,
            TaskKind.Tagging => HeadKind.Token,
            _ => HeadKind.LanguageModel,
        };
        var template = PromptTemplate.Parse(config.Template ?? (head == HeadKind.Cloze ? task.Cloze : task.Input));
        return new TaskAdapter(task, template, null, PromptHeads.Create(head, backbone, tokenizer, task, config.HeadDropout, config.Seed));
    }
}
