using PromptLearning.Tokenization;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// Turns examples into a <see cref="PromptBatch"/>: fills each task's template (virtual-token slots,
/// texts, anchors, [MASK]), adds the model's special tokens, truncates the longest text when the
/// sequence is too long, aligns tag labels with each word's first piece, appends the target for
/// generation training, and right-pads. Token type ids follow the tokenizer's own pair encoding: where
/// it gives the second text type 1 (BERT), everything after the template's first <c>[SEP]</c> (the
/// final <c>[SEP]</c> included) gets 1, as P-tuning v2's pair inputs do.
/// </summary>
public sealed class BatchBuilder
{
    // The no-loss label in the int label lists of a chunk.
    private const int NoLabel = (int)LossLabels.IgnoreIndex;
    private readonly TextTokenizer _tok;
    private readonly IReadOnlyList<(PromptTask Task, PromptTemplate Template)> _tasks;
    private readonly bool _causal;
    private readonly int _leading;
    private readonly bool _pairTypes;

    /// <summary>Number of special tokens the tokenizer puts before the template ([CLS]: 1; GPT-2: 0).</summary>
    public int LeadingSpecialTokens => _leading;

    /// <summary>Longest sequence built (virtual tokens and special tokens included).</summary>
    public int MaxLength { get; }

    /// <param name="tokenizer">The backbone's tokenizer.</param>
    /// <param name="tasks">The model's tasks, in task-id order, each with its template.</param>
    /// <param name="maxLength">Longest sequence (at most the backbone's positions minus any prefix).</param>
    /// <param name="causal">True for GPT-2 (pooling on the last token; generation targets).</param>
    public BatchBuilder(TextTokenizer tokenizer, IReadOnlyList<(PromptTask Task, PromptTemplate Template)> tasks, int maxLength, bool causal)
    {
        _tok = tokenizer;
        _tasks = tasks;
        _causal = causal;
        MaxLength = maxLength;
        const int sentinel = -7;
        _leading = tokenizer.BuildInputs([sentinel]).ToList().IndexOf(sentinel);
        if (_leading < 0) throw new InvalidOperationException("tokenizer.BuildInputs dropped the body tokens");
        _pairTypes = tokenizer.BuildTokenTypeIds([sentinel], [sentinel]).Contains(1);
        foreach (var (task, t) in tasks)
            if (t.HasMask && tokenizer.MaskTokenId is null)
                throw new ArgumentException($"task '{task.Name}': template '{t}' has [MASK] but this tokenizer has no mask token");
    }

    /// <summary>Task id of <paramref name="name"/>; null means the first task.</summary>
    public int TaskId(string? name)
    {
        if (name is null) return 0;
        for (int i = 0; i < _tasks.Count; i++) if (_tasks[i].Task.Name == name) return i;
        throw new ArgumentException($"example names task '{name}', which this model has no prompt for (has: {string.Join(", ", _tasks.Select(t => t.Task.Name))})");
    }

    /// <summary>
    /// Builds a batch. <paramref name="withTargets"/>: for generation tasks, append separator + target +
    /// eos and label the target (training); otherwise stop after the separator (inference).
    /// The tensors are made on <paramref name="device"/> (null: the CPU), the model's device.
    /// </summary>
    public PromptBatch Build(IReadOnlyList<PromptExample> examples, bool withTargets = true, Device? device = null)
    {
        if (examples.Count == 0) throw new ArgumentException("empty batch");
        var rows = new List<Row>(examples.Count);
        foreach (var ex in examples) rows.Add(BuildRow(ex, withTargets));
        int B = rows.Count, L = rows.Max(r => r.Ids.Count);
        int pad = _tok.PadTokenId;
        var ids = new long[B * L]; var mask = new long[B * L]; var slots = new long[B * L]; var types = new long[B * L];
        var tokenLabels = new long[B * L];
        Array.Fill(ids, pad); Array.Fill(slots, -1); Array.Fill(tokenLabels, LossLabels.IgnoreIndex);
        var taskIds = new long[B]; var pool = new long[B]; var maskPos = new long[B]; var classLabels = new long[B];
        bool anyTokenLabels = false, anyClassLabels = false;
        for (int b = 0; b < B; b++)
        {
            var r = rows[b];
            for (int i = 0; i < r.Ids.Count; i++)
            {
                ids[b * L + i] = r.Ids[i]; mask[b * L + i] = 1; slots[b * L + i] = r.Slots[i];
                if (_pairTypes && r.SecondSegment >= 0 && i >= r.SecondSegment) types[b * L + i] = 1;
                if (r.TokenLabels is not null) tokenLabels[b * L + i] = r.TokenLabels[i];
            }
            anyTokenLabels |= r.TokenLabels is not null;
            anyClassLabels |= r.ClassLabel >= 0;
            taskIds[b] = r.Task; maskPos[b] = r.MaskPosition; classLabels[b] = r.ClassLabel;
            pool[b] = _causal ? r.Ids.Count - 1 : 0;
        }
        Tensor? labels = null;
        if (anyTokenLabels) labels = tensor(tokenLabels, new long[] { B, L }, device: device);
        else if (anyClassLabels)
        {
            if (classLabels.Any(c => c < 0)) throw new ArgumentException("batch mixes labelled and unlabelled examples");
            labels = tensor(classLabels, device: device);
        }
        return new PromptBatch
        {
            InputIds = tensor(ids, new long[] { B, L }, device: device),
            AttentionMask = tensor(mask, new long[] { B, L }, device: device),
            TokenTypeIds = tensor(types, new long[] { B, L }, device: device),
            Slots = tensor(slots, new long[] { B, L }, device: device),
            TaskIds = tensor(taskIds, device: device),
            PoolPositions = tensor(pool, device: device),
            MaskPositions = tensor(maskPos, device: device),
            Labels = labels,
            TaskIndex = taskIds.Select(t => (int)t).ToArray(),
            Lengths = rows.Select(r => r.Ids.Count).ToArray(),
            WordStarts = rows.Any(r => r.WordStarts is not null) ? rows.Select(r => r.WordStarts ?? []).ToArray() : null,
        };
    }

