using PromptLearning.Native;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PromptLearning.Prompts;

/// <summary>
/// Turns the backbone's output for the rows of one task into scores and a loss. Heads with weights
/// (<see cref="ClassificationHead"/>, <see cref="TokenClassificationHead"/>) are trained with the prompt
/// and saved with it; the cloze and LM heads reuse the backbone's own LM head.
/// </summary>
public abstract class PromptHead : nn.Module
{
    protected PromptHead(string name) : base(name) { }

    public abstract HeadKind Kind { get; }

    /// <summary>Whether the backbone must compute its LM logits (cloze, LM) or only hidden states.</summary>
    public abstract bool NeedsLmLogits { get; }

    /// <summary>Scores for the batch rows <paramref name="rows"/>: [R, C] (classes), [R, L, T] (tags) or [R, L, V] (next token).</summary>
    public abstract Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows);

    /// <summary>Mean loss of <paramref name="scores"/> against the rows' labels.</summary>
    public virtual Tensor Loss(Tensor scores, Tensor labels) => F.cross_entropy(scores, labels);

    /// <summary>Gathers one position per row: [B, L, D] at [R] positions -> [R, D].</summary>
    protected static Tensor AtPositions(Tensor states, Tensor rows, Tensor positions)
    {
        var sel = states.index_select(0, rows);
        var pos = positions.index_select(0, rows).view(-1, 1, 1).expand(-1, 1, sel.shape[2]);
        return sel.gather(1, pos).squeeze(1);
    }
}

/// <summary>
/// Cloze with a verbalizer (PET, prompt tuning and P-tuning on an MLM): the LM head's logits at the
/// [MASK] position, restricted to each label's words (one token each) and reduced per label by the
/// verbalizer's mean or sum, as PET's <c>convert_mlm_logits_to_cls_logits</c>: [R, C].
/// </summary>
public sealed class ClozeHead : PromptHead
{
    private readonly Tensor _flatIds;   // [C * W] token ids (0 where a label has fewer words)
    private readonly Tensor _wordMask;  // [C, W] 1 for a real word
    private readonly int _maxWords;

    /// <summary>The verbalizer's token ids, [label][word].</summary>
    public IReadOnlyList<IReadOnlyList<int>> TokenIds { get; }
    /// <summary>How the scores of a label's several words are combined.</summary>
    public VerbalizerReduction Reduction { get; }

    /// <summary>A head scoring each label by its words' single tokens <paramref name="tokenIds"/>[label][word].</summary>
    public ClozeHead(IReadOnlyList<IReadOnlyList<int>> tokenIds, VerbalizerReduction reduction = VerbalizerReduction.Mean) : base(nameof(ClozeHead))
    {
        if (tokenIds.Count < 2 || tokenIds.Any(w => w.Count == 0)) throw new ArgumentException("a cloze head needs at least two labels with a word each", nameof(tokenIds));
        TokenIds = tokenIds.Select(w => (IReadOnlyList<int>)w.ToArray()).ToArray();
        Reduction = reduction;
        _maxWords = tokenIds.Max(w => w.Count);
        var flat = new long[tokenIds.Count * _maxWords];
        var mask = new float[tokenIds.Count * _maxWords];
        for (int l = 0; l < tokenIds.Count; l++)
            for (int w = 0; w < tokenIds[l].Count; w++) { flat[l * _maxWords + w] = tokenIds[l][w]; mask[l * _maxWords + w] = 1f; }
        _flatIds = tensor(flat);
        _wordMask = tensor(mask, new long[] { tokenIds.Count, _maxWords });
    }

    /// <summary>
    /// Maps each verbalizer word of <paramref name="task"/> to its single token (with a leading space for byte-level BPE,
    /// as after "It was"); throws naming the task and the word that is not one token, or when two labels share a token.
    /// </summary>
    public static ClozeHead ForWords(TextTokenizer tokenizer, TaskDefinition task)
    {
        var verbalizer = task.Verbalizer ?? throw new ArgumentException($"task '{task.Name}': a cloze head needs verbalizer words");
        int[][][] ids;
        try { ids = verbalizer.TokenIds(tokenizer, leadingSpace: true, requireSingleToken: true); }
        catch (ArgumentException e) { throw new ArgumentException($"task '{task.Name}': {e.Message}", e); }
        var all = ids.SelectMany(l => l.Select(w => w[0])).ToList();
        if (all.Distinct().Count() != all.Count) throw new ArgumentException($"task '{task.Name}': two verbalizer words map to the same token");
        return new ClozeHead(ids.Select(l => (IReadOnlyList<int>)l.Select(w => w[0]).ToArray()).ToArray(), verbalizer.Reduction);
    }

