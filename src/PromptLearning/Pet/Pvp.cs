using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Pet;

/// <summary>How a label word of several tokens is scored at prediction time.</summary>
public enum MultiTokenDecoding
{
    /// <summary>PET's default: repeatedly fill the mask whose token is most probable, re-run, sum the log-probabilities.</summary>
    MostConfidentFirst,
    /// <summary>Fill the masks left to right, one forward pass each.</summary>
    LeftToRight,
    /// <summary>One forward pass; sum the log-probabilities of all tokens at once (what training uses).</summary>
    Parallel,
}

/// <summary>How a PVP with multi-token verbalizer words is trained (single-token verbalizers always use cross-entropy over the label logits).</summary>
public enum MultiTokenObjective
{
    /// <summary>
    /// PET's (<c>MultiMaskTaskHelper.train_step</c>): one forward pass at the largest token count
    /// (<see cref="Pvp.MaxMaskScores"/>), then <c>sum over wrong labels w of max(0, 1 - s_correct + s_w)</c>,
    /// averaged over the batch, where s is a label's summed token log-probability (<see cref="PetLoss.Hinge"/>).
    /// As in PET this loss replaces the whole step: no auxiliary MLM term is added.
    /// </summary>
    Hinge,
    /// <summary>
    /// The library's earlier objective: each word scored with exactly its own number of masks (one pass per
    /// distinct token count, <see cref="Pvp.ClassLogits"/>), cross-entropy over the labels, plus the auxiliary MLM term.
    /// </summary>
    CrossEntropy,
}

/// <summary>What the masked LM sees for one example under a PVP (for display and checks).</summary>
public sealed record PvpView(string Text, IReadOnlyList<string> Tokens, IReadOnlyList<int> InputIds, IReadOnlyList<int> MaskPositions,
    IReadOnlyList<(string Label, IReadOnlyList<(string Word, int[] TokenIds, string[] Tokens)> Words)> Verbalizations);

/// <summary>
/// A pattern-verbalizer pair (PVP) bound to a tokenizer: a cloze prompt whose template is PET's pattern
/// (<see cref="PromptTemplate"/>, encoded by the library's one <see cref="BatchBuilder"/>) and whose head is
/// the masked LM's own: it turns examples into cloze inputs and the masked LM's scores at the mask into
/// one score per label.
/// <para>
/// Single-token words (the usual case): a label's score is the MLM logit of its word at the mask
/// (several words: their mean or sum, <see cref="Verbalizer.Reduction"/>), computed by a
/// <see cref="ClozeHead"/> as PET's <c>convert_mlm_logits_to_cls_logits</c>. Multi-token words: the mask
/// slot gets as many masks as the word has tokens and the word's score is the sum of its tokens'
/// log-probabilities, decoded at prediction time as PET does (<see cref="MultiTokenDecoding.MostConfidentFirst"/>)
/// and trained as PET does, in one pass at the largest token count under a hinge loss
/// (<see cref="MaxMaskScores"/>, <see cref="MultiTokenObjective"/>).
/// </para>
/// </summary>
public sealed class Pvp
{
    /// <summary>The pattern: a template with input fields and exactly one mask slot.</summary>
    public PromptTemplate Pattern { get; }
    /// <summary>The verbalizer.</summary>
    public Verbalizer Verbalizer { get; }
    /// <summary>The tokenizer the ids belong to.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>Maximum ids per encoded example (special tokens included).</summary>
    public int MaxLength { get; }
    /// <summary>A short name for tables (default: the template).</summary>
    public string Name { get; }
    /// <summary>The cloze task this PVP poses (its name, labels and verbalizer).</summary>
    public TaskDefinition Task { get; }
    /// <summary>Token ids of every verbalizer word, [label][word][token].</summary>
    public int[][][] LabelTokenIds { get; }
    /// <summary>True when some word is more than one token.</summary>
    public bool IsMultiToken { get; }

    private readonly BatchBuilder _builder;
    private readonly ClozeHead? _head;   // single-token verbalizers

