using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Training;

/// <summary>
/// BERT's masked-LM objective (Devlin et al. 2019, as <c>DataCollatorForLanguageModeling</c>): each
/// non-special token is chosen with probability 15%; a chosen token becomes <c>[MASK]</c> 80% of the
/// time, a random non-special token 10%, and stays 10%; labels hold the original id at chosen
/// positions and -100 elsewhere. A sequence where no token was chosen gets one chosen at random,
/// so no batch has an empty loss. The masking is drawn from the given <see cref="Random"/>, so a
/// seed fixes it. Optionally, <em>salient</em> token ids (e.g. sentiment words, as SKEP's sentiment
/// masking, Tian et al. 2020) are chosen with their own, higher probability. With continuation ids
/// (WordPiece <c>##</c> pieces) the choice is made per whole word (BERT's whole-word masking): a
/// continuation is chosen exactly when the piece before it is, and a word counts as salient when
/// its first piece is.
/// </summary>
public sealed class MaskedLanguageModeling
{
    private readonly int _vocabSize;
    private readonly int _maskId;
    private readonly HashSet<int> _special;
    private readonly int[] _replacementIds;
    private readonly HashSet<int> _salient;
    private readonly HashSet<int> _continuations;

    /// <summary>Share of tokens chosen for prediction.</summary>
    public double Probability { get; }

    /// <summary>Probability of choosing a salient token (equal to <see cref="Probability"/> when there are none).</summary>
    public double SalientProbability { get; }

    /// <summary>The ids never masked: padding, [CLS]/[SEP] (bos/eos), [MASK], and [UNK] when the vocabulary has it.</summary>
    public static IEnumerable<int> SpecialIds(TextTokenizer tokenizer)
    {
        yield return tokenizer.PadTokenId;
        if (tokenizer.BosTokenId is { } bos) yield return bos;
        if (tokenizer.EosTokenId is { } eos) yield return eos;
        if (tokenizer.MaskTokenId is { } mask) yield return mask;
        if (tokenizer.TokenToId("[UNK]") is { } unk) yield return unk;
    }

    /// <param name="vocabSize">Number of token ids.</param>
    /// <param name="maskTokenId">Id of <c>[MASK]</c>.</param>
    /// <param name="specialTokenIds">Ids never chosen and never used as random replacements ([PAD], [CLS], [SEP], [MASK], [UNK]).</param>
    /// <param name="probability">Share of non-special tokens to choose (BERT: 0.15).</param>
    /// <param name="salientTokenIds">Token ids chosen with <paramref name="salientProbability"/> instead (none by default).</param>
    /// <param name="salientProbability">Probability of choosing a salient token.</param>
    /// <param name="continuationTokenIds">Ids of word-continuation pieces (whole-word masking); none by default.</param>
    public MaskedLanguageModeling(int vocabSize, int maskTokenId, IEnumerable<int> specialTokenIds, double probability = 0.15,
        IEnumerable<int>? salientTokenIds = null, double? salientProbability = null, IEnumerable<int>? continuationTokenIds = null)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), probability, "must be in (0, 1)");
        if (salientProbability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(salientProbability), salientProbability, "must be in (0, 1)");
        _vocabSize = vocabSize;
        _maskId = maskTokenId;
        _special = new HashSet<int>(specialTokenIds) { maskTokenId };
        _replacementIds = Enumerable.Range(0, vocabSize).Where(i => !_special.Contains(i)).ToArray();
        Probability = probability;
        _salient = new HashSet<int>(salientTokenIds ?? []);
        _salient.ExceptWith(_special);
        SalientProbability = salientProbability ?? probability;
        _continuations = new HashSet<int>(continuationTokenIds ?? []);
        _continuations.ExceptWith(_special);
    }

    /// <summary>Masks <paramref name="sequences"/> (token ids with special tokens) into a padded batch.</summary>
    public LanguageModelingBatch Collate(IReadOnlyList<IReadOnlyList<int>> sequences, int padId, Random random)
    {
        var (ids, mask) = LanguageModelingBatch.Pad(sequences, padId);
        int b = ids.GetLength(0), l = ids.GetLength(1);
        var labels = new long[b, l];
        for (int r = 0; r < b; r++)
        {
            var (masked, rowLabels) = Mask(sequences[r], random);
            for (int i = 0; i < l; i++)
            {
                bool real = i < masked.Length && mask[r, i] == 1;
                if (real) ids[r, i] = masked[i];
                labels[r, i] = real ? rowLabels[i] : LossLabels.IgnoreIndex;
            }
        }
        return new LanguageModelingBatch(tensor(ids), tensor(mask), tensor(labels));
    }

    /// <summary>
    /// Masks one unpadded <paramref name="sequence"/>: the ids with the chosen tokens replaced, and
    /// the labels (the original id at chosen positions, <see cref="LossLabels.IgnoreIndex"/>
    /// elsewhere). <see cref="Collate"/> masks each row with it; PET's auxiliary MLM masks its
    /// pattern-encoded examples with it.
    /// </summary>
    public (int[] Ids, long[] Labels) Mask(IReadOnlyList<int> sequence, Random random)
    {
        var ids = sequence.ToArray();
        var labels = new long[ids.Length];
        var candidates = new List<int>();
        bool any = false, previousChosen = false, previousIsToken = false;
        for (int i = 0; i < ids.Length; i++)
        {
            labels[i] = LossLabels.IgnoreIndex;
            int id = ids[i];
            if (_special.Contains(id)) { previousIsToken = false; continue; }
            candidates.Add(i);
            // a continuation piece shares the decision of the piece before it (whole-word masking)
            bool chosen = previousIsToken && _continuations.Contains(id)
                ? previousChosen
                : random.NextDouble() < (_salient.Contains(id) ? SalientProbability : Probability);
            if (chosen) { Choose(ids, labels, i, random); any = true; }
            previousChosen = chosen;
            previousIsToken = true;
        }
        if (!any && candidates.Count > 0) Choose(ids, labels, candidates[random.Next(candidates.Count)], random);
        return (ids, labels);
    }

    private void Choose(int[] ids, long[] labels, int i, Random random)
    {
        labels[i] = ids[i];
        var u = random.NextDouble();
        if (u < 0.8) ids[i] = _maskId;
        else if (u < 0.9) ids[i] = _replacementIds[random.Next(_replacementIds.Length)];
    }

    /// <summary>Number of token ids this objective was built for.</summary>
    public int VocabSize => _vocabSize;
}
