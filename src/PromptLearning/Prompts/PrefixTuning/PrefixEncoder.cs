using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.PrefixTuning;

/// <summary>
/// Key/value prefixes for every layer, either as a plain trainable table or reparameterised as
/// <c>P = MLP(P')</c>: a [n, hidden] embedding <c>P'</c> through Linear(hidden, mid) - Tanh -
/// Linear(mid, layers x 2 x hidden), reshaped to [layers, 2, heads, n, head_dim]. After training,
/// <see cref="SoftPrompt.Collapse"/> evaluates the MLP once and keeps only the prefixes.
/// </summary>
public sealed class PrefixEncoder : PrefixPrompt
{
    private readonly Embedding? embedding;
    private readonly Sequential? trans;
    private readonly Parameter? prefix;
    private readonly int _length, _layers, _heads, _headDim;

    /// <summary>True when trained through the MLP.</summary>
    public bool Reparameterized => trans is not null;

    /// <param name="length">Prefix length.</param>
    /// <param name="layers">Backbone layers.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="headDim">Head size.</param>
    /// <param name="reparameterize">Use the MLP.</param>
    /// <param name="midSize">MLP hidden width.</param>
    /// <param name="initStd">Standard deviation of the plain table's normal initialisation.</param>
    /// <param name="seed">Seeds a local generator for the initialisation (torch's global generator is left alone).</param>
    public PrefixEncoder(int length, int layers, int heads, int headDim, bool reparameterize, int midSize, double initStd, int seed)
        : base(nameof(PrefixEncoder))
    {
        if (length < 1) throw new ArgumentException($"prefix length must be >= 1, got {length}");
        _length = length; _layers = layers; _heads = heads; _headDim = headDim;
        int hidden = heads * headDim;
        using var generator = new Generator((ulong)seed);
        if (reparameterize)
        {
            embedding = nn.Embedding(length, hidden);
            trans = nn.Sequential(nn.Linear(hidden, midSize), nn.Tanh(), nn.Linear(midSize, layers * 2 * hidden));
        }
        else
        {
            prefix = new Parameter(randn(new long[] { layers, 2, heads, length, headDim }, generator: generator).Times(initStd));
        }
        RegisterComponents();
        if (reparameterize) Initialization.ResetWithGenerator(this, generator);
    }

    public override int Length => _length;

    public override Tensor KeyValues()
    {
        if (prefix is not null) return prefix;
        using var ids = Scalars.Arange(_length, device: embedding!.weight!.device);
        var flat = trans!.forward(embedding.forward(ids)); // [n, layers*2*hidden]
        return flat.view(_length, _layers, 2, _heads, _headDim).permute(1, 2, 3, 0, 4);
    }

    /// <summary>
    /// Sets the prefixes to <paramref name="target"/> ([layers, 2, heads, n, head_dim]): copied into the
    /// plain table, or, with the MLP, fitted by <paramref name="steps"/> Adam steps on the squared error,
    /// updating only the MLP (the input embedding keeps its initialisation), as the reference's real-word
    /// initialisation does (Adam, lr 1e-4, 500 steps). Returns the final mean squared error (0 for the plain table).
    /// </summary>
    public double InitializeTo(Tensor target, int steps, double learningRate = 1e-4)
    {
        if (!target.shape.SequenceEqual(new long[] { _layers, 2, _heads, _length, _headDim }))
            throw new ArgumentException($"prefix init target is [{string.Join(", ", target.shape)}], expected [{_layers}, 2, {_heads}, {_length}, {_headDim}]");
        if (prefix is not null)
        {
            using var _ = no_grad();
            prefix.copy_(target);
            return 0;
        }
        // fitted where the MLP is (the CPU while the model is built), whatever device the backbone gave the target on
        var goal = target.detach().to(embedding!.weight!.device);
        using var opt = HeldScalarAdamW.Adam(trans!.parameters(), learningRate);
        double mse = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(KeyValues(), goal);
            loss.backward();
            opt.Update();
            mse = loss.item<float>();
        }
        foreach (var p in parameters()) p.grad?.zero_();
        return mse;
    }
}
