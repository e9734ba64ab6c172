using System.Text;

namespace PromptLearning.Notebooks;

/// <summary>Writes a file whole or not at all: a temporary file beside it, then a rename over it.</summary>
internal static class AtomicWrite
{
    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, creating the folder.</summary>
    public static void Text(string path, string text) => Bytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes <paramref name="bytes"/>, creating the folder.</summary>
    public static void Bytes(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }
}
