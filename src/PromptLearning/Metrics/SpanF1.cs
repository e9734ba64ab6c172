namespace PromptLearning.Metrics;

/// <summary>A labelled span of tokens [Start, End) found in a tag sequence.</summary>
public readonly record struct Chunk(int Start, int End, string Type);

/// <summary>Span-level precision, recall and F1 (fractions in [0, 1]) with the counts behind them.</summary>
/// <param name="Precision">Correct / predicted chunks (0 when nothing was predicted).</param>
/// <param name="Recall">Correct / gold chunks (0 when there are no gold chunks).</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Correct">Predicted chunks with the same start, end and type as a gold chunk.</param>
/// <param name="Predicted">Chunks in the predictions.</param>
/// <param name="Gold">Chunks in the gold tags.</param>
public sealed record SpanScores(double Precision, double Recall, double F1, int Correct, int Predicted, int Gold);

/// <summary>
/// Span-level F1 for BIO tagging with the semantics of the CoNLL shared-task script conlleval:
/// a chunk starts at B- or S-, at I-/E- after O or after a chunk end, or wherever the type changes;
/// it ends before B-, S- or O, after E-/S-, or where the type changes. So IOB1, IOB2 and IOBES all
/// work, and an I- tag after O opens a chunk instead of being ignored. A predicted chunk is
/// correct when a gold chunk has exactly the same start, end and type. Sentence boundaries close chunks.
/// </summary>
public static class SpanF1
{
    /// <summary>Scores predicted tag sequences against gold ones (one list per sentence).</summary>
    public static SpanScores Compute(IReadOnlyList<IReadOnlyList<string>> predicted, IReadOnlyList<IReadOnlyList<string>> gold)
    {
        if (predicted.Count != gold.Count) throw new ArgumentException($"{predicted.Count} predicted sentences for {gold.Count} gold sentences");
        int correct = 0, nPred = 0, nGold = 0;
        for (int s = 0; s < gold.Count; s++)
        {
            if (predicted[s].Count != gold[s].Count)
                throw new ArgumentException($"sentence {s}: {predicted[s].Count} predicted tags for {gold[s].Count} gold tags");
            var g = Chunks(gold[s]);
            var p = Chunks(predicted[s]);
            var goldSet = new HashSet<Chunk>(g);
            nGold += g.Count;
            nPred += p.Count;
            correct += p.Count(goldSet.Contains);
        }
        double precision = nPred == 0 ? 0 : correct / (double)nPred;
        double recall = nGold == 0 ? 0 : correct / (double)nGold;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new SpanScores(precision, recall, f1, correct, nPred, nGold);
    }

    /// <summary>The chunks of one tag sequence, by conlleval's start/end rules.</summary>
    public static List<Chunk> Chunks(IReadOnlyList<string> tags)
    {
        var chunks = new List<Chunk>();
        string prevTag = "O", prevType = "";
        int start = -1;
        for (int i = 0; i <= tags.Count; i++)
        {
            var (tag, type) = i < tags.Count ? Split(tags[i]) : ("O", "");
            if (start >= 0 && EndOfChunk(prevTag, tag, prevType, type))
            {
                chunks.Add(new Chunk(start, i, prevType));
                start = -1;
            }
            if (StartOfChunk(prevTag, tag, prevType, type)) start = i;
            prevTag = tag;
            prevType = type;
        }
        return chunks;
    }

    private static (string Tag, string Type) Split(string label)
    {
        if (label == "O") return ("O", "");
        int dash = label.IndexOf('-');
        if (dash != 1 || label[0] is not ('B' or 'I' or 'E' or 'S'))
            throw new ArgumentException($"tag '{label}' is not O or B-/I-/E-/S-TYPE");
        return (label[..1], label[2..]);
    }

    private static bool EndOfChunk(string prevTag, string tag, string prevType, string type) =>
        prevTag is "E" or "S"
        || (prevTag is "B" or "I" && tag is "B" or "S" or "O")
        || (prevTag != "O" && prevType != type);

    private static bool StartOfChunk(string prevTag, string tag, string prevType, string type) =>
        tag is "B" or "S"
        || (prevTag is "E" or "S" or "O" && tag is "E" or "I")
        || (tag != "O" && prevType != type);
}
