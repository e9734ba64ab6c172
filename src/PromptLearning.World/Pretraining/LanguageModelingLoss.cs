using PromptLearning.Native;
using PromptLearning.Models;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Pretraining;

/// <summary>Loss and held-out counts of a language model on a <see cref="LanguageModelingBatch"/> (or an encoder-decoder on a <see cref="DenoisingBatch"/>).</summary>
public static class LanguageModelingLoss
{
    /// <summary>
    /// Mean cross-entropy over labelled positions: at the same position for masked LMs, shifted by
    /// one (position t predicts label t+1) for causal LMs, as <c>transformers</c> computes it.
    /// </summary>
    public static Tensor Compute(ILanguageModel model, LanguageModelingBatch batch)
    {
        var (logits, labels) = Aligned(model, batch);
        return nn.functional.cross_entropy(logits, labels, ignore_index: LossLabels.IgnoreIndex);
    }

    /// <summary>
    /// Summed cross-entropy, number of labelled positions and number predicted right (argmax) — for
    /// held-out masked-token accuracy and perplexity.
    /// </summary>
    public static (double LossSum, long Count, long Correct) Score(ILanguageModel model, LanguageModelingBatch batch)
    {
        using var scope = NewDisposeScope();
        var (logits, labels) = Aligned(model, batch);
        return Counts(logits, labels);
    }

    /// <summary>
    /// Mean token cross-entropy of an encoder-decoder reconstructing <see cref="DenoisingBatch.Labels"/> from the
    /// corrupted input (the decoder reads the labels shifted right, as <c>BartForConditionalGeneration</c> with labels),
    /// plus <paramref name="encoderTokenWeight"/> × the encoder-token loss (see
    /// <see cref="PretrainingConfig.EncoderTokenLossWeight"/>): the encoder output at each non-padding position scored
    /// against the input token there, logits = output × word embeddingsᵀ.
    /// </summary>
    public static Tensor Compute(ISeq2SeqModel model, DenoisingBatch batch, double encoderTokenWeight = 0)
    {
        using var scope = NewDisposeScope();
        var output = model.Forward(new Seq2SeqForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, Labels = batch.Labels });
        var loss = output.Loss ?? throw new InvalidOperationException("the encoder-decoder returned no loss");
        if (encoderTokenWeight > 0)
        {
            var vocab = output.Logits!.shape[^1];
            var embeddings = model.EmbedTokens(Scalars.Arange(vocab, device: batch.InputIds.device));
            var scores = nn.functional.linear(output.EncoderLastHiddenState, embeddings);
            var targets = batch.InputIds.masked_fill(batch.AttentionMask.eq(Scalars.Zero), LossLabels.IgnoreIndexScalar);
            var encoderLoss = nn.functional.cross_entropy(scores.reshape(-1, vocab), targets.reshape(-1), ignore_index: LossLabels.IgnoreIndex);
            loss = loss.Plus(encoderLoss.Times(encoderTokenWeight));
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Summed cross-entropy, number of labelled positions and number predicted right (argmax, teacher-forced) of an encoder-decoder's reconstruction.</summary>
    public static (double LossSum, long Count, long Correct) Score(ISeq2SeqModel model, DenoisingBatch batch)
    {
        using var scope = NewDisposeScope();
        var output = model.Forward(new Seq2SeqForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, Labels = batch.Labels });
        var logits = output.Logits ?? throw new InvalidOperationException("the encoder-decoder returned no logits");
        return Counts(logits.reshape(-1, logits.shape[^1]), batch.Labels.reshape(-1));
    }

    private static (double LossSum, long Count, long Correct) Counts(Tensor logits, Tensor labels)
    {
        var loss = nn.functional.cross_entropy(logits, labels, ignore_index: LossLabels.IgnoreIndex, reduction: nn.Reduction.Sum);
        var valid = labels.ne(LossLabels.IgnoreIndexScalar);
        var correct = logits.argmax(-1).eq(labels).logical_and(valid).sum();
        return (loss.item<float>(), valid.sum().item<long>(), correct.item<long>());
    }

    private static (Tensor Logits, Tensor Labels) Aligned(ILanguageModel model, LanguageModelingBatch batch)
    {
        var labels = batch.Labels;
        if (model is BertForMaskedLM bert)
        {
            // Only the labelled (~15%) positions need the vocabulary-sized head: same loss, far less work.
            var output = bert.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, SkipLmHead = true });
            var flat = labels.reshape(-1);
            var positions = flat.ne(LossLabels.IgnoreIndexScalar).nonzero().squeeze(1);
            var hidden = output.LastHiddenState.reshape(-1, output.LastHiddenState.shape[^1]).index_select(0, positions);
            var scores = bert.LMHead.Forward(hidden, bert.Encoder.Embeddings.WordEmbeddings.weight!);
            return (scores, flat.index_select(0, positions));
        }
        var logits = model.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask }).Logits
            ?? throw new InvalidOperationException("the model returned no logits (LM head skipped?)");
        if (model.Config.IsCausal)
        {
            logits = logits[.., ..^1, ..];
            labels = labels[.., 1..];
        }
        var v = logits.shape[^1];
        return (logits.reshape(-1, v), labels.reshape(-1));
    }
}
