using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// The forward contract of an encoder-decoder (BART, T5), as <c>transformers</c>' <c>*ForConditionalGeneration</c>.
/// Encoder: give <see cref="InputIds"/> or <see cref="InputsEmbeds"/> (with <see cref="AttentionMask"/>), or
/// <see cref="EncoderLastHiddenState"/> from an earlier call to run the decoder only. Decoder: give
/// <see cref="DecoderInputIds"/> or <see cref="DecoderInputsEmbeds"/>, or only <see cref="Labels"/> (the decoder
/// input is then the labels shifted right with the decoder start token, see <see cref="Seq2Seq.ShiftTokensRight"/>).
/// Prefixes hold one <see cref="KeyValue"/> per layer ([batch, heads, prefix, head_dim]) placed in front of the
/// keys/values of the encoder self-attention, the decoder self-attention and the cross-attention; the masks may
/// be given without the prefix columns (the prefix is then fully visible) or with them. Decoder positions start
/// after a decoder prefix, as <c>transformers</c> counts a past of that length.
/// </summary>
public sealed record Seq2SeqForwardArgs
{
    /// <summary>Encoder input ids [B, S].</summary>
    public Tensor? InputIds { get; init; }
    /// <summary>Encoder input embeddings [B, S, H] (soft prompts enter here); used as they are (no embedding scale).</summary>
    public Tensor? InputsEmbeds { get; init; }
    /// <summary>Encoder mask, 1 = attend, 0 = padding: [B, S] or [B, encoder prefix + S].</summary>
    public Tensor? AttentionMask { get; init; }
    /// <summary>The encoder's output [B, S, H] from an earlier call: the encoder is not run again (generation).</summary>
    public Tensor? EncoderLastHiddenState { get; init; }
    /// <summary>Decoder input ids [B, T].</summary>
    public Tensor? DecoderInputIds { get; init; }
    /// <summary>Decoder input embeddings [B, T, H]; used as they are (no embedding scale).</summary>
    public Tensor? DecoderInputsEmbeds { get; init; }
    /// <summary>Decoder mask over its own tokens: [B, T] or [B, past + T] (past = decoder prefix or cache); absent = causal only.</summary>
    public Tensor? DecoderAttentionMask { get; init; }
    /// <summary>Target ids [B, T]; -100 is ignored. Gives <see cref="Seq2SeqOutput.Loss"/> (mean token cross-entropy).</summary>
    public Tensor? Labels { get; init; }
    /// <summary>Per encoder layer: keys/values in front of the encoder self-attention's.</summary>
    public IReadOnlyList<KeyValue>? EncoderPrefix { get; init; }
    /// <summary>Per decoder layer: keys/values in front of the decoder self-attention's (not with <see cref="Cache"/>, which holds them).</summary>
    public IReadOnlyList<KeyValue>? DecoderPrefix { get; init; }
    /// <summary>Per decoder layer: keys/values in front of the cross-attention's (not with <see cref="Cache"/>, which holds them).</summary>
    public IReadOnlyList<KeyValue>? CrossAttentionPrefix { get; init; }
    /// <summary>The decoder cache of the previous step (<see cref="Seq2SeqOutput.Cache"/>): only the new decoder tokens are given.</summary>
    public Seq2SeqCache? Cache { get; init; }
    /// <summary>Return the decoder cache (self-attention: prefix + every token so far; cross-attention: prefix + encoder).</summary>
    public bool UseCache { get; init; }
    /// <summary>Return the embedding output and every layer's output of encoder and decoder.</summary>
    public bool OutputHiddenStates { get; init; }
    /// <summary>Skip the LM head; <see cref="Seq2SeqOutput.Logits"/> is then null (and no loss is computed).</summary>
    public bool SkipLmHead { get; init; }
}

/// <summary>
/// A decoder's key/value cache: per decoder layer, the self-attention keys/values of the prefix and every token
/// so far, and the cross-attention keys/values (prefix + encoder output, computed once). Each [B, heads, len, head_dim].
/// </summary>
public sealed record Seq2SeqCache(IReadOnlyList<KeyValue> SelfAttention, IReadOnlyList<KeyValue> CrossAttention) : IDisposable
{
    /// <summary>Length of the self-attention past (prefix + tokens already decoded).</summary>
    public long SelfLength => SelfAttention.Count == 0 ? 0 : SelfAttention[0].Key.shape[2];

