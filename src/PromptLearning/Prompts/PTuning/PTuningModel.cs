using PromptLearning.Models;
using PromptLearning.Tokenization;

namespace PromptLearning.Prompts.PTuning;

/// <summary>
/// P-tuning v1 on a masked LM (cloze with verbalizer, or a [CLS] head) or GPT-2 (generation): the
/// prompt encoder's tokens fill the template's [P] slots; the backbone is frozen unless
/// <see cref="PTuningConfig.TrainBackbone"/>, which trains the model's own copy of it (as
/// <see cref="Baselines.FineTuningModel"/>), never the caller's.
/// </summary>
public sealed class PTuningModel : TaskModel
{
    public PTuningModel(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PTuningConfig? config = null)
        : this(RunsOn.For(backbone, (config ??= new PTuningConfig()).TrainBackbone), tokenizer, task, config) { }

    private PTuningModel(RunsOn backbone, TextTokenizer tokenizer, TaskDefinition task, PTuningConfig config)
        : base(backbone.Model, tokenizer, config, [Build(backbone.Model, tokenizer, task, config)], trainBackbone: config.TrainBackbone) { }

    /// <summary>
    /// P-tuning's default placement: three virtual tokens before the input and three before the
    /// mask (cloze: <c>[P*3] {x} [P*3] [MASK]</c>, anchors of the task's cloze pattern kept), or around
    /// the input otherwise (<c>[P*3] {x} [P*3]</c>).
    /// </summary>
    public static string DefaultTemplate(TaskDefinition task, HeadKind head)
        => head == HeadKind.Cloze ? "[P*3] " + task.Cloze.Replace("[MASK]", "[P*3] [MASK]") : "[P*3] " + task.Input + " [P*3]";

    private static TaskAdapter Build(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PTuningConfig config)
    {
        var head = config.Head ?? PromptHeads.DefaultFor(task, backbone.Config, preferCloze: true);
        var template = PromptTemplate.Parse(config.Template ?? DefaultTemplate(task, head));
        if (template.SlotCount == 0) throw new ArgumentException($"P-tuning: template '{template}' has no [P] slot");
        int h = backbone.Config.HiddenSize;
        var encoder = new PromptEncoder(template.SlotCount, h, config.EncoderHiddenSize ?? h, config.Encoder, config.Seed);
        return new TaskAdapter(task, template, encoder, PromptHeads.Create(head, backbone, tokenizer, task, config.HeadDropout, config.Seed));
    }
}