    /// <summary>
    /// Binds <paramref name="pattern"/> and <paramref name="verbalizer"/> to <paramref name="tokenizer"/>.
    /// With <paramref name="allowMultiToken"/> false, every word must be a single token (the error names
    /// the first that is not). A template that writes k &gt; 1 masks allows words of at most k tokens.
    /// </summary>
    public Pvp(PromptTemplate pattern, Verbalizer verbalizer, TextTokenizer tokenizer, int maxLength = 128, bool allowMultiToken = true, string? name = null)
    {
        Pattern = pattern ?? throw new ArgumentNullException(nameof(pattern));
        Verbalizer = verbalizer ?? throw new ArgumentNullException(nameof(verbalizer));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        if (tokenizer.MaskTokenId is null)
            throw new ArgumentException($"PVP \"{pattern.Text}\": the tokenizer has no mask token; PET needs a masked LM (BERT/RoBERTa)", nameof(tokenizer));
        var slot = pattern.MaskSlot ?? throw new ArgumentException(
            $"pattern \"{pattern.Text}\" has 0 [MASK] slots; PET needs exactly one (write consecutive [MASK]s for a label of several tokens)", nameof(pattern));
        if (pattern.SlotCount > 0) throw new ArgumentException($"pattern \"{pattern.Text}\" has virtual tokens [P]; a PET pattern is plain text", nameof(pattern));
        MaxLength = maxLength;
        Name = name ?? pattern.Text;
        LabelTokenIds = verbalizer.TokenIds(tokenizer, pattern.MaskAfterSpace, requireSingleToken: !allowMultiToken);
        if (slot.Count > 1)
            for (int l = 0; l < LabelTokenIds.Length; l++)
                for (int w = 0; w < LabelTokenIds[l].Length; w++)
                    if (LabelTokenIds[l][w].Length > slot.Count)
                        throw new ArgumentException(
                            $"verbalizer word '{verbalizer.Words[l][w]}' (label '{verbalizer.Labels[l]}') is {LabelTokenIds[l][w].Length} tokens but pattern \"{pattern.Text}\" has only {slot.Count} masks");
        IsMultiToken = LabelTokenIds.Any(l => l.Any(w => w.Length > 1));
        Task = new TaskDefinition { Name = Name, Kind = TaskKind.Classification, Labels = verbalizer.Labels, Verbalizer = verbalizer };
        _builder = new BatchBuilder(tokenizer, [(Task, pattern)], maxLength, causal: false);
        if (!IsMultiToken) _head = new ClozeHead(LabelTokenIds.Select(l => (IReadOnlyList<int>)l.Select(w => w[0]).ToArray()).ToArray(), verbalizer.Reduction);
    }

    /// <summary>Number of labels.</summary>
    public int NumLabels => Verbalizer.Count;

    /// <summary>
    /// Encodes and right-pads <paramref name="examples"/> with <paramref name="maskCount"/> masks (default: the
    /// pattern's) on <paramref name="device"/> (null: the CPU), the model's device. The batch carries no labels.
    /// </summary>
    public PromptBatch EncodeBatch(IReadOnlyList<PromptExample> examples, int? maskCount = null, Device? device = null) =>
        _builder.Build(examples, withTargets: false, device, maskCount ?? Pattern.MaskSlot!.Count, withLabels: false);

    /// <summary>
    /// <paramref name="examples"/> encoded as <see cref="EncodeBatch"/> (one mask), with tokens replaced by
    /// <paramref name="replace"/> (BERT's masking for PET's auxiliary MLM loss), whose labels become the batch's [B, L] labels.
    /// </summary>
    public PromptBatch EncodeReplaced(IReadOnlyList<PromptExample> examples, Func<int[], (int[] Ids, long[] Labels)> replace, Device? device = null) =>
        _builder.BuildReplaced(examples, replace, device, maskCount: 1);

    /// <summary>The MLM's logits at every position of a batch, [B, L, V] (PET's auxiliary MLM loss).</summary>
    public static Tensor MlmLogits(ILanguageModel model, PromptBatch batch) => Logits(model, batch, batch.InputIds, positions: null);