    /// <summary>Frees every tensor of the cache.</summary>
    public void Dispose()
    {
        foreach (var kv in SelfAttention.Concat(CrossAttention)) { kv.Key.Dispose(); kv.Value.Dispose(); }
    }

    /// <summary>Moves every tensor out of the current dispose scope.</summary>
    internal void MoveToOuterDisposeScope()
    {
        foreach (var kv in SelfAttention.Concat(CrossAttention)) { kv.Key.MoveToOuterDisposeScope(); kv.Value.MoveToOuterDisposeScope(); }
    }
}

/// <summary>
/// What an encoder-decoder returns. Hidden states (when asked): [0] = embedding output, [i] = output of layer i
/// (T5: the last after the final norm), one list for the encoder and one for the decoder.
/// </summary>
public sealed record Seq2SeqOutput(
    Tensor EncoderLastHiddenState,
    Tensor DecoderLastHiddenState,
    Tensor? Logits,
    Tensor? Loss,
    IReadOnlyList<Tensor>? EncoderHiddenStates,
    IReadOnlyList<Tensor>? DecoderHiddenStates,
    Seq2SeqCache? Cache);

/// <summary>One attention stack as a key/value prefix must match it: <see cref="Layers"/> entries of [batch, <see cref="Heads"/>, length, <see cref="HeadDim"/>].</summary>
public sealed record AttentionLayout(int Layers, int Heads, int HeadDim);

/// <summary>The sizes soft prompts on an encoder-decoder must match.</summary>
/// <param name="HiddenSize"><c>d_model</c>: the width of <see cref="Seq2SeqForwardArgs.InputsEmbeds"/>.</param>
/// <param name="Encoder">The encoder self-attention (<see cref="Seq2SeqForwardArgs.EncoderPrefix"/>).</param>
/// <param name="Decoder">The decoder self-attention and cross-attention (<see cref="Seq2SeqForwardArgs.DecoderPrefix"/>, <see cref="Seq2SeqForwardArgs.CrossAttentionPrefix"/>).</param>
/// <param name="EmbeddingScale">
/// What the encoder multiplies <see cref="ISeq2SeqModel.EmbedTokens"/>' output by when given ids (BART with
/// <c>scale_embedding</c>: sqrt(d_model); otherwise 1). <see cref="Seq2SeqForwardArgs.InputsEmbeds"/> are used as given,
/// so embeddings made from <see cref="ISeq2SeqModel.EmbedTokens"/> must be multiplied by it to mean the same tokens.
/// </param>
public sealed record Seq2SeqDimensions(int HiddenSize, AttentionLayout Encoder, AttentionLayout Decoder, double EmbeddingScale);

/// <summary>An encoder-decoder language model with its LM head (<c>BartForConditionalGeneration</c>, <c>T5ForConditionalGeneration</c>, ...).</summary>
public interface ISeq2SeqModel : IDisposable
{
    /// <summary>The underlying TorchSharp module (for parameters, train/eval, state dict).</summary>
    nn.Module Module { get; }
    /// <summary>The config's <c>model_type</c>.</summary>
    string ModelType { get; }
    /// <summary>The token the decoder starts from (<c>decoder_start_token_id</c>).</summary>
    int DecoderStartTokenId { get; }
    /// <summary>Hidden size, attention layouts and embedding scale: what prompts and prefixes must match.</summary>
    Seq2SeqDimensions Dimensions { get; }
    /// <summary>Word embeddings only (shared by encoder and decoder): [B, L] -> [B, L, H].</summary>
    Tensor EmbedTokens(Tensor inputIds);
    /// <summary>Runs the encoder only (the encoder fields of <paramref name="args"/>): its last hidden state [B, S, H].</summary>
    Tensor Encode(Seq2SeqForwardArgs args);
    /// <summary>Runs encoder (unless given its output), decoder and LM head.</summary>
    Seq2SeqOutput Forward(Seq2SeqForwardArgs args);
    /// <summary><c>generate</c>'s defaults from the model config (eos, pad, forced eos), as <c>transformers</c> derives them.</summary>
    GenerationConfig GenerationDefaults(int maxNewTokens, int numBeams = 1);
    /// <summary>Tied weights, alias state-dict key -> source key (see <see cref="ILanguageModel.TiedWeights"/>).</summary>
    IReadOnlyDictionary<string, string> TiedWeights { get; }
}

