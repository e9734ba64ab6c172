namespace PromptLearning.Metrics;

/// <summary>Accuracy and macro-averaged F1 for classification, as fractions in [0, 1].</summary>
public static class ClassificationMetrics
{
    /// <summary>Share of positions where <paramref name="predicted"/> equals <paramref name="gold"/>.</summary>
    public static double Accuracy<T>(IReadOnlyList<T> predicted, IReadOnlyList<T> gold)
    {
        CheckLengths(predicted.Count, gold.Count);
        if (gold.Count == 0) throw new ArgumentException("accuracy of an empty set is undefined", nameof(gold));
        var eq = EqualityComparer<T>.Default;
        int correct = 0;
        for (int i = 0; i < gold.Count; i++) if (eq.Equals(predicted[i], gold[i])) correct++;
        return correct / (double)gold.Count;
    }

    /// <summary>
    /// Unweighted mean over classes of per-class F1, the classes being every label that occurs in
    /// gold or predicted (scikit-learn's <c>f1_score(average="macro")</c>); a class with no true
    /// positives has F1 0.
    /// </summary>
    public static double MacroF1<T>(IReadOnlyList<T> predicted, IReadOnlyList<T> gold) where T : notnull
    {
        CheckLengths(predicted.Count, gold.Count);
        if (gold.Count == 0) throw new ArgumentException("macro-F1 of an empty set is undefined", nameof(gold));
        var tp = new Dictionary<T, int>();
        var fp = new Dictionary<T, int>();
        var fn = new Dictionary<T, int>();
        var eq = EqualityComparer<T>.Default;
        var classes = new List<T>();
        void Note(T c) { if (!tp.ContainsKey(c)) { tp[c] = 0; fp[c] = 0; fn[c] = 0; classes.Add(c); } }
        for (int i = 0; i < gold.Count; i++)
        {
            Note(gold[i]);
            Note(predicted[i]);
            if (eq.Equals(predicted[i], gold[i])) tp[gold[i]]++;
            else { fp[predicted[i]]++; fn[gold[i]]++; }
        }
        double sum = 0;
        foreach (var c in classes)
        {
            int denominator = 2 * tp[c] + fp[c] + fn[c];
            sum += denominator == 0 ? 0 : 2.0 * tp[c] / denominator;
        }
        return sum / classes.Count;
    }

    private static void CheckLengths(int predicted, int gold)
    {
        if (predicted != gold) throw new ArgumentException($"{predicted} predictions for {gold} gold labels");
    }
}
