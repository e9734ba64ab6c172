using PromptLearning.Tokenization;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// Turns examples into a <see cref="PromptBatch"/>, for every method of the library (soft prompts, PET's
/// patterns, fine-tuning's plain input): fills each task's <see cref="PromptTemplate"/> (virtual-token slots,
/// texts with their modifiers, anchors, the mask slot), adds the model's special tokens, shortens the longest
/// text a token at a time when the sequence is too long, aligns tag labels with each word's first piece,
/// appends the target for generation training, and right-pads. A template's <c>[SEP]</c> splits a pair as the
/// tokenizer encodes pairs (<c>[CLS] a [SEP] b [SEP]</c> with token types 0 and 1 for BERT,
/// <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c> for RoBERTa, as <c>transformers</c>, PET and P-tuning v2 encode
/// pairs); a tokenizer without pair tokens (GPT-2) keeps it as its separator token.
/// </summary>
public sealed class BatchBuilder
{
    // The no-loss label in the int label lists of a chunk.
    private const int NoLabel = (int)LossLabels.IgnoreIndex;
    private readonly TextTokenizer _tok;
    private readonly IReadOnlyList<(TaskDefinition Task, PromptTemplate Template)> _tasks;
    private readonly bool _causal;
    private readonly int _leading;
    private readonly bool _pairSeparated;
    private readonly int _secondStart;

    /// <summary>Number of special tokens the tokenizer puts before the template ([CLS]: 1; GPT-2: 0).</summary>
    public int LeadingSpecialTokens => _leading;

    /// <summary>Longest sequence built (virtual tokens and special tokens included).</summary>
    public int MaxLength { get; }

