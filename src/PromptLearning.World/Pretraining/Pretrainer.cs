using PromptLearning.Native;
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
    /// <summary>Masked LM: share of tokens chosen (BERT: 0.15); text infilling: share of tokens masked (BART: 0.3).</summary>
    public double MaskProbability { get; init; } = 0.15;
    /// <summary>
    /// Masked LM: words whose tokens are chosen with <see cref="SalientMaskProbability"/> instead
    /// (SKEP-style sentiment masking; every WordPiece of each word counts). Empty: plain BERT masking.
    /// </summary>
    public IReadOnlyList<string> SalientWords { get; init; } = [];
    /// <summary>Text infilling (BART): mean of the Poisson span-length distribution; the share masked is <see cref="MaskProbability"/> (BART: 0.3).</summary>
    public double PoissonLambda { get; init; } = Pretrainer.TextInfillingPoissonLambda;
    /// <summary>
    /// Text infilling (BART): weight of an auxiliary loss on the encoder: its output at each position predicts that
    /// position's input token through the shared embeddings (cross-entropy, padding ignored), added to the
    /// reconstruction loss; 0 = BART's objective alone. It keeps the encoder's positions apart: without it a small
    /// BART on this world's corpus turned every encoder position into the same vector within 50 steps (the decoder
    /// read a bag of words through uniform cross-attention and learned to ignore its input); see data/models/README.md (bart-small).
    /// </summary>
    public double EncoderTokenLossWeight { get; init; }
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
/// <see cref="TransformerConfig.IsCausal"/>), or a BART with text infilling (the <see cref="ISeq2SeqModel"/>
/// overload), on texts, with the <see cref="Trainer{TExample}"/>:
/// texts are tokenised with the model's tokenizer, turned into sequences (padded or packed),
/// masked afresh for every batch (MLM and text infilling, dynamic masking as RoBERTa), and scored on held-out texts
/// (masked-token, next-token or reconstruction accuracy, and perplexity) every
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
            MaskedLanguageModeling.SpecialIds(tokenizer), config.MaskProbability, SalientIds(tokenizer, config.SalientWords), config.SalientMaskProbability,
            config.WholeWordMasking ? ContinuationIds(tokenizer) : null);
        LanguageModelingBatch Collate(IReadOnlyList<IReadOnlyList<int>> batch, int step) => causal
            ? CausalLanguageModeling.Collate(batch, tokenizer.PadTokenId)
            : objective!.Collate(batch, tokenizer.PadTokenId, StepRandom(config, step));
        // Held-out scores always mask BERT's 15% (HeldOutMaskProbability), so runs with other training rates stay comparable.
        return Train(model.Module, train, heldOut, config, causal ? "perplexity" : "accuracy", !causal,
            (batch, step) => LanguageModelingLoss.Compute(model, Collate(batch, step)),
            () => Score(model, tokenizer, heldOut, HeldOutMaskProbability, config.EvalBatchSize), progress, checkpointing);
    }

    /// <summary>
    /// Pretrains an encoder-decoder (BART) with text infilling (<see cref="TextInfilling"/>, a share of
    /// <see cref="PretrainingConfig.MaskProbability"/> in Poisson(<see cref="PretrainingConfig.PoissonLambda"/>) spans,
    /// corrupted afresh for every batch) on <c>&lt;s&gt; text &lt;/s&gt;</c> sequences, one document each, and scores the
    /// reconstruction of held-out texts (token accuracy and perplexity under fixed corruption, see
    /// <see cref="Score(ISeq2SeqModel, TextTokenizer, IReadOnlyList{IReadOnlyList{int}}, double, double, int)"/>).
    /// Otherwise as <see cref="Run(ILanguageModel, TextTokenizer, IReadOnlyList{string}, IReadOnlyList{string}, PretrainingConfig, IProgress{TrainerProgress}?, TrainerCheckpointing?, Action{int, long}?)"/>.
    /// </summary>
    public static PretrainingResult Run(
        ISeq2SeqModel model, TextTokenizer tokenizer,
        IReadOnlyList<string> trainTexts, IReadOnlyList<string> heldOutTexts,
        PretrainingConfig config, IProgress<TrainerProgress>? progress = null, TrainerCheckpointing? checkpointing = null,
        Action<int, long>? sequencesBuilt = null)
    {
        var maskId = tokenizer.MaskTokenId ?? throw new ArgumentException("text-infilling pretraining needs a tokenizer with a mask token", nameof(tokenizer));
        if (config.Packing) throw new ArgumentException("text-infilling pretraining takes one document per sequence: PretrainingConfig.Packing must be false", nameof(config));
        if (!(config.EncoderTokenLossWeight >= 0)) throw new ArgumentException($"PretrainingConfig.EncoderTokenLossWeight must be >= 0, found {config.EncoderTokenLossWeight}", nameof(config));
        if (model is BartForConditionalGeneration bart && config.MaxLength > bart.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"PretrainingConfig.MaxLength {config.MaxLength} exceeds the model's max_position_embeddings {bart.Config.MaxPositionEmbeddings}");
        var train = BuildSequences(tokenizer, trainTexts, config.MaxLength, packing: false, causal: false);
        var heldOut = BuildSequences(tokenizer, heldOutTexts, config.MaxLength, packing: false, causal: false).Take(config.MaxHeldOutSequences).ToList();
        if (train.Count == 0) throw new ArgumentException("no training sequences (empty corpus?)", nameof(trainTexts));
        if (heldOut.Count == 0) throw new ArgumentException("no held-out sequences", nameof(heldOutTexts));
        sequencesBuilt?.Invoke(train.Count, train.Sum(s => (long)s.Count));

        var objective = new TextInfilling(maskId, MaskedLanguageModeling.SpecialIds(tokenizer), config.MaskProbability, config.PoissonLambda);
        // Held-out scores corrupt with the training settings, but always with the same masks (HeldOutSeed).
        return Train(model.Module, train, heldOut, config, "perplexity", false,
            (batch, step) => LanguageModelingLoss.Compute(model, objective.Collate(batch, tokenizer.PadTokenId, StepRandom(config, step)), config.EncoderTokenLossWeight),
            () => Score(model, tokenizer, heldOut, config.MaskProbability, config.PoissonLambda, config.EvalBatchSize), progress, checkpointing);
    }

    /// <summary>The generator of step <paramref name="step"/>'s masks, seeded with (seed, step): a run resumed from a snapshot masks as the unbroken run would.</summary>
    private static Random StepRandom(PretrainingConfig config, int step) => new(unchecked(config.Trainer.Seed * 1_000_003 + step));

    /// <summary>
    /// The trainer loop shared by the objectives: <paramref name="loss"/> gets each batch with its step number
    /// (1-based, counted on from the snapshot when resuming); <paramref name="scoreHeldOut"/> scores the held-out
    /// sequences at each evaluation and, in eval mode under no_grad, after the last step.
    /// </summary>
    private static PretrainingResult Train(nn.Module module, List<IReadOnlyList<int>> train, List<IReadOnlyList<int>> heldOut,
        PretrainingConfig config, string metricForBest, bool greaterIsBetter,
        Func<IReadOnlyList<IReadOnlyList<int>>, int, Tensor> loss, Func<LanguageModelScores> scoreHeldOut,
        IProgress<TrainerProgress>? progress, TrainerCheckpointing? checkpointing)
    {
        int step = checkpointing is { Resume: true } ? TrainerCheckpointing.StepIn(checkpointing.Folder) : 0;
        var trainerConfig = config.Trainer with
        {
            MetricForBest = config.Trainer.MetricForBest ?? metricForBest,
            GreaterIsBetter = config.Trainer.MetricForBest is null ? greaterIsBetter : config.Trainer.GreaterIsBetter,
        };
        var trainer = new Trainer<IReadOnlyList<int>>(trainerConfig, module.named_parameters(),
            batch => loss(batch, ++step), () => scoreHeldOut().ToMetrics(), module);
        var result = trainer.Train(train, progress, checkpointing: checkpointing);
        module.eval();
        LanguageModelScores final;
        using (no_grad()) final = scoreHeldOut();
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
            : new MaskedLanguageModeling(tokenizer.VocabSize, tokenizer.MaskTokenId ?? throw new ArgumentException("the tokenizer has no mask token"), MaskedLanguageModeling.SpecialIds(tokenizer), maskProbability);
        return Score(model, sequences, b => objective is null
            ? CausalLanguageModeling.Collate(b, tokenizer.PadTokenId)
            : objective.Collate(b, tokenizer.PadTokenId, new Random(HeldOutSeed)), batchSize);
    }

    /// <summary>
    /// Scores an encoder-decoder's reconstruction of held-out <c>&lt;s&gt; text &lt;/s&gt;</c> sequences corrupted by
    /// text infilling with fixed masks (<see cref="HeldOutSeed"/>): cross-entropy, perplexity and teacher-forced
    /// token accuracy over every label token. Call in eval mode under <c>no_grad</c>.
    /// </summary>
    public static LanguageModelScores Score(ISeq2SeqModel model, TextTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> sequences,
        double maskRatio = TextInfillingMaskRatio, double poissonLambda = TextInfillingPoissonLambda, int batchSize = 64)
    {
        var objective = new TextInfilling(tokenizer.MaskTokenId ?? throw new ArgumentException("the tokenizer has no mask token"), MaskedLanguageModeling.SpecialIds(tokenizer), maskRatio, poissonLambda);
        return Score(sequences, b => LanguageModelingLoss.Score(model, objective.Collate(b, tokenizer.PadTokenId, new Random(HeldOutSeed))), batchSize);
    }

    /// <summary>
    /// As <see cref="Score(ISeq2SeqModel, TextTokenizer, IReadOnlyList{IReadOnlyList{int}}, double, double, int)"/> with
    /// the same masks, but every encoder input token replaced by <c>&lt;mask&gt;</c> (lengths and attention mask kept):
    /// what the decoder reconstructs from the text it has decoded so far alone. The gap to the ordinary score is how
    /// much the model uses its encoder. Call in eval mode under <c>no_grad</c>.
    /// </summary>
    public static LanguageModelScores ScoreWithoutInput(ISeq2SeqModel model, TextTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> sequences,
        double maskRatio = TextInfillingMaskRatio, double poissonLambda = TextInfillingPoissonLambda, int batchSize = 64)
    {
        var maskId = tokenizer.MaskTokenId ?? throw new ArgumentException("the tokenizer has no mask token");
        var objective = new TextInfilling(maskId, MaskedLanguageModeling.SpecialIds(tokenizer), maskRatio, poissonLambda);
        return Score(sequences, b =>
        {
            var batch = objective.Collate(b, tokenizer.PadTokenId, new Random(HeldOutSeed));
            return LanguageModelingLoss.Score(model, batch with { InputIds = Scalars.With((long)maskId, s => full_like(batch.InputIds, s)) });
        }, batchSize);
    }

    /// <summary>
    /// <c>plearn pretrain --arch bart</c>'s weight of the encoder-token loss (<see cref="PretrainingConfig.EncoderTokenLossWeight"/>):
    /// the smallest of those tried (0.1, 1) that kept the small BART's encoder positions apart.
    /// </summary>
    public const double DefaultEncoderTokenLossWeight = 0.1;

    /// <summary>BART's share of masked tokens for text infilling.</summary>
    public const double TextInfillingMaskRatio = 0.3;

    /// <summary>BART's mean span length for text infilling.</summary>
    public const double TextInfillingPoissonLambda = 3.0;

    private static LanguageModelScores Score(ILanguageModel model, IReadOnlyList<IReadOnlyList<int>> sequences,
        Func<IReadOnlyList<IReadOnlyList<int>>, LanguageModelingBatch> collate, int batchSize) =>
        Score(sequences, b => LanguageModelingLoss.Score(model, collate(b)), batchSize);

    private static LanguageModelScores Score(IReadOnlyList<IReadOnlyList<int>> sequences,
        Func<IReadOnlyList<IReadOnlyList<int>>, (double LossSum, long Count, long Correct)> score, int batchSize)
    {
        double lossSum = 0; long count = 0, correct = 0;
        for (int i = 0; i < sequences.Count; i += batchSize)
        {
            using var scope = NewDisposeScope();
            var (l, n, c) = score(sequences.Skip(i).Take(batchSize).ToList());
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
        var special = MaskedLanguageModeling.SpecialIds(tokenizer).ToHashSet();
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
