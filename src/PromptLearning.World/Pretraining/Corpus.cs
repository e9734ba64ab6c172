using System.Text.RegularExpressions;

namespace PromptLearning.Pretraining;

/// <summary>A pretraining corpus: training documents and held-out documents (one document per line on disk).</summary>
public sealed record Corpus(string Source, IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut)
{
    /// <summary>
    /// Reads <paramref name="path"/>: a folder with <c>train.txt</c> and <c>valid.txt</c> (the data
    /// generator's layout), or one text file whose last <paramref name="heldOutShare"/> of lines is
    /// held out. Blank lines are skipped.
    /// </summary>
    public static Corpus Read(string path, double heldOutShare = 0.02)
    {
        static List<string> Lines(string file) =>
            File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (Directory.Exists(path))
        {
            var train = Path.Combine(path, "train.txt");
            var valid = Path.Combine(path, "valid.txt");
            if (!File.Exists(train)) throw new FileNotFoundException($"corpus folder '{path}' has no train.txt", train);
            if (!File.Exists(valid)) throw new FileNotFoundException($"corpus folder '{path}' has no valid.txt (held-out documents)", valid);
            var c = new Corpus(path, Lines(train), Lines(valid));
            if (c.Train.Count == 0) throw new InvalidDataException($"corpus file '{train}' has no documents");
            if (c.HeldOut.Count == 0) throw new InvalidDataException($"corpus file '{valid}' has no documents");
            return c;
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"corpus '{path}' is neither a folder nor a file", path);
        var lines = Lines(path);
        var held = Math.Max(1, (int)Math.Round(lines.Count * heldOutShare));
        if (lines.Count < 2) throw new InvalidDataException($"corpus file '{path}' needs at least 2 documents (one is held out), has {lines.Count}");
        return new Corpus(path, lines.Take(lines.Count - held).ToList(), lines.Skip(lines.Count - held).ToList());
    }

    /// <summary>
    /// The corpus with only the training documents that match <paramref name="pattern"/> (a .NET
    /// regular expression); held-out documents are kept, so scores stay comparable with earlier stages.
    /// </summary>
    /// <exception cref="InvalidDataException">No training document matches.</exception>
    public Corpus WithTrainingDocumentsMatching(string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var kept = Train.Where(d => regex.IsMatch(d)).ToList();
        if (kept.Count == 0) throw new InvalidDataException($"no training document of corpus '{Source}' matches /{pattern}/");
        return this with { Train = kept };
    }
}
