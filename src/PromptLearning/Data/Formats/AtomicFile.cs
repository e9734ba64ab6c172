using System.Text;

namespace PromptLearning.Data.Formats;

/// <summary>Writes files atomically (temp file + move) as UTF-8 without BOM with "\n" line ends.</summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, creating its folder.</summary>
    public static void WriteAllText(string path, string content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content, Utf8);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Writes lines, each followed by "\n".</summary>
    public static void WriteAllLines(string path, IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines) sb.Append(l).Append('\n');
        WriteAllText(path, sb.ToString());
    }
}