    /// <param name="tokenizer">The backbone's tokenizer.</param>
    /// <param name="tasks">The model's tasks, in task-id order, each with its template.</param>
    /// <param name="maxLength">Longest sequence (at most the backbone's positions minus any prefix).</param>
    /// <param name="causal">True for GPT-2 (pooling on the last token; generation targets).</param>
    public BatchBuilder(TextTokenizer tokenizer, IReadOnlyList<(TaskDefinition Task, PromptTemplate Template)> tasks, int maxLength, bool causal)
    {
        _tok = tokenizer;
        _tasks = tasks;
        _causal = causal;
        MaxLength = maxLength;
        const int sentinel = -7;
        _leading = tokenizer.BuildInputs([sentinel]).ToList().IndexOf(sentinel);
        if (_leading < 0) throw new InvalidOperationException("tokenizer.BuildInputs dropped the body tokens");
        // Where the tokenizer puts the second sequence of a pair, relative to the end of the first.
        const int second = -8;
        var pairIds = tokenizer.BuildInputs([sentinel], [second]).ToList();
        _secondStart = pairIds.IndexOf(second) - 1;
        _pairSeparated = _secondStart > _leading;
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
    /// <paramref name="maskCount"/> overrides the number of masks in every template's mask slot (PET scores
    /// a label word of k tokens with k masks). The tensors are made on <paramref name="device"/> (null: the
    /// CPU), the model's device. <paramref name="withLabels"/> false leaves class labels out of the batch (PET
    /// scores labelled and unlabelled examples alike and reads the labels itself).
    /// </summary>
    public PromptBatch Build(IReadOnlyList<PromptExample> examples, bool withTargets = true, Device? device = null, int? maskCount = null, bool withLabels = true)
    {
        if (examples.Count == 0) throw new ArgumentException("empty batch");
        if (maskCount is < 1) throw new ArgumentOutOfRangeException(nameof(maskCount), maskCount, "at least one mask");
        var rows = new List<Row>(examples.Count);
        foreach (var ex in examples)
        {
            var row = BuildRow(ex, withTargets, maskCount);
            rows.Add(withLabels ? row : row with { ClassLabel = -1 });
        }
        return Collate(rows, device);
    }

    /// <summary>
    /// The batch of <paramref name="examples"/> with tokens replaced by <paramref name="replace"/> (e.g. BERT's
    /// masking for an auxiliary MLM loss): it gets each row's ids (special tokens included) and returns new ids
    /// of the same length and the labels of that row (the original id where a token was replaced,
    /// <see cref="LossLabels.IgnoreIndex"/> elsewhere), which become the batch's [B, L] <see cref="PromptBatch.Labels"/>.
    /// </summary>
    public PromptBatch BuildReplaced(IReadOnlyList<PromptExample> examples, Func<int[], (int[] Ids, long[] Labels)> replace, Device? device = null, int? maskCount = null)
    {
        if (examples.Count == 0) throw new ArgumentException("empty batch");
        var rows = new List<Row>(examples.Count);
        foreach (var ex in examples)
        {
            var r = BuildRow(ex, withTargets: false, maskCount);
            var (ids, labels) = replace(r.Ids.ToArray());
            if (ids.Length != r.Ids.Count || labels.Length != r.Ids.Count)
                throw new InvalidOperationException($"the replacement returned {ids.Length} ids and {labels.Length} labels for a row of {r.Ids.Count}");
            rows.Add(r with { Ids = ids.ToList(), TokenLabels = labels.Select(l => (int)l).ToList(), ClassLabel = -1 });
        }
        return Collate(rows, device);
    }

    private PromptBatch Collate(List<Row> rows, Device? device)
    {
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
                ids[b * L + i] = r.Ids[i]; mask[b * L + i] = 1; slots[b * L + i] = r.Slots[i]; types[b * L + i] = r.Types[i];
                if (r.TokenLabels is not null) tokenLabels[b * L + i] = r.TokenLabels[i];
            }
            anyTokenLabels |= r.TokenLabels is not null;
            anyClassLabels |= r.ClassLabel >= 0;
            taskIds[b] = r.Task; maskPos[b] = r.Masks.Length > 0 ? r.Masks[0] : 0; classLabels[b] = r.ClassLabel;
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
            MaskSlots = rows.Select(r => r.Masks).ToArray(),
            Labels = labels,
            TaskIndex = taskIds.Select(t => (int)t).ToArray(),
            Lengths = rows.Select(r => r.Ids.Count).ToArray(),
            WordStarts = rows.Any(r => r.WordStarts is not null) ? rows.Select(r => r.WordStarts ?? []).ToArray() : null,
            TruncatedTokens = rows.Select(r => r.Truncated).ToArray(),
        };
    }

    /// <summary>One row before padding.</summary>
    /// <param name="Ids">Token ids.</param>
    /// <param name="Slots">Per token: the soft-prompt slot it stands for (-1: a real token).</param>
    /// <param name="Types">Per token: the segment id (1 for the second sequence of a pair where the model has segments).</param>
    /// <param name="TokenLabels">Per token tag labels (tagging tasks), or null.</param>
    /// <param name="ClassLabel">The class index (-1: none).</param>
    /// <param name="Masks">Positions of the mask slot's masks (empty when the template has none).</param>
    /// <param name="Task">The row's task id (index into the builder's tasks).</param>
    /// <param name="WordStarts">First-token positions of the input words (tagging), or null.</param>
    /// <param name="Truncated">Input tokens removed to fit the maximum length.</param>
    private sealed record Row(List<int> Ids, List<int> Slots, List<int> Types, List<int>? TokenLabels, int ClassLabel, long[] Masks, int Task, int[]? WordStarts, int Truncated);

    /// <summary>A piece of the body before special tokens: ids, their slot indices, their tag labels.</summary>
    private sealed class Chunk
    {
        public TemplatePartKind Kind;
        public List<int> Ids = new();
        public List<int> Slots = new();
        public List<int> Labels = new();
        public List<bool> WordStart = new();
    }

    private Row BuildRow(PromptExample ex, bool withTargets, int? maskCount)
    {
        int t = TaskId(ex.Task);
        var (task, template) = _tasks[t];
        bool tagging = task.Kind == TaskKind.Tagging;
        bool generation = task.Kind == TaskKind.Generation;
        if (tagging && ex.Tags is not null && ex.Tags.Count != Words(ex.A).Length)
            throw new ArgumentException($"task '{task.Name}': {ex.Tags.Count} tags for {Words(ex.A).Length} words in '{ex.A}'");
        // A [SEP] splits a pair where the tokenizer joins pairs with its own tokens ([SEP], </s></s>);
        // elsewhere (GPT-2) it stays in the text as the separator token.
        bool pair = template.IsPair && _pairSeparated;

        // Text parts: move trailing whitespace onto the next text piece (byte-level BPE reads a word's
        // leading space as part of it); drop whitespace that would sit before a slot/mask/sep.
        var chunks = new List<Chunk>();
        string carry = "";
        int slot = 0;
        bool sequenceStart = true;
        foreach (var p in template.Parts)
        {
            switch (p.Kind)
            {
                case TemplatePartKind.Text:
                case TemplatePartKind.Field:
                {
                    string text = p.Kind == TemplatePartKind.Text ? p.Value : p.FieldText(ex);
                    string full = carry + text;
                    string piece = full.TrimEnd();
                    carry = full[piece.Length..];
                    if (sequenceStart && _tok.IsByteLevel) piece = piece.TrimStart();
                    var c = new Chunk { Kind = p.Kind };
                    if (p.Kind == TemplatePartKind.Field && tagging && p.Value == "a") EncodeWords(c, piece, ex.Tags);
                    else if (piece.Trim().Length > 0) AddIds(c, _tok.Encode(piece), -1);
                    chunks.Add(c);
                    sequenceStart &= piece.Trim().Length == 0;
                    break;
                }
                case TemplatePartKind.Slot:
                    carry = ""; sequenceStart = false;
                    var s = new Chunk { Kind = p.Kind }; s.Ids.Add(_tok.PadTokenId); s.Slots.Add(slot++); s.Labels.Add(NoLabel); s.WordStart.Add(false);
                    chunks.Add(s);
                    break;
                case TemplatePartKind.Mask:
                    carry = ""; sequenceStart = false;
                    var m = new Chunk { Kind = p.Kind }; AddIds(m, Enumerable.Repeat(_tok.MaskTokenId!.Value, maskCount ?? p.Count), -1);
                    chunks.Add(m);
                    break;
                case TemplatePartKind.Sep:
                    carry = ""; sequenceStart = pair;
                    var e = new Chunk { Kind = p.Kind };
                    if (!pair) AddIds(e, [Sep(task)], -1);
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
        int special = pair ? _tok.BuildInputs([], []).Count : _tok.BuildInputs([]).Count;
        int extra = special + (generation ? 1 + target.Count : 0);
        int truncated = Truncate(chunks, MaxLength, extra, task, template);

        int sepAt = pair ? chunks.FindIndex(c => c.Kind == TemplatePartKind.Sep) : chunks.Count;
        var first = chunks.Take(sepAt).SelectMany(c => c.Ids).ToList();
        var second = pair ? chunks.Skip(sepAt + 1).SelectMany(c => c.Ids).ToList() : null;
        var ids = _tok.BuildInputs(first, second).ToList();
        var types = pair ? _tok.BuildTokenTypeIds(first, second).ToList() : Enumerable.Repeat(0, ids.Count).ToList();
        int n = ids.Count;
        var slots = Enumerable.Repeat(-1, n).ToList();
        var labels = tagging ? Enumerable.Repeat(NoLabel, n).ToList() : null;
        var masks = new List<long>();
        var starts = tagging ? new List<int>() : null;
        int pos = _leading;
        for (int ci = 0; ci < chunks.Count; ci++)
        {
            if (ci == sepAt && pair) { pos = _secondStart + first.Count; continue; }
            var c = chunks[ci];
            for (int i = 0; i < c.Ids.Count; i++, pos++)
            {
                slots[pos] = c.Slots[i];
                if (labels is not null) labels[pos] = c.Labels[i];
                if (c.Kind == TemplatePartKind.Mask) masks.Add(pos);
                if (c.WordStart[i]) starts!.Add(pos);
            }
        }
        if (generation)
        {
            ids.Add(Sep(task)); slots.Add(-1); types.Add(0);
            if (withTargets)
            {
                labels = Enumerable.Repeat(NoLabel, ids.Count).ToList();
                foreach (var id in target) { ids.Add(id); slots.Add(-1); types.Add(0); labels.Add(id); }
            }
        }
        if (tagging && ex.Tags is null) labels = null;
        return new Row(ids, slots, types, labels, task.Kind == TaskKind.Classification ? ex.Label : -1, masks.ToArray(), t, starts?.ToArray(), truncated);
    }

    private int Sep(TaskDefinition task) => _tok.EosTokenId ?? throw new InvalidOperationException($"task '{task.Name}': the tokenizer has no separator/eos token");

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

    /// <summary>
    /// Shortens the input fields, one token at a time from the end of the currently longest (the later one on a tie),
    /// until the body and <paramref name="extra"/> special tokens fit <paramref name="maxLength"/> (as <c>transformers</c>' <c>longest_first</c> and PET do); the
    /// template's own text, virtual tokens and masks are never cut. Returns the number of tokens removed.
    /// </summary>
    private static int Truncate(List<Chunk> chunks, int maxLength, int extra, TaskDefinition task, PromptTemplate template)
    {
        int budget = maxLength - extra;
        int total = chunks.Sum(c => c.Ids.Count), removed = 0;
        while (total > budget)
        {
            Chunk? longest = null;
            foreach (var c in chunks)
                if (c.Kind == TemplatePartKind.Field && c.Ids.Count > 0 && (longest is null || c.Ids.Count >= longest.Ids.Count)) longest = c;
            if (longest is null)
                throw new ArgumentException($"task '{task.Name}': template '{template}' needs {total + extra} tokens without any input text ({extra} of them special tokens or target) but max length is {maxLength}; shorten it or raise the maximum length");
            int last = longest.Ids.Count - 1;
            longest.Ids.RemoveAt(last); longest.Slots.RemoveAt(last); longest.Labels.RemoveAt(last); longest.WordStart.RemoveAt(last);
            total--; removed++;
        }
        return removed;
    }
}
