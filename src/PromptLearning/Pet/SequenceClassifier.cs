using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Pet;

/// <summary>
/// A sequence classifier on a masked-LM backbone: the first token's final hidden state
/// (<c>[CLS]</c> / <c>&lt;s&gt;</c>) through <c>transformers</c>' <c>RobertaClassificationHead</c>
/// (dropout, <c>classifier.dense</c> + tanh, dropout, <c>classifier.out_proj</c>). PET's final
/// model (distilled from the PVP ensemble) and the supervised baseline ("fine-tuning a classifier
/// head"). The input is the plain text (pairs as <c>[CLS] a [SEP] b [SEP]</c>), no pattern.
/// Owns and disposes its backbone.
/// </summary>
public sealed class SequenceClassifier : nn.Module
{
    private readonly nn.Module backbone;
    private readonly Linear dense;
    private readonly Linear out_proj;
    private readonly Dropout dropout;

    /// <summary>The language model underneath (its LM head is skipped).</summary>
    public ILanguageModel Backbone { get; }
    /// <summary>Number of labels.</summary>
    public int NumLabels { get; }

    /// <summary>The device of the backbone's weights (and of the head, moved there when built).</summary>
    public Device Device => Devices.Of(Backbone.Module);

    /// <summary>Wraps <paramref name="backbone"/>; the head is initialised N(0, initializer_range) with seed <paramref name="seed"/>.</summary>
    public SequenceClassifier(ILanguageModel backbone, int numLabels, int seed = 42) : base(nameof(SequenceClassifier))
    {
        if (numLabels < 2) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "a classifier needs at least two labels");
        Backbone = backbone;
        NumLabels = numLabels;
        this.backbone = backbone.Module;
        int h = backbone.Config.HiddenSize;
        dense = nn.Linear(h, h);
        out_proj = nn.Linear(h, numLabels);
        dropout = nn.Dropout(backbone.Config.HiddenDropoutProb);
        using (no_grad())
        {
            var gen = new Generator().manual_seed(seed);
            foreach (var lin in new[] { dense, out_proj })
            {
                lin.weight!.copy_(torch.randn(lin.weight.shape, generator: gen) * backbone.Config.InitializerRange);
                lin.bias!.zero_();
            }
        }
        // The head is drawn on the CPU (the same numbers everywhere), then joins the backbone.
        Devices.MoveTo(dense, Devices.Of(backbone.Module));
        Devices.MoveTo(out_proj, Devices.Of(backbone.Module));
        RegisterComponents();
    }

    /// <summary>Label logits [B, C] for a batch.</summary>
    public Tensor Forward(PvpBatch batch)
    {
        using var scope = NewDisposeScope();
        var hidden = Backbone.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, TokenTypeIds = batch.TokenTypeIds, SkipLmHead = true }).LastHiddenState;
        var cls = hidden.select(1, 0);
        var x = out_proj.forward(dropout.forward(dense.forward(dropout.forward(cls)).tanh()));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Encodes plain examples (<c>a</c>, and <c>b</c> when present) with the model's special tokens,
    /// shortening the longer text first to fit <paramref name="maxLength"/>, on <paramref name="device"/>
    /// (null: the CPU), the classifier's <see cref="Device"/>.
    /// </summary>
    public static PvpBatch Encode(TextTokenizer tokenizer, IReadOnlyList<PetExample> examples, int maxLength, Device? device = null)
    {
        var encoded = new List<EncodedPattern>(examples.Count);
        foreach (var e in examples)
        {
            var a = tokenizer.Encode(e.Field("a").Trim()).ToList();
            var b = e.Fields.ContainsKey("b") ? tokenizer.Encode(e.Field("b").Trim()).ToList() : null;
            int specials = tokenizer.BuildInputs(Array.Empty<int>(), b is null ? null : Array.Empty<int>()).Count;
            int truncated = 0;
            while (a.Count + (b?.Count ?? 0) + specials > maxLength)
            {
                var longer = b is not null && b.Count > a.Count ? b : a;
                if (longer.Count == 0) throw new InvalidOperationException($"max length {maxLength} leaves no room for text after {specials} special tokens");
                longer.RemoveAt(longer.Count - 1);
                truncated++;
            }
            encoded.Add(new EncodedPattern(tokenizer.BuildInputs(a, b).ToArray(), tokenizer.BuildTokenTypeIds(a, b).ToArray(), Array.Empty<int>(), truncated));
        }
        return Pvp.Collate(encoded, tokenizer.PadTokenId, device);
    }

    /// <summary>Label logits [N, C] in eval mode without gradient (train/eval state restored).</summary>
    public float[,] Predict(TextTokenizer tokenizer, IReadOnlyList<PetExample> examples, int maxLength, int batchSize = 32)
    {
        var result = new float[examples.Count, NumLabels];
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var chunk = examples.Skip(start).Take(batchSize).ToList();
                using var batch = Encode(tokenizer, chunk, maxLength, Device);
                var data = Forward(batch).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
                for (int i = 0; i < chunk.Count; i++)
                    for (int c = 0; c < NumLabels; c++) result[start + i, c] = data[i * NumLabels + c];
            }
        }
        finally { train(wasTraining); }
        return result;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Backbone.Dispose();
        base.Dispose(disposing);
    }
}
