using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// One task's trainable parts in a <see cref="TaskModel"/>: its soft prompt (none for the
/// baselines), its template and its head. State-dict keys: <c>prompt.*</c>, <c>head.*</c>.
/// </summary>
public sealed class TaskAdapter : nn.Module
{
    private readonly SoftPrompt? prompt;
    private readonly PromptHead head;

    /// <summary>The task.</summary>
    public TaskDefinition Task { get; }
    /// <summary>Where inputs, virtual tokens and the mask go.</summary>
    public PromptTemplate Template { get; }
    /// <summary>The soft prompt: input tokens, layer prefixes, or null (fine-tuning, head-only, zero-shot).</summary>
    public SoftPrompt? Prompt => prompt;
    /// <summary>The head.</summary>
    public PromptHead Head => head;
    /// <summary>Dropout on the key/value prefixes while training (P-tuning v2).</summary>
    public double PrefixDropout { get; }

    public TaskAdapter(TaskDefinition task, PromptTemplate template, SoftPrompt? prompt, PromptHead head, double prefixDropout = 0.0)
        : base(nameof(TaskAdapter))
    {
        Task = task.Validated();
        Template = template;
        if (prompt is InputPrompt ip && ip.Length != template.SlotCount)
            throw new ArgumentException($"task '{task.Name}': the input prompt has {ip.Length} virtual tokens but template '{template}' has {template.SlotCount} [P] slots");
        if (prompt is not InputPrompt && template.SlotCount > 0)
            throw new ArgumentException($"task '{task.Name}': template '{template}' has [P] slots but this method puts no virtual tokens at the input");
        if (head.Kind == HeadKind.Cloze && !template.HasMask)
            throw new ArgumentException($"task '{task.Name}': a cloze head needs a [MASK] in template '{template}'");
        if (head.Kind == HeadKind.Cloze && template.MaskSlot!.Count != 1)
            throw new ArgumentException($"task '{task.Name}': a cloze head reads one [MASK], template '{template}' has {template.MaskSlot.Count} in a row (label words of several tokens are PET's: Pet.Pvp)");
        this.prompt = prompt;
        this.head = head;
        PrefixDropout = prefixDropout;
        RegisterComponents();
    }
}