    /// <summary>One row before padding.</summary>
    /// <param name="Ids">Token ids.</param>
    /// <param name="Slots">Per token: the soft-prompt slot it stands for (-1: a real token).</param>
    /// <param name="TokenLabels">Per token tag labels (tagging tasks), or null.</param>
    /// <param name="ClassLabel">The class index (-1: none).</param>
    /// <param name="MaskPosition">Position of the cloze mask (0 when the template has none).</param>
    /// <param name="Task">The row's task id (index into the builder's tasks).</param>
    /// <param name="WordStarts">First-token positions of the input words (tagging), or null.</param>
    /// <param name="SecondSegment">Position right after the template's first [SEP] (-1: none): where token type 1 starts.</param>
    private sealed record Row(List<int> Ids, List<int> Slots, List<int>? TokenLabels, int ClassLabel, int MaskPosition, int Task, int[]? WordStarts, int SecondSegment);

    /// <summary>A piece of the body before special tokens: ids, their slot indices, their tag labels.</summary>
    private sealed class Chunk
    {
        public TemplatePartKind Kind;
        public string Field = "";
        public List<int> Ids = new();
        public List<int> Slots = new();
        public List<int> Labels = new();
        public List<bool> WordStart = new();
    }

    private Row BuildRow(PromptExample ex, bool withTargets)
    {
        int t = TaskId(ex.Task);
        var (task, template) = _tasks[t];
        bool tagging = task.Kind == TaskKind.Tagging;
        bool generation = task.Kind == TaskKind.Generation;
        if (tagging && ex.Tags is not null && ex.Tags.Count != Words(ex.A).Length)
            throw new ArgumentException($"task '{task.Name}': {ex.Tags.Count} tags for {Words(ex.A).Length} words in '{ex.A}'");

        // Text parts: move trailing whitespace onto the next text piece (byte-level BPE reads a word's
        // leading space as part of it); drop whitespace that would sit before a slot/mask/sep.
        var chunks = new List<Chunk>();
        string carry = "";
        int slot = 0;
        foreach (var p in template.Parts)
        {
            switch (p.Kind)
            {
                case TemplatePartKind.Text:
                case TemplatePartKind.Field:
                {
                    string text = p.Kind == TemplatePartKind.Text ? p.Value
                        : p.Value == "a" ? ex.A : ex.B ?? throw new ArgumentException($"task '{task.Name}': template '{template}' uses {{b}} but the example has no second text");
                    string full = carry + text;
                    string piece = full.TrimEnd();
                    carry = full[piece.Length..];
                    if (chunks.Count == 0 && _tok.IsByteLevel) piece = piece.TrimStart();
                    var c = new Chunk { Kind = p.Kind, Field = p.Value };
                    if (p.Kind == TemplatePartKind.Field && tagging && p.Value == "a") EncodeWords(c, piece, ex.Tags);
                    else if (piece.Trim().Length > 0) AddIds(c, _tok.Encode(piece), -1);
                    chunks.Add(c);
                    break;
                }
                case TemplatePartKind.Slot:
                    carry = "";
                    var s = new Chunk { Kind = p.Kind }; s.Ids.Add(_tok.PadTokenId); s.Slots.Add(slot++); s.Labels.Add(NoLabel); s.WordStart.Add(false);
                    chunks.Add(s);
                    break;
                case TemplatePartKind.Mask:
                    carry = "";
                    var m = new Chunk { Kind = p.Kind }; AddIds(m, [_tok.MaskTokenId!.Value], -1);
                    chunks.Add(m);
                    break;
                case TemplatePartKind.Sep:
                    carry = "";
                    var e = new Chunk { Kind = p.Kind }; AddIds(e, [Sep(task)], -1);
                    chunks.Add(e);
                    break;
            }
        }

        // Generation targets and the fixed cost of special tokens decide how long the body may be.
        List<int> target = [];
        if (generation && withTargets)
        {
            if (ex.Target is null) throw new ArgumentException($"task '{task.Name}': generation example '{ex.A}' has no target");
            target = _tok.Encode(_tok.IsByteLevel ? " " + ex.Target.Trim() : ex.Target).ToList();
            target.Add(Sep(task));
        }
        int special = _tok.BuildInputs([]).Count;
        int extra = special + (generation ? 1 + target.Count : 0);
        int budget = MaxLength - extra;
        Truncate(chunks, budget, task, ex);

        var body = chunks.SelectMany(c => c.Ids).ToList();
        var ids = _tok.BuildInputs(body).ToList();
        int n = ids.Count;
        var slots = Enumerable.Repeat(-1, n).ToList();
        var labels = tagging ? Enumerable.Repeat(NoLabel, n).ToList() : null;
        int pos = _leading, maskPos = 0, second = -1;
        var starts = tagging ? new List<int>() : null;
        foreach (var c in chunks)
            for (int i = 0; i < c.Ids.Count; i++, pos++)
            {
                slots[pos] = c.Slots[i];
                if (labels is not null) labels[pos] = c.Labels[i];
                if (c.Kind == TemplatePartKind.Mask) maskPos = pos;
                if (c.Kind == TemplatePartKind.Sep && second < 0) second = pos + 1;
                if (c.WordStart[i]) starts!.Add(pos);
            }
        if (generation)
        {
            ids.Add(Sep(task)); slots.Add(-1);
            if (withTargets)
            {
                labels = Enumerable.Repeat(NoLabel, ids.Count).ToList();
                foreach (var id in target) { ids.Add(id); slots.Add(-1); labels.Add(id); }
            }
        }
        if (tagging && ex.Tags is null) labels = null;
        return new Row(ids, slots, labels, task.Kind == TaskKind.Classification ? ex.Label : -1, maskPos, t, starts?.ToArray(), second);
    }