    public override HeadKind Kind => HeadKind.Cloze;
    public override bool NeedsLmLogits => true;

    public override Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows)
    {
        var logits = output.Logits ?? throw new InvalidOperationException("cloze head: the backbone returned no LM logits");
        // Logits of every position [B, L, V], or only of the [MASK]s [B, 1, V] (ForwardArgs.LogitsPositions).
        var atMask = logits.shape[1] == batch.InputIds.shape[1]
            ? AtPositions(logits, rows, batch.MaskPositions)
            : logits.index_select(0, rows).select(1, 0);
        return LabelScores(atMask);
    }

    /// <summary>Label scores [R, C] from the LM logits at the mask, [R, V].</summary>
    public Tensor LabelScores(Tensor atMask)
    {
        if (_maxWords == 1) return atMask.index_select(1, _flatIds.to(atMask.device));
        using var scope = NewDisposeScope();
        var gathered = atMask.index_select(1, _flatIds.to(atMask.device)).view(-1, TokenIds.Count, _maxWords); // [R, C, W]
        var mask = _wordMask.to(gathered.device).to(gathered.dtype).unsqueeze(0);
        var summed = (gathered * mask).sum(2);
        var result = Reduction == VerbalizerReduction.Sum ? summed : summed / mask.sum(2);
        return result.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _flatIds.Dispose(); _wordMask.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>Dropout + a linear layer on the pooled token's final hidden state ([CLS] for BERT/RoBERTa, the last token for GPT-2): [R, C].</summary>
public sealed class ClassificationHead : PromptHead
{
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public ClassificationHead(int hiddenSize, int numLabels, double dropoutProb) : base(nameof(ClassificationHead))
    {
        dropout = nn.Dropout(dropoutProb);
        classifier = nn.Linear(hiddenSize, numLabels);
        RegisterComponents();
    }

    /// <summary>The linear layer (<c>classifier</c>).</summary>
    public Linear Classifier => classifier;

    public override HeadKind Kind => HeadKind.Classification;
    public override bool NeedsLmLogits => false;

    public override Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows)
        => classifier.forward(dropout.forward(AtPositions(output.LastHiddenState, rows, batch.PoolPositions)));
}

/// <summary>
/// <c>transformers</c>' <c>RobertaClassificationHead</c> on the pooled token's final hidden state: dropout,
/// <c>dense</c> + tanh, dropout, <c>out_proj</c>: [R, C]. PET's final classifier (distilled from the PVP
/// ensemble) and its supervised baseline use it (<c>Pet.SequenceClassifier</c>), as PET does.
/// Weights are drawn N(0, <c>initializer_range</c>), biases 0.
/// </summary>
public sealed class DenseClassificationHead : PromptHead
{
    private readonly Linear dense;
    private readonly Linear out_proj;
    private readonly Dropout dropout;

