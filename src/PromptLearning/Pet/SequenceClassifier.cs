using PromptLearning.Native;
using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Pet;

/// <summary>
/// A sequence classifier on a masked-LM backbone: the first token's final hidden state
/// (<c>[CLS]</c> / <c>&lt;s&gt;</c>) through a <see cref="DenseClassificationHead"/> (<c>transformers</c>'
/// <c>RobertaClassificationHead</c>). PET's final model (distilled from the PVP ensemble) and its
/// supervised baseline ("fine-tuning a classifier head"). The input is the plain text, encoded by the
/// library's <see cref="BatchBuilder"/> with the template <c>{a}</c> (pairs: <c>{a} [SEP] {b}</c>, i.e.
/// <c>[CLS] a [SEP] b [SEP]</c>). Owns and disposes its backbone.
/// </summary>
public sealed class SequenceClassifier : nn.Module
{
    private readonly nn.Module backbone;
    private readonly DenseClassificationHead classifier;

    /// <summary>The language model underneath (its LM head is skipped).</summary>
    public ILanguageModel Backbone { get; }
    /// <summary>Number of labels.</summary>
    public int NumLabels { get; }
    /// <summary>The head.</summary>
    public DenseClassificationHead Head => classifier;

    /// <summary>The device of the backbone's weights (and of the head, moved there when built).</summary>
    public Device Device => Devices.Of(Backbone.Module);

    /// <summary>Wraps <paramref name="backbone"/>; the head is initialised N(0, initializer_range) with seed <paramref name="seed"/>.</summary>
    public SequenceClassifier(ILanguageModel backbone, int numLabels, int seed = 42) : base(nameof(SequenceClassifier))
    {
        if (numLabels < 2) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "a classifier needs at least two labels");
        Backbone = backbone;
        NumLabels = numLabels;
        this.backbone = backbone.Module;
        // The head is drawn on the CPU (the same numbers everywhere), then joins the backbone.
        classifier = new DenseClassificationHead(backbone.Config, numLabels, new Generator().manual_seed(seed));
        Devices.MoveTo(classifier, Devices.Of(backbone.Module));
        RegisterComponents();
    }

    /// <summary>Label logits [B, C] for a batch.</summary>
    public Tensor Forward(PromptBatch batch)
    {
        using var scope = NewDisposeScope();
        var output = Backbone.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, TokenTypeIds = batch.TokenTypeIds, SkipLmHead = true });
        var rows = Scalars.Arange(batch.Count, device: batch.InputIds.device);
        return classifier.Scores(output, batch, rows).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Encodes plain examples (<c>a</c>, and <c>b</c> when present) with the model's special tokens,
    /// shortening the longer text first to fit <paramref name="maxLength"/>, on <paramref name="device"/>
    /// (null: the CPU), the classifier's <see cref="Device"/>. The batch carries no labels.
    /// </summary>
    public static PromptBatch Encode(TextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, int maxLength, Device? device = null)
    {
        if (examples.Count == 0) throw new ArgumentException("empty batch", nameof(examples));
        bool pair = examples[0].B is not null;
        if (examples.Any(e => (e.B is not null) != pair))
            throw new ArgumentException("a batch mixes single texts and text pairs", nameof(examples));
        var task = new TaskDefinition { Name = "classifier", Kind = TaskKind.Classification, Labels = ["0", "1"] };
        var builder = new BatchBuilder(tokenizer, [(task, PromptTemplate.Parse(pair ? "{a} [SEP] {b}" : "{a}"))], maxLength, causal: false);
        return builder.Build(examples, withTargets: false, device, withLabels: false);
    }

    /// <summary>Label logits [N, C] in eval mode without gradient (train/eval state restored).</summary>
    public float[,] Predict(TextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, int maxLength, int batchSize = 32) =>
        InferenceLoop.Scores(this, examples, batchSize, NumLabels, chunk =>
        {
            using var batch = Encode(tokenizer, chunk, maxLength, Device);
            return Forward(batch);
        });

    protected override void Dispose(bool disposing)
    {
        if (disposing) Backbone.Dispose();
        base.Dispose(disposing);
    }
}
