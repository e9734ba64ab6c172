using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// The trainable vectors of a soft-prompt method. There are only two places they can enter a frozen
/// model: the input embeddings (<see cref="InputPrompt"/>: prompt tuning, P-tuning v1) or the keys and
/// values of every attention layer (<see cref="PrefixPrompt"/>: prefix tuning, P-tuning v2). How they are
/// parameterised (a plain table, an LSTM or an MLP) is the method's business; <see cref="Collapse"/>
/// turns any parameterisation into the plain table that is stored and used for inference.
/// </summary>
public abstract class SoftPrompt : nn.Module
{
    protected SoftPrompt(string name) : base(name) { }

    /// <summary>Number of virtual tokens.</summary>
    public abstract int Length { get; }

    /// <summary>The same prompt as a plain, detached table (what is saved and served).</summary>
    public abstract SoftPrompt Collapse();
}

/// <summary>Virtual tokens at the input layer: <see cref="Embeddings"/> gives [n, hidden].</summary>
public abstract class InputPrompt : SoftPrompt
{
    protected InputPrompt(string name) : base(name) { }

    /// <summary>The virtual tokens' input embeddings, [n, hidden].</summary>
    public abstract Tensor Embeddings();

    public override SoftPrompt Collapse()
    {
        using var _ = no_grad();
        return new PromptTable(Embeddings());
    }
}

/// <summary>Per-layer key/value prefixes: <see cref="KeyValues"/> gives [layers, 2, heads, n, head_dim].</summary>
public abstract class PrefixPrompt : SoftPrompt
{
    protected PrefixPrompt(string name) : base(name) { }

    /// <summary>Keys (index 0) and values (index 1) of every layer, [layers, 2, heads, n, head_dim].</summary>
    public abstract Tensor KeyValues();

    public override SoftPrompt Collapse()
    {
        using var _ = no_grad();
        return new PrefixTable(KeyValues());
    }
}

/// <summary>A trainable [n, hidden] table of virtual-token embeddings (state-dict key <c>weight</c>).</summary>
public sealed class PromptTable : InputPrompt
{
    private readonly Parameter weight;

    /// <summary>A table initialised with a copy of <paramref name="init"/> ([n, hidden]).</summary>
    public PromptTable(Tensor init) : base(nameof(PromptTable))
    {
        if (init.dim() != 2) throw new ArgumentException($"prompt table init must be [n, hidden], got [{string.Join(", ", init.shape)}]", nameof(init));
        weight = new Parameter(init.detach().to_type(ScalarType.Float32).clone());
        RegisterComponents();
    }

    public override int Length => (int)weight.shape[0];

    /// <summary>The table itself.</summary>
    public Parameter Weight => weight;

    public override Tensor Embeddings() => weight;
}

/// <summary>A trainable [layers, 2, heads, n, head_dim] table of key/value prefixes (state-dict key <c>weight</c>).</summary>
public sealed class PrefixTable : PrefixPrompt
{
    private readonly Parameter weight;

    /// <summary>A table initialised with a copy of <paramref name="init"/> ([layers, 2, heads, n, head_dim]).</summary>
    public PrefixTable(Tensor init) : base(nameof(PrefixTable))
    {
        if (init.dim() != 5 || init.shape[1] != 2)
            throw new ArgumentException($"prefix table init must be [layers, 2, heads, n, head_dim], got [{string.Join(", ", init.shape)}]", nameof(init));
        weight = new Parameter(init.detach().to_type(ScalarType.Float32).clone());
        RegisterComponents();
    }

    public override int Length => (int)weight.shape[3];

    /// <summary>The table itself.</summary>
    public Parameter Weight => weight;

    public override Tensor KeyValues() => weight;
}