    /// <summary>A head of width <see cref="TransformerConfig.HiddenSize"/>; weights from <paramref name="generator"/> (null: torch's global one).</summary>
    public DenseClassificationHead(TransformerConfig config, int numLabels, Generator? generator = null) : base(nameof(DenseClassificationHead))
    {
        if (numLabels < 2) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "a classifier needs at least two labels");
        int h = config.HiddenSize;
        dense = nn.Linear(h, h);
        out_proj = nn.Linear(h, numLabels);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        using (no_grad())
            foreach (var lin in new[] { dense, out_proj })
            {
                lin.weight!.copy_(torch.randn(lin.weight.shape, generator: generator).Times(config.InitializerRange));
                lin.bias!.zero_();
            }
        RegisterComponents();
    }

    public override HeadKind Kind => HeadKind.DenseClassification;
    public override bool NeedsLmLogits => false;

    public override Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows)
    {
        using var scope = NewDisposeScope();
        var pooled = AtPositions(output.LastHiddenState, rows, batch.PoolPositions);
        return out_proj.forward(dropout.forward(dense.forward(dropout.forward(pooled)).tanh())).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// P-tuning v2's classification head (<c>BertPrefixForSequenceClassification</c>, as <c>transformers</c>'
/// <c>BertForSequenceClassification</c>): the backbone's pooler <c>tanh(pooler.dense(h[CLS]))</c>, dropout,
/// then a linear layer: [R, C]. The backbone's pooler is used as it is (frozen with a frozen backbone, as in
/// the reference; it is not a part of the head and not saved with it). A backbone without one (a masked-LM
/// checkpoint) gets a fresh pooler in the head, drawn as <c>transformers</c> initialises it
/// (N(0, <c>initializer_range</c>), bias 0), listed in <see cref="NewlyInitialised"/> and announced on the
/// error stream; deviation: it is trained with the head (the reference would keep a random pooler frozen).
/// </summary>
public sealed class PooledClassificationHead : PromptHead
{
    private readonly SharedPooler? _backbonePooler;
    private readonly BertPooler? pooler;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    // Held through a record so that RegisterComponents does not adopt the backbone's pooler.
    private sealed record SharedPooler(BertPooler Pooler);

    /// <summary>
    /// A head on <paramref name="backbonePooler"/>, or on a fresh pooler of width <see cref="TransformerConfig.HiddenSize"/>
    /// when it is null (<paramref name="backboneName"/> names the backbone in the announcement).
    /// </summary>
    public PooledClassificationHead(TransformerConfig config, BertPooler? backbonePooler, int numLabels, double dropoutProb, string backboneName = "the backbone")
        : base(nameof(PooledClassificationHead))
    {
        if (config.IsCausal) throw new ArgumentException($"a pooled classification head needs BERT or RoBERTa (a pooler on [CLS]), not {config.ModelType}");
        if (backbonePooler is not null) _backbonePooler = new SharedPooler(backbonePooler);
        else
        {
            pooler = new BertPooler(config);
            using (no_grad())
            {
                pooler.Dense.weight!.normal_(0, config.InitializerRange);
                pooler.Dense.bias!.zero_();
            }
            NewlyInitialised = ["pooler.dense.bias", "pooler.dense.weight"];
            Console.Error.WriteLine($"{backboneName} has no pooler (its checkpoint holds no pooler.dense.*): the pooled classification head uses a newly initialized one: [{string.Join(", ", NewlyInitialised)}]");
        }
        dropout = nn.Dropout(dropoutProb);
        classifier = nn.Linear(config.HiddenSize, numLabels);
        RegisterComponents();
    }

    /// <summary>The head's tensors that no checkpoint provided: the fresh pooler's, or empty when the backbone's pooler is used.</summary>
    public IReadOnlyList<string> NewlyInitialised { get; } = [];

    /// <summary>The pooler the head reads: the backbone's, or its own fresh one.</summary>
    public BertPooler Pooler => _backbonePooler?.Pooler ?? pooler!;

    /// <summary>The final linear layer (<c>classifier</c>).</summary>
    public Linear Classifier => classifier;

    public override HeadKind Kind => HeadKind.PooledClassification;
    public override bool NeedsLmLogits => false;

    public override Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows)
    {
        using var scope = NewDisposeScope();
        var pooled = Pooler.Pool(AtPositions(output.LastHiddenState, rows, batch.PoolPositions));
        return classifier.forward(dropout.forward(pooled)).MoveToOuterDisposeScope();
    }
}

/// <summary>Dropout + a linear layer on every token (BIO tagging; P-tuning v2's token head): [R, L, T].</summary>
public sealed class TokenClassificationHead : PromptHead
{
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public TokenClassificationHead(int hiddenSize, int numTags, double dropoutProb) : base(nameof(TokenClassificationHead))
    {
        dropout = nn.Dropout(dropoutProb);
        classifier = nn.Linear(hiddenSize, numTags);
        RegisterComponents();
    }

    public override HeadKind Kind => HeadKind.Token;
    public override bool NeedsLmLogits => false;

    public override Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows)
        => classifier.forward(dropout.forward(output.LastHiddenState.index_select(0, rows)));

    public override Tensor Loss(Tensor scores, Tensor labels)
        => F.cross_entropy(scores.reshape(-1, scores.shape[2]), labels.reshape(-1), ignore_index: LossLabels.IgnoreIndex);
}

/// <summary>GPT-2 conditional generation: next-token logits [R, L, V]; the loss covers the target tokens only.</summary>
public sealed class LanguageModelHead : PromptHead
{
    public LanguageModelHead() : base(nameof(LanguageModelHead)) { }

    public override HeadKind Kind => HeadKind.LanguageModel;
    public override bool NeedsLmLogits => true;

    public override Tensor Scores(ForwardOutput output, PromptBatch batch, Tensor rows)
        => (output.Logits ?? throw new InvalidOperationException("LM head: the backbone returned no LM logits")).index_select(0, rows);

    public override Tensor Loss(Tensor scores, Tensor labels)
    {
        var (shifted, next) = Shift(scores, labels);
        return F.cross_entropy(shifted.reshape(-1, shifted.shape[2]), next.reshape(-1), ignore_index: LossLabels.IgnoreIndex);
    }

