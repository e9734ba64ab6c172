using PromptLearning.Models;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

// Generation tasks: each example's continuation decoded with its task's prompt as the decoder's prefix.
public partial class TaskModel
{
    /// <summary>
    /// Generates each example's continuation after its source (GPT-2, generation tasks): greedy when
    /// <paramref name="beams"/> is 1, else beam search, stopping at eos. Key/value prefixes go to the
    /// decoder as its prefix; virtual input tokens that all precede the text are first turned into
    /// the same prefix (GPT-2 is causal, so this is exact); templates with virtual tokens after the
    /// text are decoded one example at a time from the source's cache.
    /// </summary>
    public List<string> Generate(IReadOnlyList<PromptExample> examples, int maxNewTokens = 40, int beams = 1, int batchSize = 16)
    {
        var c = Backbone.Config;
        if (!c.IsCausal) throw new InvalidOperationException($"generation needs GPT-2; this backbone is {c.ModelType}");
        bool was = training;
        eval();
        try
        {
            var results = new string[examples.Count];
            var groups = Enumerable.Range(0, examples.Count).GroupBy(i => _builder.TaskId(examples[i].Task));
            foreach (var group in groups)
            {
                var tp = tasks[group.Key];
                var idx = group.ToList();
                bool leadingSlots = tp.Prompt is InputPrompt && _builder.LeadingSpecialTokens == 0 && tp.Template.Parts.TakeWhile(p => p.Kind == TemplatePartKind.Slot).Count() == tp.Template.SlotCount;
                int step = tp.Prompt is InputPrompt && !leadingSlots ? 1 : batchSize;
                for (int start = 0; start < idx.Count; start += step)
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    var rows = idx.Skip(start).Take(step).ToList();
                    var texts = GenerateRows(tp, rows.Select(i => examples[i]).ToList(), leadingSlots, maxNewTokens, beams);
                    for (int r = 0; r < rows.Count; r++) results[rows[r]] = texts[r];
                }
            }
            return results.ToList();
        }
        finally { if (was) train(); }
    }

    private string[] GenerateRows(TaskAdapter tp, List<PromptExample> rows, bool leadingSlots, int maxNewTokens, int beams)
    {
        var c = Backbone.Config;
        using var batch = Encode(rows, withTargets: false);
        int n = batch.Count;
        var config = GenerationConfig.From(c, maxNewTokens, beams) with { EosTokenId = Tokenizer.EosTokenId, PadTokenId = Tokenizer.PadTokenId };
        int skip = tp.Prompt is InputPrompt && leadingSlots ? tp.Prompt.Length : 0;
        IReadOnlyList<KeyValue>? prefix = null;
        Tensor ids, mask;
        if (tp.Prompt is InputPrompt && !leadingSlots)
        {
            // One example: cache the source up to its last token, then decode from that token.
            int len = batch.Lengths[0];
            var head = new PromptBatch
            {
                InputIds = batch.InputIds.narrow(1, 0, len - 1), AttentionMask = batch.AttentionMask.narrow(1, 0, len - 1),
                TokenTypeIds = batch.TokenTypeIds.narrow(1, 0, len - 1), Slots = batch.Slots.narrow(1, 0, len - 1),
                TaskIds = batch.TaskIds, PoolPositions = batch.PoolPositions, MaskPositions = batch.MaskPositions, MaskSlots = batch.MaskSlots,
                TaskIndex = batch.TaskIndex, Lengths = [len - 1],
            };
            prefix = Forward(head, lmLogits: false, useCache: true).PresentKeyValues;
            ids = batch.InputIds.narrow(1, len - 1, 1);
            mask = ones_like(ids);
            skip = 0;
        }
        else
        {
            if (tp.Prompt is InputPrompt ip)
            {
                var embeds = ip.Embeddings().unsqueeze(0);
                prefix = Backbone.Forward(new ForwardArgs { InputsEmbeds = embeds, UseCache = true, SkipLmHead = true }).PresentKeyValues;
            }
            else if (tp.Prompt is PrefixPrompt pp)
            {
                var kv = pp.KeyValues();
                prefix = Enumerable.Range(0, c.NumHiddenLayers).Select(l => new KeyValue(kv[l, 0].unsqueeze(0), kv[l, 1].unsqueeze(0))).ToList();
            }
            // Left-pad the sources (real tokens only; input-prompt slots are in the prefix now).
            int width = batch.Lengths.Max() - skip;
            var left = new long[n * width];
            var leftMask = new long[n * width];
            Array.Fill(left, Tokenizer.PadTokenId);
            var host = batch.InputIds.cpu().data<long>().ToArray();
            long L = batch.InputIds.shape[1];
            for (int r = 0; r < n; r++)
            {
                int real = batch.Lengths[r] - skip, off = width - real;
                for (int j = 0; j < real; j++) { left[r * width + off + j] = host[r * L + skip + j]; leftMask[r * width + off + j] = 1; }
            }
            ids = tensor(left, new long[] { n, width }, device: batch.InputIds.device);
            mask = tensor(leftMask, new long[] { n, width }, device: batch.InputIds.device);
        }
        // Never decode past the backbone's positions: the prefix (or cached source) and the source come first.
        long used = (prefix is { Count: > 0 } ? prefix[0].Key.shape[2] : 0) + ids.shape[1];
        int room = (int)(c.MaxPositionEmbeddings - used);
        if (room < 1) throw new ArgumentException($"task '{tp.Task.Name}': prompt and source take {used} of the backbone's {c.MaxPositionEmbeddings} positions; nothing is left to generate");
        if (config.MaxNewTokens > room) config = config with { MaxNewTokens = room };
        using var result = Generation.Generate(Backbone, ids, config, mask, prefix);
        var seqs = result.Sequences.cpu();
        long inputLength = ids.shape[1];
        var texts = new string[n];
        for (int r = 0; r < n; r++)
        {
            var tokens = seqs[r].data<long>().Skip((int)inputLength).Select(t => (int)t).TakeWhile(t => t != Tokenizer.EosTokenId).ToList();
            texts[r] = Tokenizer.Decode(tokens).Trim();
        }
        return texts;
    }
}
