using PromptLearning.Models;
using PromptLearning.Tokenization;

namespace PromptLearning.Prompts.PrefixTuning;

/// <summary>
/// Prefix tuning on a frozen backbone: GPT-2 table-to-text (LM head; the prefix conditions
/// generation) or BERT/RoBERTa classification (cloze head with verbalizer when the task has one,
/// else a [CLS] head). Saved prompts hold only the collapsed prefixes.
/// </summary>
public sealed class PrefixTuningModel : TaskModel
{
    public PrefixTuningModel(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PrefixTuningConfig? config = null)
        : base(backbone, tokenizer, config ??= new PrefixTuningConfig(), [Build(backbone, tokenizer, task, config)], trainBackbone: false) { }

    private static TaskAdapter Build(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PrefixTuningConfig config)
    {
        var c = backbone.Config;
        var head = config.Head ?? PromptHeads.DefaultFor(task, c, preferCloze: true);
        var template = PromptTemplate.Parse(config.Template ?? (head == HeadKind.Cloze ? task.Cloze : task.Input));
        int length = config.InitText is null ? config.Length : RealWordPrefix.TokenCount(tokenizer, config.InitText);
        var encoder = new PrefixEncoder(length, c.NumHiddenLayers, c.NumAttentionHeads, c.HeadDim, config.Reparameterize, config.HiddenSize, 1.0, config.Seed);
        if (config.InitText is not null)
        {
            using var target = RealWordPrefix.Activations(backbone, tokenizer, config.InitText, length);
            encoder.InitializeTo(target, config.InitFitSteps, config.InitFitLearningRate);
        }
        return new TaskAdapter(task, template, encoder, PromptHeads.Create(head, backbone, tokenizer, task, config.HeadDropout, config.Seed), config.PrefixDropout);
    }
}
