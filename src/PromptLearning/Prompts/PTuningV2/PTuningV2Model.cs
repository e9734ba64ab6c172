using PromptLearning.Models;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Tokenization;

namespace PromptLearning.Prompts.PTuningV2;

/// <summary>
/// P-tuning v2 on a frozen backbone: deep prompts in every layer read out by a linear head on [CLS]
/// (classification) or on every token (BIO tagging); the LM head for generation on GPT-2.
/// </summary>
public sealed class PTuningV2Model : TaskModel
{
    public PTuningV2Model(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PTuningV2Config? config = null)
        : base(backbone, tokenizer, config ??= new PTuningV2Config(), [Build(backbone, tokenizer, task, config)], trainBackbone: false) { }

    /// <summary>
    /// The head P-tuning v2 uses when none is asked for: the reference's pooled head
    /// (<see cref="HeadKind.PooledClassification"/>) for classification when the backbone has a pooler,
    /// else the linear [CLS] head; the token head for tagging, the LM head for generation.
    /// </summary>
    public static HeadKind DefaultHead(ILanguageModel backbone, TaskDefinition task)
    {
        var head = PromptHeads.DefaultFor(task, backbone.Config, preferCloze: false);
        return head == HeadKind.Classification && PromptHeads.PoolerOf(backbone) is not null ? HeadKind.PooledClassification : head;
    }

    private static TaskAdapter Build(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PTuningV2Config config)
    {
        var c = backbone.Config;
        var head = config.Head ?? DefaultHead(backbone, task);
        var template = PromptTemplate.Parse(config.Template ?? (head == HeadKind.Cloze ? task.Cloze : task.Input));
        var prompts = new PrefixEncoder(config.Length, c.NumHiddenLayers, c.NumAttentionHeads, c.HeadDim, config.Reparameterize, config.HiddenSize, config.InitStd, config.Seed);
        return new TaskAdapter(task, template, prompts, PromptHeads.Create(head, backbone, tokenizer, task, config.HeadDropout, config.Seed), config.PrefixDropout);
    }
}
