using System.Diagnostics;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Pretraining;

/// <summary>How <see cref="Pretrainer"/> turns texts into sequences and trains.</summary>
public sealed record PretrainingConfig
{
    /// <summary>Tokens per sequence, special tokens included.</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>
    /// Pack several texts into one sequence (masked LM: <c>[CLS] a [SEP] b [SEP] ...</c> with whole
    /// texts; causal LM: one stream <c>a &lt;eos&gt; b &lt;eos&gt; ...</c> cut into full-length
    /// chunks). Without packing each text is its own padded sequence (truncated to <see cref="MaxLength"/>).
    /// </summary>
    public bool Packing { get; init; }
    /// <summary>Masked LM: share of tokens chosen (BERT: 0.15).</summary>
    public double MaskProbability { get; init; } = 0.15;
    /// <summary>
    /// Masked LM: words whose tokens are chosen with <see cref="SalientMaskProbability"/> instead
    /// (SKEP-style sentiment masking; every WordPiece of each word counts). Empty: plain BERT masking.
    /// </summary>
    public IReadOnlyList<string> SalientWords { get; init; } = [];
    /// <summary>Masked LM: probability of choosing a token of a <see cref="SalientWords"/> word.</summary>
    public double SalientMaskProbability { get; init; } = 0.5;
    /// <summary>
    /// Masked LM: whole-word masking (BERT's wwm): the WordPiece continuations (<c>##...</c>) of a word
    /// are chosen exactly when its first piece is, so a word is never half visible.
    /// </summary>
    public bool WholeWordMasking { get; init; }
    /// <summary>At most this many held-out sequences are scored at each evaluation.</summary>
    public int MaxHeldOutSequences { get; init; } = 256;
    /// <summary>Batch size for held-out scoring.</summary>
    public int EvalBatchSize { get; init; } = 64;
    /// <summary>The optimisation settings (steps, batch size, lr, schedule, eval every, seed).</summary>
    public TrainerConfig Trainer { get; init; } = new() { MetricForBest = null, RestoreBest = false };
}

/// <summary>Held-out scores of a language model: masked-token (or next-token) accuracy and perplexity.</summary>
/// <param name="Loss">Mean cross-entropy (nats) over the scored tokens.</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="Accuracy">Share of scored tokens predicted right (argmax).</param>
/// <param name="Tokens">Number of scored tokens.</param>
public sealed record LanguageModelScores(double Loss, double Perplexity, double Accuracy, long Tokens)
{
    /// <summary>As a metrics dictionary for the trainer: <c>accuracy</c>, <c>perplexity</c>, <c>loss</c>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        ["accuracy"] = Accuracy, ["perplexity"] = Perplexity, ["loss"] = Loss,
    };
}

/// <summary>What a pretraining run did.</summary>
public sealed record PretrainingResult(TrainResult Training, LanguageModelScores HeldOut, int TrainSequences, long TrainTokens, int HeldOutSequences);