    /// <summary>
    /// The MLM's logits at each example's masks, [B, k, V] (k = masks per example, in <see cref="PromptBatch.MaskSlots"/>
    /// order), with the LM head run at the masks only (<see cref="ForwardArgs.LogitsPositions"/>): the vocabulary
    /// projection at every position would be about a seventh of a small model's forward pass, for scores a cloze
    /// never reads. <paramref name="inputIds"/> replaces the batch's ids (multi-token decoding fills masks in turn).
    /// </summary>
    private static Tensor MaskLogits(ILanguageModel model, PromptBatch batch, Tensor? inputIds = null)
    {
        var ids = inputIds ?? batch.InputIds;
        using var positions = tensor(batch.MaskSlots.SelectMany(p => p).ToArray(), new long[] { batch.MaskSlots.Length, batch.MaskSlots[0].Length }, device: ids.device);
        return Logits(model, batch, ids, positions);
    }

    // One MLM forward pass over the batch's layout with ids; the LM head at every position or at positions only.
    private static Tensor Logits(ILanguageModel model, PromptBatch batch, Tensor ids, Tensor? positions)
    {
        PretrainedHead.Require(model, "PET (pattern-verbalizer scoring)");
        return model.Forward(new ForwardArgs { InputIds = ids, AttentionMask = batch.AttentionMask, TokenTypeIds = batch.TokenTypeIds, LogitsPositions = positions }).Logits
            ?? throw new InvalidOperationException("the model returned no LM logits; PET needs a masked-LM head");
    }

    /// <summary>
    /// Label scores [B, C] for a batch, differentiable (the cross-entropy training scores). Single-token
    /// verbalizers: the logits of the verbalizer tokens at the mask; multi-token: summed
    /// log-probabilities of each word's tokens, one pass per distinct token count with exactly that many
    /// masks (<see cref="MultiTokenObjective.CrossEntropy"/>; PET's own multi-token training is
    /// <see cref="MaxMaskScores"/> under a hinge loss).
    /// </summary>
    public Tensor ClassLogits(ILanguageModel model, IReadOnlyList<PromptExample> examples)
    {
        if (!IsMultiToken)
        {
            using var scope = NewDisposeScope();
            using var batch = EncodeBatch(examples, 1, Devices.Of(model.Module));
            return _head!.LabelScores(MaskLogits(model, batch).squeeze(1)).MoveToOuterDisposeScope();
        }
        var wordScores = new Tensor?[NumLabels][];
        for (int l = 0; l < NumLabels; l++) wordScores[l] = new Tensor?[LabelTokenIds[l].Length];
        foreach (var k in LabelTokenIds.SelectMany(l => l.Select(w => w.Length)).Distinct())
        {
            using var batch = EncodeBatch(examples, k, Devices.Of(model.Module));
            using var logits = MaskLogits(model, batch);
            using var logp = logits.log_softmax(-1); // [B, k, V]
            for (int l = 0; l < NumLabels; l++)
                for (int w = 0; w < LabelTokenIds[l].Length; w++)
                {
                    var toks = LabelTokenIds[l][w];
                    if (toks.Length != k) continue;
                    using var idx = tensor(toks.Select(t => (long)t).ToArray(), device: logp.device).view(1, k, 1).expand(logp.shape[0], k, 1);
                    wordScores[l][w] = logp.gather(2, idx).squeeze(2).sum(1); // [B]
                }
        }
        var perLabel = wordScores.Select(ws => Reduce(torch.stack(ws.Select(t => t!).ToArray(), 1))).ToArray();
        var result = torch.stack(perLabel, 1);
        foreach (var ws in wordScores) foreach (var t in ws) t!.Dispose();
        foreach (var t in perLabel) t.Dispose();
        return result;
    }

    /// <summary>The most tokens of any verbalizer word: the mask count of PET's multi-token training pass.</summary>
    public int MaxTokens => LabelTokenIds.Max(l => l.Max(w => w.Length));