/// <summary>Helpers shared by the encoder-decoders.</summary>
public static class Seq2Seq
{
    /// <summary>
    /// <c>transformers</c>' <c>shift_tokens_right</c>: [B, T] labels -> decoder inputs that start with
    /// <paramref name="decoderStartTokenId"/> and drop the last label; -100 becomes <paramref name="padTokenId"/>.
    /// </summary>
    public static Tensor ShiftTokensRight(Tensor labels, long padTokenId, long decoderStartTokenId)
    {
        if (labels.dim() != 2) throw new ArgumentException($"ShiftTokensRight: labels must be [batch, length], got [{string.Join(", ", labels.shape)}].");
        using var scope = NewDisposeScope();
        var shifted = zeros_like(labels, dtype: ScalarType.Int64);
        shifted[.., 0] = tensor(decoderStartTokenId, device: labels.device);
        if (labels.shape[1] > 1) shifted[.., 1..] = labels[.., ..^1];
        using var pad = padTokenId.ToScalar();
        return shifted.masked_fill_(shifted.eq(LossLabels.IgnoreIndexScalar), pad).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy of logits [B, T, V] against labels [B, T], -100 ignored (as <c>transformers</c>), computed in float32.</summary>
    public static Tensor Loss(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var v = logits.shape[^1];
        return nn.functional.cross_entropy(logits.reshape(-1, v).to_type(ScalarType.Float32), labels.reshape(-1).to_type(ScalarType.Int64), ignore_index: LossLabels.IgnoreIndex)
            .MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A decoder call's keys/values in front of its own (<see cref="Seq2SeqChecks.DecoderPast"/>): the self-attention
/// past (<see cref="Seq2SeqCache.SelfAttention"/> or <see cref="Seq2SeqForwardArgs.DecoderPrefix"/>) and its length,
/// and the cross-attention's: with <paramref name="CrossCached"/> the complete cached keys/values
/// (<see cref="Seq2SeqCache.CrossAttention"/>, used as they are), else <see cref="Seq2SeqForwardArgs.CrossAttentionPrefix"/>
/// in front of the keys/values projected from the encoder output. <paramref name="CrossPrefixLength"/>: the prefix part either way.
/// </summary>
internal readonly record struct DecoderPast(IReadOnlyList<KeyValue>? Self, long SelfLength, IReadOnlyList<KeyValue>? Cross, long CrossPrefixLength, bool CrossCached);

/// <summary>Argument checks of <see cref="Seq2SeqForwardArgs"/> with errors naming the field.</summary>
internal static class Seq2SeqChecks
{
    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    /// <summary>(batch, length) of ids [B, L] or embeddings [B, L, hidden], exactly one of which must be given.</summary>
    public static (long Batch, long Length) Input(Tensor? ids, Tensor? embeds, long hidden, string idsName, string embedsName, string model)
    {
        if ((ids is null) == (embeds is null))
            throw new ArgumentException($"{model}: give exactly one of Seq2SeqForwardArgs.{idsName} and Seq2SeqForwardArgs.{embedsName}.");
        if (ids is not null)
        {
            if (ids.dim() != 2) throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{idsName} must be [batch, length], got {Shape(ids)}.");
            if (ids.dtype != ScalarType.Int64 && ids.dtype != ScalarType.Int32)
                throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{idsName} must hold integer ids, got {ids.dtype}.");
            return (ids.shape[0], ids.shape[1]);
        }
        if (embeds!.dim() != 3 || embeds.shape[2] != hidden)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{embedsName} must be [batch, length, {hidden}], got {Shape(embeds)}.");
        return (embeds.shape[0], embeds.shape[1]);
    }

    /// <summary>The common length of per-layer keys/values [batch, heads, len, headDim] (0 when absent).</summary>
    public static long KeyValueLength(IReadOnlyList<KeyValue>? kvs, int layers, long batch, long heads, long headDim, string name, string model)
    {
        if (kvs is null) return 0;
        if (kvs.Count != layers)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{name} has {kvs.Count} entries, the model has {layers} layers there.");
        long length = -1;
        for (int i = 0; i < kvs.Count; i++)
            foreach (var (part, t) in new[] { ("Key", kvs[i].Key), ("Value", kvs[i].Value) })
            {
                if (t.dim() != 4 || t.shape[0] != batch || t.shape[1] != heads || t.shape[3] != headDim)
                    throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{name}[{i}].{part} must be [{batch}, {heads}, length, {headDim}], got {Shape(t)}.");
                if (length < 0) length = t.shape[2];
                else if (t.shape[2] != length)
                    throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{name}[{i}].{part} has length {t.shape[2]}, layer 0 has {length}.");
            }
        return length;
    }

    /// <summary>Checks a mask is [batch, length] or [batch, past + length].</summary>
    public static void Mask(Tensor? mask, long batch, long past, long length, string name, string model)
    {
        if (mask is not null && (mask.dim() != 2 || mask.shape[0] != batch || (mask.shape[1] != length && mask.shape[1] != past + length)))
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.{name} must be [{batch}, {length}] or [{batch}, {past + length}] (prefix {past} + length {length}), got {Shape(mask)}.");
    }

    /// <summary>
    /// Checks <see cref="Seq2SeqForwardArgs.EncoderLastHiddenState"/> ([batch, length, <paramref name="hidden"/>]) comes
    /// without encoder inputs it would replace; returns an alias of it.
    /// </summary>
    public static Tensor EncoderOutput(Tensor given, Seq2SeqForwardArgs args, long hidden, string model)
    {
        if (args.InputIds is not null || args.InputsEmbeds is not null || args.EncoderPrefix is not null)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.EncoderLastHiddenState replaces the encoder; do not give InputIds, InputsEmbeds or EncoderPrefix with it.");
        if (given.dim() != 3 || given.shape[2] != hidden)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.EncoderLastHiddenState must be [batch, length, {hidden}], got {Shape(given)}.");
        return given.alias();
    }

    /// <summary>The encoder mask over its outputs (the cross-attention's): the last <paramref name="length"/> columns (an encoder prefix has none).</summary>
    public static Tensor? EncoderOutputMask(Tensor? mask, long batch, long length, string model)
    {
        if (mask is null) return null;
        if (mask.dim() != 2 || mask.shape[0] != batch || mask.shape[1] < length)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.AttentionMask must be [{batch}, {length}] or [{batch}, prefix + {length}] for the encoder output, got {Shape(mask)}.");
        return mask[.., (int)(mask.shape[1] - length)..];
    }

    /// <summary>
    /// The decoder's self-attention past and cross-attention keys/values: <see cref="Seq2SeqForwardArgs.Cache"/>, else the
    /// prefixes (not both); each per-layer list checked, the cached cross-attention at least <paramref name="sourceLength"/> long.
    /// </summary>
    public static DecoderPast DecoderPast(Seq2SeqForwardArgs args, int layers, long batch, long heads, long headDim, long sourceLength, string model)
    {
        var cache = args.Cache;
        if (cache is not null && (args.DecoderPrefix is not null || args.CrossAttentionPrefix is not null))
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.Cache already holds the prefixes; give DecoderPrefix and CrossAttentionPrefix only on the first call.");
        var self = cache?.SelfAttention ?? args.DecoderPrefix;
        var cross = cache?.CrossAttention ?? args.CrossAttentionPrefix;
        string selfName = cache is null ? "DecoderPrefix" : "Cache.SelfAttention", crossName = cache is null ? "CrossAttentionPrefix" : "Cache.CrossAttention";
        long past = KeyValueLength(self, layers, batch, heads, headDim, selfName, model);
        long crossLength = KeyValueLength(cross, layers, batch, heads, headDim, crossName, model);
        long crossPrefix = cache is null ? crossLength : crossLength - sourceLength;
        if (crossPrefix < 0)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.Cache.CrossAttention has length {crossLength}, shorter than the encoder output ({sourceLength}).");
        return new DecoderPast(self, past, cross, crossPrefix, cache is not null);
    }

    /// <summary>Checks <see cref="Seq2SeqForwardArgs.Labels"/> is [batch, length] like the decoder input.</summary>
    public static void Labels(Tensor labels, long batch, long length, string model)
    {
        if (labels.dim() != 2 || labels.shape[0] != batch || labels.shape[1] != length)
            throw new ArgumentException($"{model}: Seq2SeqForwardArgs.Labels must be [{batch}, {length}] like the decoder input, got {Shape(labels)}.");
    }

    /// <summary>A [B, L] or [B, P + L] mask widened to [B, P + L] with leading ones (the prefix is visible).</summary>
    public static Tensor Widen(Tensor mask, long past, long length)
    {
        if (mask.shape[1] == past + length) return mask.alias();
        using var ones = torch.ones(mask.shape[0], past, dtype: mask.dtype, device: mask.device);
        return cat(new[] { ones, mask }, 1);
    }
}
