using System.Text;

namespace PromptLearning.Data.Formats;

/// <summary>
/// How every data loader reads its file: strictly as UTF-8 (a byte sequence that is not UTF-8 is an
/// error naming the file and line, never a replacement character), a leading BOM dropped, lines split
/// on "\n" with a trailing "\r" removed, and a file with nothing but whitespace an error in every format.
/// </summary>
public static class TextFile
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The lines of <paramref name="path"/> (no final empty line for a trailing newline).</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What the file should hold, for the empty-file message (e.g. "a header 'mr,ref'").</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not UTF-8 (<c>path:line</c>) or empty (<c>path:1</c>).</exception>
    public static string[] ReadLines(string path, string expected)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        var lines = new List<string>();
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            int length = end - start;
            if (length > 0 && bytes[end - 1] == '\r') length--;
            try
            {
                lines.Add(Strict.GetString(bytes, start, length));
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"{path}:{lines.Count + 1}: not valid UTF-8");
            }
            start = end + 1;
        }
        if (lines.All(string.IsNullOrWhiteSpace)) throw new InvalidDataException($"{path}:1: empty file, expected {expected}");
        return lines.ToArray();
    }
}