    /// <summary>
    /// Label scores [B, C] from one forward pass with <see cref="MaxTokens"/> masks, as PET's
    /// <c>MultiMaskTaskHelper.train_step</c> scores its choices: a word of k tokens gets the summed
    /// log-probabilities (softmax over the vocabulary) of its tokens at the first k masks; the other masks
    /// score nothing. Several words of one label are reduced by <see cref="Verbalizer.Reduction"/> (PET
    /// uses the first word only). Differentiable; the training scores of <see cref="MultiTokenObjective.Hinge"/>.
    /// </summary>
    public Tensor MaxMaskScores(ILanguageModel model, IReadOnlyList<PromptExample> examples)
    {
        using var scope = NewDisposeScope();
        int k = MaxTokens;
        var batch = EncodeBatch(examples, k, Devices.Of(model.Module));
        var logp = MaskLogits(model, batch).log_softmax(-1); // [B, k, V]
        long b = logp.shape[0];
        var perLabel = LabelTokenIds.Select(words => Reduce(torch.stack(words.Select(toks =>
        {
            var idx = tensor(toks.Select(t => (long)t).ToArray(), device: logp.device).view(1, toks.Length, 1).expand(b, toks.Length, 1);
            return logp.narrow(1, 0, toks.Length).gather(2, idx).squeeze(2).sum(1); // [B]
        }).ToArray(), 1))).ToArray();
        var result = torch.stack(perLabel, 1);
        batch.Dispose();
        return result.MoveToOuterDisposeScope();
    }

    private Tensor Reduce(Tensor wordScores) => Verbalizer.Reduction == VerbalizerReduction.Sum ? wordScores.sum(1) : wordScores.mean(new long[] { 1 });

    /// <summary>
    /// Label scores [N, C] for <paramref name="examples"/> with the model in eval mode and no gradient
    /// (the model's train/eval state is restored). Single-token PVPs return MLM logits, multi-token
    /// ones summed log-probabilities decoded by <paramref name="decoding"/>.
    /// </summary>
    public float[,] Predict(ILanguageModel model, IReadOnlyList<PromptExample> examples, int batchSize = 32,
        MultiTokenDecoding decoding = MultiTokenDecoding.MostConfidentFirst) =>
        InferenceLoop.Scores(model.Module, examples, batchSize, NumLabels, chunk =>
            IsMultiToken && decoding != MultiTokenDecoding.Parallel ? DecodeMultiToken(model, chunk, decoding) : ClassLogits(model, chunk));

    /// <summary>Predicted label per example (argmax of <see cref="Predict"/>).</summary>
    public int[] PredictLabels(ILanguageModel model, IReadOnlyList<PromptExample> examples, int batchSize = 32) =>
        Argmax(Predict(model, examples, batchSize));

    /// <summary>Share of <paramref name="examples"/> whose gold label is predicted (all must be labelled).</summary>
    public double Accuracy(ILanguageModel model, IReadOnlyList<PromptExample> examples, int batchSize = 32) =>
        AccuracyOf(Predict(model, examples, batchSize), examples);

    /// <summary>Row-wise argmax.</summary>
    public static int[] Argmax(float[,] scores)
    {
        var r = new int[scores.GetLength(0)];
        for (int i = 0; i < r.Length; i++)
            for (int c = 1; c < scores.GetLength(1); c++)
                if (scores[i, c] > scores[i, r[i]]) r[i] = c;
        return r;
    }

    /// <summary>Accuracy of score rows against the examples' gold labels.</summary>
    public static double AccuracyOf(float[,] scores, IReadOnlyList<PromptExample> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("no examples to score", nameof(examples));
        var pred = Argmax(scores);
        int hit = 0;
        for (int i = 0; i < examples.Count; i++)
            if (pred[i] == (examples[i].Label >= 0 ? examples[i].Label : throw new ArgumentException($"example {i} has no label", nameof(examples)))) hit++;
        return hit / (double)examples.Count;
    }

