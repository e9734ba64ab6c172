using PromptLearning.Native;
using PromptLearning.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PromptLearning.Prompts;

// The prompts in the backbone call: virtual tokens written into the input embeddings, key/value prefixes handed to every layer.
public partial class TaskModel
{
    /// <summary>
    /// Runs the backbone with each example's prompt. <paramref name="lmLogits"/>: force (or skip) the
    /// LM head; by default it runs when a task's head needs it. <paramref name="useCache"/> returns the
    /// keys/values (GPT-2) for incremental decoding.
    /// </summary>
    public ForwardOutput Forward(PromptBatch batch, bool? lmLogits = null, bool useCache = false)
    {
        var c = Backbone.Config;
        var device = batch.InputIds.device;
        int B = batch.Count;
        long L = batch.InputIds.shape[1];
        var used = batch.TaskIndex.Distinct().OrderBy(t => t).ToArray();
        foreach (var t in used)
            if (t < 0 || t >= tasks.Count) throw new ArgumentException($"batch uses task id {t}; this model has {tasks.Count} task(s)");
        bool needLm = lmLogits ?? used.Any(t => tasks[t].Head.NeedsLmLogits);
        // Cloze heads read the vocabulary scores at the [MASK] only: project just that position.
        bool maskOnly = lmLogits is null && used.All(t => tasks[t].Head is ClozeHead);

        // Virtual tokens at the input: write each example's own task's prompt rows into its slots.
        Tensor? embeds = null;
        var inputTasks = used.Where(t => tasks[t].Prompt is InputPrompt).ToArray();
        if (inputTasks.Length > 0)
        {
            embeds = Backbone.EmbedTokens(batch.InputIds);
            var offsets = new long[tasks.Count];
            var tables = new List<Tensor>();
            long off = 0;
            foreach (var t in inputTasks)
            {
                offsets[t] = off;
                var e = ((InputPrompt)tasks[t].Prompt!).Embeddings();
                tables.Add(e);
                off += e.shape[0];
            }
            var table = tables.Count == 1 ? tables[0] : cat(tables, 0);
            var isSlot = batch.Slots.ge(Scalars.Zero);
            var rowOffset = tensor(offsets, device: device).index_select(0, batch.TaskIds).unsqueeze(1);
            var index = where(isSlot, batch.Slots.Plus(rowOffset), zeros_like(batch.Slots)).flatten();
            var rows = table.index_select(0, index).view(B, L, -1);
            embeds = where(isSlot.unsqueeze(-1), rows.to_type(embeds.dtype), embeds);
        }
        else if (batch.Slots.ge(Scalars.Zero).any().item<bool>())
            throw new ArgumentException("batch has virtual-token slots but none of its tasks has an input prompt");

        // Key/value prefixes in every layer.
        IReadOnlyList<KeyValue>? past = null;
        Tensor mask = batch.AttentionMask;
        Tensor? positions = null;
        var prefixTasks = used.Where(t => tasks[t].Prompt is PrefixPrompt).ToArray();
        if (prefixTasks.Length > 0)
        {
            int layers = c.NumHiddenLayers;
            Tensor kv; // [layers, 2, B, heads, P, head_dim]
            Tensor prefixMask; // [B, P]
            if (used.Length == 1)
            {
                var tp = tasks[used[0]];
                var one = ((PrefixPrompt)tp.Prompt!).KeyValues();
                int n = (int)one.shape[3];
                kv = one.unsqueeze(2).expand(layers, 2, B, one.shape[2], n, one.shape[4]);
                prefixMask = ones(B, n, dtype: mask.dtype, device: device);
            }
            else
            {
                int P = used.Max(t => tasks[t].Prompt is PrefixPrompt p ? p.Length : 0);
                var stacked = new List<Tensor>();
                var lengths = new long[tasks.Count];
                var slotOf = new long[tasks.Count];
                foreach (var t in used)
                {
                    slotOf[t] = stacked.Count;
                    if (tasks[t].Prompt is PrefixPrompt)
                    {
                        var one = ((PrefixPrompt)tasks[t].Prompt!).KeyValues();
                        lengths[t] = one.shape[3];
                        stacked.Add(one.shape[3] == P ? one : F.pad(one, [0, 0, 0, P - one.shape[3]]));
                    }
                    else stacked.Add(zeros(new long[] { layers, 2, c.NumAttentionHeads, P, c.HeadDim }, device: device));
                }
                var all = stack(stacked, 0); // [T, layers, 2, heads, P, hd]
                var pick = tensor(slotOf, device: device).index_select(0, batch.TaskIds);
                kv = all.index_select(0, pick).permute(1, 2, 0, 3, 4, 5);
                var n = tensor(lengths, device: device).index_select(0, batch.TaskIds); // [B]
                prefixMask = Scalars.Arange(P, device: device).unsqueeze(0).lt(n.unsqueeze(1)).to_type(mask.dtype);
                positions = c.IsRoberta
                    ? (batch.AttentionMask.cumsum(1).Plus(n.unsqueeze(1)) * batch.AttentionMask).Plus((long)(c.PadTokenId ?? 1))
                    : Scalars.Arange(L, device: device).unsqueeze(0).Plus(n.unsqueeze(1));
            }
            kv = PrefixDropout(kv, batch);
            var list = new List<KeyValue>(layers);
            for (int l = 0; l < layers; l++) list.Add(new KeyValue(kv[l, 0], kv[l, 1]));
            past = list;
            mask = cat([prefixMask, mask], 1);
        }

        return Backbone.Forward(new ForwardArgs
        {
            InputIds = embeds is null ? batch.InputIds : null,
            InputsEmbeds = embeds,
            AttentionMask = mask,
            TokenTypeIds = c.IsCausal ? null : batch.TokenTypeIds,
            PositionIds = positions,
            PastKeyValues = past,
            UseCache = useCache,
            SkipLmHead = !needLm,
            LogitsPositions = needLm && maskOnly ? batch.MaskPositions.unsqueeze(1) : null,
        });
    }

    /// <summary>
    /// Training-mode dropout on the batch's prefixes [layers, 2, B, heads, P, head_dim], after they were
    /// expanded to the batch, so every example draws its own mask (P-tuning v2's <c>get_prompt</c>); each
    /// row at its own task's <see cref="TaskAdapter.PrefixDropout"/>.
    /// </summary>
    private Tensor PrefixDropout(Tensor kv, PromptBatch batch)
    {
        if (!training) return kv;
        var rates = batch.TaskIndex.Select(t => tasks[t].PrefixDropout).ToArray();
        if (rates.All(r => r <= 0)) return kv;
        if (rates.Distinct().Count() == 1) return F.dropout(kv, rates[0], true);
        var keep = tensor(rates.Select(r => (float)(1 - r)).ToArray(), device: kv.device).to_type(kv.dtype).view(1, 1, -1, 1, 1, 1);
        return kv * bernoulli(keep.expand(kv.shape)).div_(keep);
    }
}
