using PromptLearning.Native;
using PromptLearning.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.PTuning;

/// <summary>
/// P-tuning's reparameterisation of the virtual tokens: a trainable [n, hidden] embedding passed
/// through a bidirectional LSTM (hidden/2 per direction, 2 layers) and a ReLU MLP, or an MLP alone,
/// so that the tokens depend on each other. Output [n, hidden]; collapses to a <see cref="PromptTable"/>.
/// </summary>
public sealed class PromptEncoder : InputPrompt
{
    private readonly Embedding embedding;
    private readonly LSTM? lstm_head;
    private readonly Sequential mlp_head;
    private readonly int _length;

    public PromptEncoderKind Kind { get; }

    /// <param name="length">Number of virtual tokens.</param>
    /// <param name="hiddenSize">The backbone's hidden size (output width).</param>
    /// <param name="encoderHidden">Encoder width (even for the LSTM).</param>
    /// <param name="kind">LSTM+MLP or MLP.</param>
    /// <param name="seed">Seeds a local generator for the initialisation (torch's global generator is left alone).</param>
    public PromptEncoder(int length, int hiddenSize, int encoderHidden, PromptEncoderKind kind, int seed) : base(nameof(PromptEncoder))
    {
        if (length < 1) throw new ArgumentException($"P-tuning: need at least one [P] slot, got {length}");
        if (kind == PromptEncoderKind.Lstm && encoderHidden % 2 != 0) throw new ArgumentException($"P-tuning: the LSTM encoder width must be even, got {encoderHidden}");
        _length = length;
        Kind = kind;
        embedding = nn.Embedding(length, hiddenSize);
        if (kind == PromptEncoderKind.Lstm)
        {
            lstm_head = nn.LSTM(hiddenSize, encoderHidden / 2, numLayers: 2, bidirectional: true, batchFirst: true);
            mlp_head = nn.Sequential(nn.Linear(encoderHidden, encoderHidden), nn.ReLU(), nn.Linear(encoderHidden, hiddenSize));
        }
        else
        {
            mlp_head = nn.Sequential(nn.Linear(hiddenSize, encoderHidden), nn.ReLU(), nn.Linear(encoderHidden, encoderHidden), nn.ReLU(), nn.Linear(encoderHidden, hiddenSize));
        }
        RegisterComponents();
        using var generator = new Generator((ulong)seed);
        Initialization.ResetWithGenerator(this, generator);
    }

    public override int Length => _length;

    public override Tensor Embeddings()
    {
        using var ids = Scalars.Arange(_length, device: embedding.weight!.device);
        var x = embedding.forward(ids);
        if (lstm_head is not null)
        {
            var (seq, h, c) = lstm_head.forward(x.unsqueeze(0));
            h.Dispose(); c.Dispose();
            x = seq.squeeze(0);
        }
        return mlp_head.forward(x);
    }
}
