using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>One layer's keys and values, each [batch, heads, length, head_dim] (HF's legacy tuple layout).</summary>
public sealed record KeyValue(Tensor Key, Tensor Value);

/// <summary>
/// The one forward contract of every backbone. Give <see cref="InputIds"/> or
/// <see cref="InputsEmbeds"/> (soft prompts enter here, already concatenated with the word
/// embeddings). <see cref="PastKeyValues"/> holds one <see cref="KeyValue"/> per layer: a
/// trainable prefix (prefix tuning, P-tuning v2) or GPT-2's generation cache. As in
/// <c>transformers</c>: position ids start at the past length unless <see cref="PositionIds"/> is
/// given, and <see cref="AttentionMask"/> may be [batch, length] (the past is then fully visible) or
/// [batch, past + length].
/// </summary>
public sealed record ForwardArgs
{
    public Tensor? InputIds { get; init; }
    public Tensor? InputsEmbeds { get; init; }
    /// <summary>1 = attend, 0 = padding; [B, L] or [B, P + L].</summary>
    public Tensor? AttentionMask { get; init; }
    /// <summary>BERT segment ids, [B, L]; zeros when absent.</summary>
    public Tensor? TokenTypeIds { get; init; }
    public Tensor? PositionIds { get; init; }
    public IReadOnlyList<KeyValue>? PastKeyValues { get; init; }
    /// <summary>GPT-2 only: return the keys/values of past + current tokens for incremental decoding.</summary>
    public bool UseCache { get; init; }
    public bool OutputHiddenStates { get; init; }
    /// <summary>Skip the LM head (e.g. for a classification head on [CLS]); Logits is then null.</summary>
    public bool SkipLmHead { get; init; }
    /// <summary>
    /// Run the LM head only at these positions of each row, [B, K] (int64): <see cref="ForwardOutput.Logits"/>
    /// is then [B, K, V] instead of [B, L, V]. A cloze needs the vocabulary scores at its [MASK] only, and
    /// the vocabulary projection at every position is a large share of a small model's cost (like
    /// <c>logits_to_keep</c> in <c>transformers</c>).
    /// </summary>
    public Tensor? LogitsPositions { get; init; }

    /// <summary>The rows of <paramref name="last"/> [B, L, H] the LM head should see: all, or those at <see cref="LogitsPositions"/>.</summary>
    internal Tensor HeadInput(Tensor last) => LogitsPositions is { } pos
        ? last.gather(1, pos.unsqueeze(-1).expand(-1, -1, last.shape[2]))
        : last;
}

/// <summary>What a backbone returns. <see cref="Logits"/> is null for the bare encoder/decoder.</summary>
public sealed record ForwardOutput(
    Tensor LastHiddenState,
    Tensor? Logits,
    IReadOnlyList<Tensor>? HiddenStates,
    IReadOnlyList<KeyValue>? PresentKeyValues);

/// <summary>
/// A pretrained language model with its head: <c>BertForMaskedLM</c>, <c>RobertaForMaskedLM</c>
/// (masked LM) or <c>GPT2LMHeadModel</c> (causal LM). Every prompt method works through this.
/// </summary>
public interface ILanguageModel : IDisposable
{
    TransformerConfig Config { get; }
    /// <summary>The underlying TorchSharp module (for parameters, train/eval, state dict).</summary>
    nn.Module Module { get; }
    /// <summary>Word embeddings only (no position/type embeddings, no LayerNorm): [B, L] -> [B, L, H].</summary>
    Tensor EmbedTokens(Tensor inputIds);
    /// <summary>Runs the model; <see cref="ForwardOutput.Logits"/> holds the LM head's scores.</summary>
    ForwardOutput Forward(ForwardArgs args);
    /// <summary>
    /// Tied weights, alias state-dict key -> source key (e.g. GPT-2 <c>lm_head.weight</c> ->
    /// <c>transformer.wte.weight</c>). The module holds one shared Parameter under the source key only,
    /// so a checkpoint loader fills the source and accepts (ignores) the alias when a file stores it.
    /// </summary>
    IReadOnlyDictionary<string, string> TiedWeights => new Dictionary<string, string>();
    /// <summary>
    /// The head's tensors that the loaded checkpoint did not hold and that keep their fresh
    /// initialisation (an encoder-only or task checkpoint: <c>BertModel</c>, sentence-transformers,
    /// <c>*ForSequenceClassification</c>); empty for a full checkpoint or a model built in code.
    /// Methods that read the LM head (cloze heads, PET, zero-shot, generation) refuse the model while
    /// this is not empty.
    /// </summary>
    IReadOnlyList<string> UntrainedHead { get => []; set => throw new NotSupportedException($"{GetType().Name} does not track its head's initialisation"); }
}

/// <summary>Checks for methods that read a model's LM head.</summary>
public static class PretrainedHead
{
    /// <summary>Throws <see cref="InvalidOperationException"/> saying why and what to do when <paramref name="model"/>'s LM head was not in its checkpoint.</summary>
    public static void Require(ILanguageModel model, string use)
    {
        if (model.UntrainedHead.Count == 0) return;
        throw new InvalidOperationException(
            $"{use} reads the language-model head, but this checkpoint has none (freshly initialised: {string.Join(", ", model.UntrainedHead)}). " +
            "Use a checkpoint with its MLM/LM head (e.g. bert-base-uncased, roberta-large, gpt2), or a method with its own head: " +
            "P-tuning v2 or prompt tuning with a [CLS] or token head, head-only, or fine-tuning.");
    }
}
