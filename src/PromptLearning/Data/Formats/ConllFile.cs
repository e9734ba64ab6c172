using System.Text;

namespace PromptLearning.Data.Formats;

/// <summary>
/// CoNLL column files: one token per line, whitespace-separated columns with the token first and
/// the tag last (so CoNLL-2003's <c>token POS chunk NER</c> and two-column <c>token tag</c> files
/// both load), a blank line between sentences, <c>-DOCSTART-</c> lines ignored. Tags must be
/// <c>O</c> or <c>B-/I-/E-/S-TYPE</c> (IOB1, IOB2 and IOBES all parse).
/// </summary>
public static class ConllFile
{
    /// <summary>Loads sentences from a CoNLL file; with <paramref name="tags"/> (the task's), every tag must be one of them.</summary>
    /// <exception cref="InvalidDataException">A malformed line or a tag outside <paramref name="tags"/>; the message names the file and line.</exception>
    public static List<TaggingExample> Load(string path, IReadOnlyCollection<string>? tags = null)
    {
        var known = tags;
        var lines = TextFile.ReadLines(path, "lines 'token ... tag'");
        var result = new List<TaggingExample>();
        var tokens = new List<string>();
        var lineTags = new List<string>();
        void Flush()
        {
            if (tokens.Count > 0) result.Add(new TaggingExample(tokens.ToArray(), lineTags.ToArray()));
            tokens.Clear();
            lineTags.Clear();
        }
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) { Flush(); continue; }
            var cols = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (cols[0] == "-DOCSTART-") { Flush(); continue; }
            if (cols.Length < 2) throw new InvalidDataException($"{path}:{i + 1}: expected at least 2 columns (token ... tag), found 1: '{line}'");
            var tag = cols[^1];
            if (!IsTag(tag)) throw new InvalidDataException($"{path}:{i + 1}: tag column: '{tag}' is not O or B-/I-/E-/S-TYPE");
            if (known is not null && !known.Contains(tag))
                throw new InvalidDataException($"{path}:{i + 1}: tag '{tag}' is not one of the task's tags ({string.Join(", ", known)})");
            tokens.Add(cols[0]);
            lineTags.Add(tag);
        }
        Flush();
        return result;
    }

    private static bool IsTag(string tag) => tag == "O" || (tag.Length > 2 && tag[1] == '-' && tag[0] is 'B' or 'I' or 'E' or 'S');

    /// <summary>Writes sentences as two columns <c>token tag</c>, blank line between sentences.</summary>
    public static void Write(string path, IEnumerable<TaggingExample> sentences)
    {
        var sb = new StringBuilder();
        foreach (var s in sentences)
        {
            for (int i = 0; i < s.Tokens.Count; i++)
            {
                if (s.Tokens[i].Any(char.IsWhiteSpace)) throw new ArgumentException($"token '{s.Tokens[i]}' contains whitespace");
                sb.Append(s.Tokens[i]).Append(' ').Append(s.Tags[i]).Append('\n');
            }
            sb.Append('\n');
        }
        Checkpoints.AtomicFile.WriteText(path, sb.ToString());
    }
}