    /// <summary>PET's iterative decoding of multi-token words for a batch; returns [B, C].</summary>
    private Tensor DecodeMultiToken(ILanguageModel model, IReadOnlyList<PromptExample> examples, MultiTokenDecoding decoding)
    {
        int b = examples.Count;
        var wordScores = new double[NumLabels][][];
        for (int l = 0; l < NumLabels; l++) wordScores[l] = new double[LabelTokenIds[l].Length][];
        foreach (var k in LabelTokenIds.SelectMany(l => l.Select(w => w.Length)).Distinct())
        {
            using var batch = EncodeBatch(examples, k, Devices.Of(model.Module));
            using var first = MaskLogits(model, batch);
            for (int l = 0; l < NumLabels; l++)
                for (int w = 0; w < LabelTokenIds[l].Length; w++)
                    if (LabelTokenIds[l][w].Length == k)
                        wordScores[l][w] = DecodeWord(model, batch, first, LabelTokenIds[l][w], decoding);
        }
        var scores = new float[b * NumLabels];
        for (int i = 0; i < b; i++)
            for (int l = 0; l < NumLabels; l++)
            {
                double s = wordScores[l].Sum(ws => ws[i]);
                scores[i * NumLabels + l] = (float)(Verbalizer.Reduction == VerbalizerReduction.Sum ? s : s / wordScores[l].Length);
            }
        return tensor(scores, new long[] { b, NumLabels });
    }

    /// <summary>Log-probability of one word (token ids <paramref name="tokens"/>) in each example's mask slot.</summary>
    private static double[] DecodeWord(ILanguageModel model, PromptBatch batch, Tensor firstLogits, int[] tokens, MultiTokenDecoding decoding)
    {
        int b = batch.Count, k = tokens.Length;
        var score = new double[b];
        var remaining = new bool[b, k];
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) remaining[i, j] = true;
        var ids = batch.InputIds.cpu().data<long>().ToArray();
        long len = batch.InputIds.shape[1];
        for (int step = 0; step < k; step++)
        {
            using var scope = NewDisposeScope();
            var logits = step == 0 ? firstLogits : MaskLogits(model, batch, tensor(ids, new long[] { b, len }, device: batch.InputIds.device));
            var logp = logits.log_softmax(-1);  // [B, k, V]
            var tok = tensor(tokens.Select(t => (long)t).ToArray(), device: logp.device).view(1, k, 1).expand(b, k, 1);
            var tokLogp = logp.gather(2, tok).squeeze(2).to_type(ScalarType.Float32).cpu().data<float>().ToArray(); // [B * k]
            for (int i = 0; i < b; i++)
            {
                if (decoding == MultiTokenDecoding.Parallel)
                {
                    for (int j = 0; j < k; j++) score[i] += tokLogp[i * k + j];
                    continue;
                }
                int best = -1;
                for (int j = 0; j < k; j++)
                {
                    if (!remaining[i, j]) continue;
                    if (best < 0) { best = j; if (decoding == MultiTokenDecoding.LeftToRight) break; continue; }
                    if (tokLogp[i * k + j] > tokLogp[i * k + best]) best = j;
                }
                score[i] += tokLogp[i * k + best];
                remaining[i, best] = false;
                ids[i * len + batch.MaskSlots[i][best]] = tokens[best];
            }
            if (decoding == MultiTokenDecoding.Parallel) break;
        }
        return score;
    }

    /// <summary>What the MLM sees for <paramref name="example"/> and which token ids each label's words score.</summary>
    public PvpView Explain(PromptExample example)
    {
        using var batch = EncodeBatch([example], IsMultiToken ? LabelTokenIds.Max(l => l.Max(w => w.Length)) : 1);
        var ids = batch.InputIds[0].data<long>().Select(i => (int)i).ToList();
        var verbal = Verbalizer.Labels.Select((label, l) => (label,
            (IReadOnlyList<(string, int[], string[])>)Verbalizer.Words[l].Select((word, w) =>
                (word, LabelTokenIds[l][w], LabelTokenIds[l][w].Select(Tokenizer.IdToToken).ToArray())).ToList())).ToList();
        return new PvpView(Pattern.Render(example, maskText: Tokenizer.MaskToken ?? "[MASK]", maskCount: batch.MaskSlots[0].Length),
            ids.Select(Tokenizer.IdToToken).ToList(), ids, batch.MaskSlots[0].Select(p => (int)p).ToList(), verbal);
    }

    public override string ToString() => $"{Name} -> {Verbalizer}";
}