    /// <summary>
    /// Each row's mean loss over its own target tokens, [R]: what <see cref="Loss"/> averages over
    /// the whole batch, kept per row (e.g. to check that the rows of a mixed-task batch are scored
    /// as in batches of their own task). <paramref name="logits"/> [R, L, V], <paramref name="labels"/>
    /// [R, L] with <see cref="LossLabels.IgnoreIndex"/> outside the targets; a row without targets gets NaN.
    /// </summary>
    public static Tensor RowLosses(Tensor logits, Tensor labels)
    {
        var (shifted, next) = Shift(logits, labels);
        var tokenLoss = F.cross_entropy(shifted.reshape(-1, shifted.shape[2]), next.reshape(-1),
            ignore_index: LossLabels.IgnoreIndex, reduction: nn.Reduction.None).view(next.shape);
        return tokenLoss.sum(1) / next.ne(LossLabels.IgnoreIndexScalar).sum(1);
    }

    /// <summary>Position t's logits predict the token at t + 1: logits without the last position, labels without the first.</summary>
    private static (Tensor Logits, Tensor Next) Shift(Tensor logits, Tensor labels)
    {
        var L = logits.shape[1];
        return (logits.narrow(1, 0, L - 1), labels.narrow(1, 1, L - 1));
    }
}

/// <summary>Builds heads and picks each method's default head.</summary>
public static class PromptHeads
{
    /// <summary>
    /// A new head of <paramref name="kind"/> for <paramref name="task"/> on <paramref name="backbone"/>,
    /// its fresh weights drawn from torch's generator seeded with <paramref name="seed"/> (the method's
    /// seed); the generator's state is restored afterwards. So a run's head does not depend on what ran
    /// before it in the same process (without this, the first fine-tuning run of a notebook and a later
    /// run with the same seed started from different heads).
    /// </summary>
    public static PromptHead Create(HeadKind kind, ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, double dropout, int seed)
    {
        using var state = torch.random.get_rng_state();
        torch.manual_seed(seed);
        try { return CreateHead(kind, backbone, tokenizer, task, dropout); }
        finally { torch.random.set_rng_state(state); }
    }

    private static PromptHead CreateHead(HeadKind kind, ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, double dropout) => kind switch
    {
        HeadKind.PooledClassification => task.Kind == TaskKind.Classification
            ? new PooledClassificationHead(backbone.Config, PoolerOf(backbone), task.Labels.Count, dropout, backbone.Module.GetName())
            : throw new ArgumentException($"task '{task.Name}': a pooled classification head is for classification, not {task.Kind}"),
        HeadKind.Cloze => task.Kind == TaskKind.Classification
            ? ClozeHead.ForWords(tokenizer, task)
            : throw new ArgumentException($"task '{task.Name}': a cloze head is for classification, not {task.Kind}"),
        HeadKind.DenseClassification => task.Kind == TaskKind.Classification
            ? new DenseClassificationHead(backbone.Config, task.Labels.Count)
            : throw new ArgumentException($"task '{task.Name}': a dense classification head is for classification, not {task.Kind}"),
        HeadKind.Classification => task.Kind == TaskKind.Classification
            ? new ClassificationHead(backbone.Config.HiddenSize, task.Labels.Count, dropout)
            : throw new ArgumentException($"task '{task.Name}': a classification head is for classification, not {task.Kind}"),
        HeadKind.Token => task.Kind == TaskKind.Tagging
            ? new TokenClassificationHead(backbone.Config.HiddenSize, task.Labels.Count, dropout)
            : throw new ArgumentException($"task '{task.Name}': a token head is for tagging, not {task.Kind}"),
        HeadKind.LanguageModel => task.Kind == TaskKind.Generation
            ? new LanguageModelHead()
            : throw new ArgumentException($"task '{task.Name}': the LM head is for generation, not {task.Kind}"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The backbone's pooler (<c>bert.pooler</c> / <c>roberta.pooler</c>), or null when it has none (GPT-2, masked-LM checkpoints).</summary>
    public static BertPooler? PoolerOf(ILanguageModel backbone) => (backbone as BertForMaskedLM)?.Pooler;

    /// <summary>
    /// The head a method uses when none is asked for: generation -> LM, tagging -> token head,
    /// classification -> cloze when <paramref name="preferCloze"/>, the backbone is a masked LM and the
    /// task has verbalizer words; otherwise the linear [CLS] head.
    /// </summary>
    public static HeadKind DefaultFor(TaskDefinition task, TransformerConfig config, bool preferCloze) => task.Kind switch
    {
        TaskKind.Generation => HeadKind.LanguageModel,
        TaskKind.Tagging => HeadKind.Token,
        _ => preferCloze && !config.IsCausal && task.Verbalizer is not null ? HeadKind.Cloze : HeadKind.Classification,
    };
}