/// <summary>
/// Pretrains a BERT-style model with masked LM or a GPT-2-style model with causal LM (chosen by
/// <see cref="TransformerConfig.IsCausal"/>) on texts, with the <see cref="Trainer{TExample}"/>:
/// texts are tokenised with the model's tokenizer, turned into sequences (padded or packed),
/// masked afresh for every batch (MLM, dynamic masking as RoBERTa), and scored on held-out texts
/// (masked-token accuracy or next-token accuracy, and perplexity) every
/// <see cref="TrainerConfig.EvalEvery"/> steps.
/// </summary>
public static class Pretrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> in place and returns the run's record. With
    /// <paramref name="checkpointing"/> the run writes resumable snapshots and continues from one
    /// (see <see cref="TrainerCheckpointing"/>); <paramref name="sequencesBuilt"/> hears the number
    /// of training sequences and tokens before the first step.
    /// </summary>
    public static PretrainingResult Run(
        ILanguageModel model, TextTokenizer tokenizer,
        IReadOnlyList<string> trainTexts, IReadOnlyList<string> heldOutTexts,
        PretrainingConfig config, IProgress<TrainerProgress>? progress = null, TrainerCheckpointing? checkpointing = null,
        Action<int, long>? sequencesBuilt = null)
    {
        var causal = model.Config.IsCausal;
        if (!causal && tokenizer.MaskTokenId is null) throw new ArgumentException("masked-LM pretraining needs a tokenizer with a mask token", nameof(tokenizer));
        if (config.MaxLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"PretrainingConfig.MaxLength {config.MaxLength} exceeds the model's max_position_embeddings {model.Config.MaxPositionEmbeddings}");
        var train = BuildSequences(tokenizer, trainTexts, config.MaxLength, config.Packing, causal);
        var heldOut = BuildSequences(tokenizer, heldOutTexts, config.MaxLength, config.Packing, causal).Take(config.MaxHeldOutSequences).ToList();
        if (train.Count == 0) throw new ArgumentException("no training sequences (empty corpus?)", nameof(trainTexts));
        if (heldOut.Count == 0) throw new ArgumentException("no held-out sequences", nameof(heldOutTexts));
        sequencesBuilt?.Invoke(train.Count, train.Sum(s => (long)s.Count));

        var objective = causal ? null : new MaskedLanguageModeling(tokenizer.VocabSize, tokenizer.MaskTokenId!.Value,
            SpecialIds(tokenizer), config.MaskProbability, SalientIds(tokenizer, config.SalientWords), config.SalientMaskProbability,
            config.WholeWordMasking ? ContinuationIds(tokenizer) : null);
        // The masks of step n are drawn from a generator seeded with (seed, n), so a run resumed from a snapshot masks as the unbroken run would.
        int step = checkpointing is { Resume: true } ? TrainerCheckpointing.StepIn(checkpointing.Folder) : 0;
        LanguageModelingBatch Collate(IReadOnlyList<IReadOnlyList<int>> batch) => causal
            ? CausalLanguageModeling.Collate(batch, tokenizer.PadTokenId)
            : objective!.Collate(batch, tokenizer.PadTokenId, new Random(unchecked(config.Trainer.Seed * 1_000_003 + ++step)));
        // Held-out scores always mask BERT's 15% (HeldOutMaskProbability), so runs with other training rates stay comparable.
        LanguageModelScores ScoreHeldOut() => Score(model, tokenizer, heldOut, HeldOutMaskProbability, config.EvalBatchSize);

        var trainerConfig = config.Trainer with
        {
            MetricForBest = config.Trainer.MetricForBest ?? (causal ? "perplexity" : "accuracy"),
            GreaterIsBetter = config.Trainer.MetricForBest is null ? !causal : config.Trainer.GreaterIsBetter,
        };
        var trainer = new Trainer<IReadOnlyList<int>>(trainerConfig, model.Module.named_parameters(),
            batch => LanguageModelingLoss.Compute(model, Collate(batch)),
            () => ScoreHeldOut().ToMetrics(),
            model.Module);
        var result = trainer.Train(train, progress, checkpointing: checkpointing);
        model.Module.eval();
        LanguageModelScores final;
        using (no_grad()) final = ScoreHeldOut();
        return new PretrainingResult(result, final, train.Count, train.Sum(s => (long)s.Count), heldOut.Count);
    }

    /// <summary>Share of held-out tokens masked for scoring (BERT's rate, whatever the training rate).</summary>
    public const double HeldOutMaskProbability = 0.15;

    /// <summary>Seed of the fixed held-out masking (the same masks at every evaluation).</summary>
    public const int HeldOutSeed = 1234;

    /// <summary>
    /// Scores <paramref name="model"/> on held-out sequences (masked with <see cref="HeldOutSeed"/> for
    /// masked LMs). Call in eval mode under <c>no_grad</c>.
    /// </summary>
    public static LanguageModelScores Score(ILanguageModel model, TextTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> sequences, double maskProbability = HeldOutMaskProbability, int batchSize = 64)
    {
        var objective = model.Config.IsCausal ? null
            : new MaskedLanguageModeling(tokenizer.VocabSize, tokenizer.MaskTokenId ?? throw new ArgumentException("the tokenizer has no mask token"), SpecialIds(tokenizer), maskProbability);
        return Score(model, sequences, b => objective is null
            ? CausalLanguageModeling.Collate(b, tokenizer.PadTokenId)
            : objective.Collate(b, tokenizer.PadTokenId, new Random(HeldOutSeed)), batchSize);
    }

    private static LanguageModelScores Score(ILanguageModel model, IReadOnlyList<IReadOnlyList<int>> sequences,
        Func<IReadOnlyList<IReadOnlyList<int>>, LanguageModelingBatch> collate, int batchSize)
    {
        double lossSum = 0; long count = 0, correct = 0;
        for (int i = 0; i < sequences.Count; i += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = collate(sequences.Skip(i).Take(batchSize).ToList());
            var (l, n, c) = LanguageModelingLoss.Score(model, batch);
            lossSum += l; count += n; correct += c;
        }
        if (count == 0) throw new InvalidOperationException("no held-out token was scored");
        var loss = lossSum / count;
        return new LanguageModelScores(loss, Math.Exp(loss), correct / (double)count, count);
    }

    /// <summary>
    /// The token ids of <paramref name="words"/> (each word's tokens, with and without a leading space for
    /// byte-level BPE). A word that the vocabulary only knows as <c>[UNK]</c> is an error naming it.
    /// </summary>
    public static IReadOnlyList<int> SalientIds(TextTokenizer tokenizer, IEnumerable<string> words)
    {
        var special = SpecialIds(tokenizer).ToHashSet();
        var ids = new SortedSet<int>();
        foreach (var word in words)
        {
            var pieces = tokenizer.Encode(word).Concat(tokenizer.Encode(" " + word)).Where(i => !special.Contains(i)).ToList();
            if (pieces.Count == 0) throw new ArgumentException($"salient word '{word}' is not in the vocabulary (it encodes to special tokens only)", nameof(words));
            ids.UnionWith(pieces);
        }
        return ids.ToList();
    }

    /// <summary>The ids of WordPiece continuation tokens (<c>##...</c>); empty for vocabularies without them.</summary>
    public static IReadOnlyList<int> ContinuationIds(TextTokenizer tokenizer) =>
        Enumerable.Range(0, tokenizer.VocabSize).Where(i => tokenizer.IdToToken(i) is { } t && t.StartsWith("##", StringComparison.Ordinal)).ToList();

    /// <summary>The ids never masked: padding, [CLS]/[SEP] (bos/eos), [MASK], and [UNK] when the vocabulary has it.</summary>
    public static IEnumerable<int> SpecialIds(TextTokenizer tokenizer)
    {
        yield return tokenizer.PadTokenId;
        if (tokenizer.BosTokenId is { } bos) yield return bos;
        if (tokenizer.EosTokenId is { } eos) yield return eos;
        if (tokenizer.MaskTokenId is { } mask) yield return mask;
        if (tokenizer.TokenToId("[UNK]") is { } unk) yield return unk;
    }

    /// <summary>
    /// Token sequences for pretraining. Masked LM: <c>[CLS] text [SEP]</c> per text (or several whole
    /// texts per sequence when packing; a text longer than the sequence is truncated). Causal LM:
    /// <c>text &lt;eos&gt;</c> per text, or the stream of all texts cut into
    /// <paramref name="maxLength"/> chunks when packing.
    /// </summary>
    public static List<IReadOnlyList<int>> BuildSequences(TextTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength, bool packing, bool causal)
    {
        var result = new List<IReadOnlyList<int>>();
        if (causal)
        {
            var eos = tokenizer.EosTokenId ?? throw new ArgumentException("causal-LM pretraining needs an end-of-text token");
            var stream = new List<int>();
            foreach (var text in texts)
            {
                var ids = tokenizer.Encode(text);
                if (ids.Count == 0) continue;
                if (!packing) { result.Add(ids.Take(maxLength - 1).Append(eos).ToArray()); continue; }
                stream.AddRange(ids);
                stream.Add(eos);
                while (stream.Count >= maxLength)
                {
                    result.Add(stream.GetRange(0, maxLength).ToArray());
                    stream.RemoveRange(0, maxLength);
                }
            }
            if (packing && stream.Count > 1) result.Add(stream.ToArray());
            return result;
        }

        var current = new List<int>();
        foreach (var text in texts)
        {
            var ids = tokenizer.Encode(text);
            if (ids.Count == 0) continue;
            var single = tokenizer.BuildInputs(ids.Take(maxLength - 2).ToArray());
            if (!packing) { result.Add(single.ToArray()); continue; }
            // single = [CLS] text [SEP]; appending to a packed sequence drops its [CLS].
            if (current.Count > 0 && current.Count + single.Count - 1 <= maxLength) current.AddRange(single.Skip(1));
            else
            {
                if (current.Count > 0) result.Add(current.ToArray());
                current = single.ToList();
            }
        }
        if (current.Count > 0) result.Add(current.ToArray());
        return result;
    }
}
