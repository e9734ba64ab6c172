using System.Text;

namespace PromptLearning.Data.Formats;

/// <summary>One CSV record with the 1-based line on which it starts.</summary>
/// <param name="Line">Line number of the record's first character.</param>
/// <param name="Fields">The unquoted field values.</param>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// RFC 4180 CSV: comma-separated fields, optionally in double quotes, "" for a quote inside quotes,
/// newlines allowed inside quotes. Used for AG News, Yelp and E2E files.
/// </summary>
public static class Csv
{
    /// <summary>Reads all records of a file (see <see cref="TextFile"/>); errors name the file and line.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What the file should hold, for the empty-file message.</param>
    public static List<CsvRecord> Read(string path, string expected) =>
        Parse(string.Join("\n", TextFile.ReadLines(path, expected)), path);

    /// <summary>Parses CSV text; <paramref name="source"/> names it in error messages.</summary>
    public static List<CsvRecord> Parse(string text, string source)
    {
        var records = new List<CsvRecord>();
        int i = 0, line = 1;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        while (i < text.Length)
        {
            int startLine = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            bool endOfRecord = false;
            while (!endOfRecord)
            {
                field.Clear();
                if (i < text.Length && text[i] == '"')
                {
                    int quoteLine = line;
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                            throw new InvalidDataException($"{source}:{quoteLine}: field {fields.Count + 1}: quoted field is not closed before the end of the file");
                        char c = text[i];
                        if (c == '"')
                        {
                            if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                            i++;
                            break;
                        }
                        if (c == '\n') line++;
                        field.Append(c);
                        i++;
                    }
                    if (i < text.Length && text[i] is not (',' or '\n' or '\r'))
                        throw new InvalidDataException($"{source}:{line}: field {fields.Count + 1}: unexpected character '{text[i]}' after a closing quote");
                }
                else
                {
                    while (i < text.Length && text[i] is not (',' or '\n' or '\r'))
                    {
                        if (text[i] == '"')
                            throw new InvalidDataException($"{source}:{line}: field {fields.Count + 1}: quote inside an unquoted field");
                        field.Append(text[i]);
                        i++;
                    }
                }
                fields.Add(field.ToString());
                if (i >= text.Length) endOfRecord = true;
                else if (text[i] == ',') i++;
                else
                {
                    if (text[i] == '\r') i++;
                    if (i < text.Length && text[i] == '\n') i++;
                    line++;
                    endOfRecord = true;
                }
            }
            if (fields.Count == 1 && fields[0].Length == 0) continue; // blank line
            records.Add(new CsvRecord(startLine, fields));
        }
        return records;
    }

    /// <summary>A field in double quotes with inner quotes doubled.</summary>
    public static string Quote(string value) => "\"" + value.Replace("\"", "\"\"") + "\"";

    /// <summary>A record of quoted fields.</summary>
    public static string Line(params string[] fields) => string.Join(",", fields.Select(Quote));
}
