using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>Sizes of one forward call: batch, new tokens, and past (prefix or cache) length.</summary>
internal readonly record struct ForwardShape(long Batch, long Length, long PastLength);

/// <summary>Checks a <see cref="ForwardArgs"/> against a config, with errors that name the offending field.</summary>
internal static class ForwardChecks
{
    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    public static ForwardShape Validate(ForwardArgs args, TransformerConfig config, string model)
    {
        if ((args.InputIds is null) == (args.InputsEmbeds is null))
            throw new ArgumentException($"{model}: give exactly one of ForwardArgs.InputIds and ForwardArgs.InputsEmbeds.");
        long batch, length;
        if (args.InputIds is { } ids)
        {
            if (ids.dim() != 2) throw new ArgumentException($"{model}: ForwardArgs.InputIds must be [batch, length], got {Shape(ids)}.");
            if (ids.dtype != ScalarType.Int64 && ids.dtype != ScalarType.Int32)
                throw new ArgumentException($"{model}: ForwardArgs.InputIds must hold integer ids, got {ids.dtype}.");
            (batch, length) = (ids.shape[0], ids.shape[1]);
        }
        else
        {
            var e = args.InputsEmbeds!;
            if (e.dim() != 3 || e.shape[2] != config.HiddenSize)
                throw new ArgumentException($"{model}: ForwardArgs.InputsEmbeds must be [batch, length, {config.HiddenSize}], got {Shape(e)}.");
            (batch, length) = (e.shape[0], e.shape[1]);
        }

        long past = 0;
        if (args.PastKeyValues is { } pkv)
        {
            if (pkv.Count != config.NumHiddenLayers)
                throw new ArgumentException($"{model}: ForwardArgs.PastKeyValues has {pkv.Count} entries, the model has {config.NumHiddenLayers} layers.");
            for (int i = 0; i < pkv.Count; i++)
            {
                foreach (var (name, t) in new[] { ("Key", pkv[i].Key), ("Value", pkv[i].Value) })
                {
                    if (t.dim() != 4 || t.shape[0] != batch || t.shape[1] != config.NumAttentionHeads || t.shape[3] != config.HeadDim)
                        throw new ArgumentException($"{model}: ForwardArgs.PastKeyValues[{i}].{name} must be [{batch}, {config.NumAttentionHeads}, past, {config.HeadDim}], got {Shape(t)}.");
                    if (i == 0 && name == "Key") past = t.shape[2];
                    else if (t.shape[2] != past)
                        throw new ArgumentException($"{model}: ForwardArgs.PastKeyValues[{i}].{name} has past length {t.shape[2]}, layer 0 has {past}.");
                }
            }
        }

        if (args.AttentionMask is { } mask && (mask.dim() != 2 || mask.shape[0] != batch || (mask.shape[1] != length && mask.shape[1] != past + length)))
            throw new ArgumentException($"{model}: ForwardArgs.AttentionMask must be [{batch}, {length}] or [{batch}, {past + length}] (past {past} + length {length}), got {Shape(mask)}.");
        if (args.TokenTypeIds is { } tt && (tt.dim() != 2 || tt.shape[0] != batch || tt.shape[1] != length))
            throw new ArgumentException($"{model}: ForwardArgs.TokenTypeIds must be [{batch}, {length}], got {Shape(tt)}.");
        if (args.PositionIds is { } pos && (pos.dim() != 2 || (pos.shape[0] != batch && pos.shape[0] != 1) || pos.shape[1] != length))
            throw new ArgumentException($"{model}: ForwardArgs.PositionIds must be [{batch}, {length}] or [1, {length}], got {Shape(pos)}.");
        return new ForwardShape(batch, length, past);
    }

    /// <summary>The mask over past + current tokens [B, P+L]: a [B, L] mask gets P leading ones (the past is fully visible).</summary>
    public static Tensor FullMask(Tensor mask, ForwardShape shape)
    {
        if (mask.shape[1] == shape.PastLength + shape.Length) return mask.alias();
        using var past = ones(shape.Batch, shape.PastLength, dtype: mask.dtype, device: mask.device);
        return cat(new[] { past, mask }, 1);
    }

    /// <summary>Moves a result and its hidden states (which may include it) out of the current dispose scope, each once.</summary>
    public static void MoveOut(Tensor last, IReadOnlyList<Tensor>? states)
    {
        var moved = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { last };
        last.MoveToOuterDisposeScope();
        if (states is null) return;
        foreach (var s in states)
            if (moved.Add(s)) s.MoveToOuterDisposeScope();
    }
}
