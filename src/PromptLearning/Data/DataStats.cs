using System.Globalization;
using System.Text;
using PromptLearning.Metrics;

namespace PromptLearning.Data;

/// <summary>Measured statistics of a data folder (the numbers in data/README.md come from here).</summary>
public static class DataStats
{
    // Function words left out of the content-word count.
    private static readonly HashSet<string> FunctionWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "is", "was", "were", "are", "be", "been", "it", "its", "this", "that", "which", "with", "and", "or",
        "but", "not", "of", "in", "on", "at", "to", "for", "from", "by", "as", "there", "here", "we", "i", "my", "our", "you",
        "your", "they", "he", "she", "his", "her", "me", "us", "have", "has", "had", "do", "does", "did", "can", "could",
        "would", "will", "so", "very", "really", "too", "also", "just", "than", "then", "if", "while", "although", "even",
        "though", "however", "still", "where", "what", "who", "all", "no", "out", "up", "more", "less", "much", "some",
    };

    /// <summary>A multi-line report of corpus size, vocabulary, label balance and split sizes.</summary>
    public static string Report(string? root = null)
    {
        root ??= EmbeddedData.Root;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var train = EmbeddedTasks.Corpus("train", root);
        var valid = EmbeddedTasks.Corpus("valid", root);
        long chars = 0, words = 0;
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in train)
        {
            chars += doc.Length + 1;
            foreach (var w in doc.Split(' ', StringSplitOptions.RemoveEmptyEntries)) words++;
            foreach (var t in RougeL.Tokenize(doc))
                if (!char.IsDigit(t[0])) types[t] = types.TryGetValue(t, out var c) ? c + 1 : 1;
        }
        int content = types.Keys.Count(t => !FunctionWords.Contains(t));
        int great = train.Count(d => d.Contains("It was great.", StringComparison.Ordinal));
        int terrible = train.Count(d => d.Contains("It was terrible.", StringComparison.Ordinal));
        sb.AppendLine(string.Create(inv, $"corpus: train {train.Length:N0} documents, {chars:N0} characters, {words:N0} whitespace tokens; valid {valid.Length:N0} documents"));
        sb.AppendLine(string.Create(inv, $"corpus vocabulary: {types.Count:N0} word types, {content:N0} content-word types (function words excluded), {types.Values.Count(c => c >= 20):N0} types seen at least 20 times"));
        sb.AppendLine(string.Create(inv, $"corpus evaluative sentences: \"It was great.\" in {great:N0} documents, \"It was terrible.\" in {terrible:N0}"));
        foreach (var task in ClassificationFiles.All)
        {
            sb.Append(task.Name).Append(':');
            foreach (var split in new[] { "train", "dev", "test", "unlabeled" })
            {
                var ex = task.Load(split, root);
                sb.Append(inv, $" {split} {ex.Count}");
                if (split != "unlabeled")
                    sb.Append(" (").Append(string.Join(" ", task.Labels.Select((l, i) => $"{task.LabelNames[i]} {ex.Count(e => e.Label == l)}"))).Append(')');
                sb.Append(';');
            }
            sb.Length--;
            sb.AppendLine();
        }
        var slots = EmbeddedTasks.Slots("train", root);
        var chunkTypes = slots.SelectMany(s => SpanF1.Chunks(s.Tags)).GroupBy(c => c.Type).OrderBy(g => g.Key, StringComparer.Ordinal);
        sb.AppendLine(string.Create(inv, $"slots: train {slots.Count} sentences, {slots.Sum(s => s.Tokens.Count)} tokens; dev {EmbeddedTasks.Slots("dev", root).Count}; test {EmbeddedTasks.Slots("test", root).Count}; spans in train: {string.Join(" ", chunkTypes.Select(g => $"{g.Key} {g.Count()}"))}"));
        sb.Append("e2e:");
        foreach (var split in new[] { "train", "dev", "test", "test-unseen" })
        {
            var e = EmbeddedTasks.E2e(split, root);
            sb.Append(inv, $" {split} {e.Count} MRs / {e.Sum(x => x.References.Count)} refs;");
        }
        sb.Length--;
        sb.AppendLine();
        var summaries = new[] { "train.jsonl", "validation.jsonl", "test.jsonl" }
            .Select(f => (File: f, Data: Formats.XsumJsonl.Load(Path.Combine(root, EmbeddedData.Summarization, f)))).ToList();
        sb.AppendLine(string.Create(inv, $"summarization: {string.Join("; ", summaries.Select(x => $"{Path.GetFileNameWithoutExtension(x.File)} {x.Data.Count}"))}; " +
            $"words per document {summaries[0].Data.Average(e => e.Document.Split(' ').Length):F1}, per summary {summaries[0].Data.Average(e => e.Summary.Split(' ').Length):F1}"));
        return sb.ToString();
    }
}