    private int Sep(PromptTask task) => _tok.EosTokenId ?? throw new InvalidOperationException($"task '{task.Name}': the tokenizer has no separator/eos token");

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static void AddIds(Chunk c, IEnumerable<int> ids, int label)
    {
        foreach (var id in ids) { c.Ids.Add(id); c.Slots.Add(-1); c.Labels.Add(label); c.WordStart.Add(false); }
    }

    private void EncodeWords(Chunk c, string text, IReadOnlyList<int>? tags)
    {
        var words = Words(text);
        bool lead = text.Length > 0 && char.IsWhiteSpace(text[0]);
        for (int w = 0; w < words.Length; w++)
        {
            var pieces = _tok.Encode(_tok.IsByteLevel && (w > 0 || lead) ? " " + words[w] : words[w]);
            if (pieces.Count == 0) continue;
            for (int i = 0; i < pieces.Count; i++)
            {
                c.Ids.Add(pieces[i]); c.Slots.Add(-1);
                c.Labels.Add(i == 0 && tags is not null ? tags[w] : NoLabel);
                c.WordStart.Add(i == 0);
            }
        }
    }

    private static void Truncate(List<Chunk> chunks, int budget, PromptTask task, PromptExample ex)
    {
        int total = chunks.Sum(c => c.Ids.Count);
        while (total > budget)
        {
            var longest = chunks.Where(c => c.Kind == TemplatePartKind.Field).MaxBy(c => c.Ids.Count);
            if (longest is null || longest.Ids.Count == 0)
                throw new ArgumentException($"task '{task.Name}': the template alone needs {total} tokens, more than the {budget} allowed; shorten it or raise the maximum length");
            int cut = Math.Min(total - budget, longest.Ids.Count);
            int keep = longest.Ids.Count - cut;
            longest.Ids.RemoveRange(keep, cut); longest.Slots.RemoveRange(keep, cut);
            longest.Labels.RemoveRange(keep, cut); longest.WordStart.RemoveRange(keep, cut);
            total -= cut;
        }
    }
}
