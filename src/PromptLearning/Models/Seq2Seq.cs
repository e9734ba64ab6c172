using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// The forward contract of an encoder-decoder model (T5, BART), named after <c>transformers</c>'
/// arguments. Encoder side: <see cref="InputIds"/> or <see cref="InputsEmbeds"/> with
/// <see cref="AttentionMask"/>, or an already computed <see cref="EncoderLastHiddenState"/> (generation
/// encodes once). Decoder side: <see cref="DecoderInputIds"/> or <see cref="DecoderInputsEmbeds"/>, or
/// only <see cref="Labels"/> (the decoder input is then the labels shifted right behind the decoder start
/// token, -100 replaced by the pad id). Key/value prefixes (prefix tuning, P-tuning v2) enter per layer,
/// each <see cref="KeyValue"/> [batch, heads, length, head_dim]: in front of the encoder self-attention
/// (<see cref="EncoderPastKeyValues"/>), of the decoder self-attention (<see cref="DecoderPastKeyValues"/>,
/// which is also the generation cache) and of the cross-attention keys/values computed from the encoder
/// output (<see cref="CrossAttentionPrefix"/>). Positions count from the past length, as
/// <c>transformers</c> does with <c>past_key_values</c> of that length.
/// </summary>
public sealed record Seq2SeqForwardArgs
{
    /// <summary>Encoder token ids [B, S].</summary>
    public Tensor? InputIds { get; init; }
    /// <summary>Encoder input embeddings [B, S, d_model] (soft prompts already concatenated).</summary>
    public Tensor? InputsEmbeds { get; init; }
    /// <summary>Encoder mask, 1 = attend, 0 = padding: [B, S], or [B, P + S] with an encoder prefix of length P. Also masks the cross-attention.</summary>
    public Tensor? AttentionMask { get; init; }
    /// <summary>Encoder self-attention prefix, one entry per encoder layer.</summary>
    public IReadOnlyList<KeyValue>? EncoderPastKeyValues { get; init; }
    /// <summary>The encoder's output [B, S, d_model] from an earlier call: the encoder is then not run (the encoder inputs must be absent).</summary>
    public Tensor? EncoderLastHiddenState { get; init; }

    /// <summary>Decoder token ids [B, T].</summary>
    public Tensor? DecoderInputIds { get; init; }
    /// <summary>Decoder input embeddings [B, T, d_model].</summary>
    public Tensor? DecoderInputsEmbeds { get; init; }
    /// <summary>Decoder mask [B, T] or [B, P + T] (P = decoder past length); absent = all ones. The causal mask is always applied.</summary>
    public Tensor? DecoderAttentionMask { get; init; }
    /// <summary>Decoder self-attention past, one entry per decoder layer: a prefix, or <see cref="Seq2SeqOutput.PresentKeyValues"/> of the previous step.</summary>
    public IReadOnlyList<KeyValue>? DecoderPastKeyValues { get; init; }
    /// <summary>Cross-attention prefix, one entry per decoder layer, put in front of the keys/values projected from the encoder output and visible to every decoder token.</summary>
    public IReadOnlyList<KeyValue>? CrossAttentionPrefix { get; init; }
    /// <summary>
    /// The complete cross-attention keys/values of every decoder layer (prefix included), as a previous call
    /// returned them in <see cref="Seq2SeqOutput.CrossAttentionKeyValues"/>: used as they are, the encoder
    /// output is not projected again (the generation cache). Excludes <see cref="CrossAttentionPrefix"/>.
    /// </summary>
    public IReadOnlyList<KeyValue>? CrossAttentionKeyValues { get; init; }

    /// <summary>Target ids [B, T], -100 = ignored: the output then has the mean cross-entropy <see cref="Seq2SeqOutput.Loss"/>.</summary>
    public Tensor? Labels { get; init; }
    /// <summary>Return the decoder self-attention keys/values (past + current) and the cross-attention keys/values for incremental decoding.</summary>
    public bool UseCache { get; init; }
    /// <summary>Return the hidden states of the encoder and the decoder (embeddings, then every layer).</summary>
    public bool OutputHiddenStates { get; init; }
}

/// <summary>The encoder's result: its last hidden state [B, S, d_model] and, when asked, every hidden state.</summary>
public sealed record EncoderOutput(Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates);

/// <summary>What an encoder-decoder model returns (<c>transformers</c>' <c>Seq2SeqLMOutput</c>).</summary>
/// <param name="EncoderLastHiddenState">[B, S, d_model] (the given one when <see cref="Seq2SeqForwardArgs.EncoderLastHiddenState"/> was passed).</param>
/// <param name="EncoderHiddenStates">Embedding output then every encoder layer's, when asked and the encoder ran.</param>
/// <param name="DecoderLastHiddenState">[B, T, d_model].</param>
/// <param name="DecoderHiddenStates">Embedding output then every decoder layer's, when asked.</param>
/// <param name="Logits">[B, T, V]; null for a bare model.</param>
/// <param name="Loss">Mean cross-entropy over the labels that are not -100, when labels were given.</param>
/// <param name="PresentKeyValues">With <see cref="Seq2SeqForwardArgs.UseCache"/>: decoder self-attention keys/values of past + current tokens, per layer.</param>
/// <param name="CrossAttentionKeyValues">With <see cref="Seq2SeqForwardArgs.UseCache"/>: cross-attention keys/values (prefix included), per layer.</param>
public sealed record Seq2SeqOutput(
    Tensor EncoderLastHiddenState,
    IReadOnlyList<Tensor>? EncoderHiddenStates,
    Tensor DecoderLastHiddenState,
    IReadOnlyList<Tensor>? DecoderHiddenStates,
    Tensor? Logits,
    Tensor? Loss,
    IReadOnlyList<KeyValue>? PresentKeyValues,
    IReadOnlyList<KeyValue>? CrossAttentionKeyValues);

/// <summary>
/// An encoder-decoder language model with its LM head (<c>T5ForConditionalGeneration</c>, and any other
/// model with the same contract): what <see cref="Seq2SeqGeneration"/> and checkpoint loading need.
/// </summary>
public interface ISeq2SeqModel : IDisposable
{
    /// <summary>The underlying TorchSharp module (parameters, train/eval, state dict).</summary>
    nn.Module Module { get; }
    /// <summary>The first decoder input (<c>decoder_start_token_id</c>).</summary>
    int DecoderStartTokenId { get; }
    /// <summary>Padding id (<c>pad_token_id</c>), or null.</summary>
    int? PadTokenId { get; }
    /// <summary>End of sequence (<c>eos_token_id</c>), or null.</summary>
    int? EosTokenId { get; }
    /// <summary>The shared word embeddings only: [B, L] -> [B, L, d_model].</summary>
    Tensor EmbedTokens(Tensor inputIds);
    /// <summary>Runs the encoder alone (the encoder fields of <paramref name="args"/>).</summary>
    EncoderOutput Encode(Seq2SeqForwardArgs args);
    /// <summary>Runs encoder (unless its output is given) and decoder, and the LM head.</summary>
    Seq2SeqOutput Forward(Seq2SeqForwardArgs args);
    /// <summary>Tied weights, alias state-dict key -> source key (see <see cref="ILanguageModel.TiedWeights"/>).</summary>
    IReadOnlyDictionary<string, string> TiedWeights { get; }
}

/// <summary>Helpers every encoder-decoder model shares.</summary>
public static class Seq2Seq
{
    /// <summary>
    /// <c>transformers</c>' <c>shift_tokens_right</c>: [B, T] labels -> decoder inputs, the decoder start token
    /// first, the last label dropped, -100 replaced by <paramref name="padTokenId"/>.
    /// </summary>
    public static Tensor ShiftRight(Tensor labels, long decoderStartTokenId, long padTokenId)
    {
        using var scope = NewDisposeScope();
        var start = full(labels.shape[0], 1, decoderStartTokenId, dtype: labels.dtype, device: labels.device);
        var shifted = cat(new[] { start, labels[.., ..^1] }, 1);
        return shifted.masked_fill_(shifted.eq(-100), padTokenId).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy of logits [B, T, V] against labels [B, T], ignoring -100 (computed in float32).</summary>
    public static Tensor Loss(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var flat = logits.reshape(-1, logits.shape[^1]).to_type(ScalarType.Float32);
        return nn.functional.cross_entropy(flat, labels.reshape(-1).to_type(ScalarType.Int64), ignore_index: -100).MoveToOuterDisposeScope();
    }
}
