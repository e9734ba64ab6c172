using System.Text;

namespace PromptLearning.Checkpoints;

/// <summary>
/// Writes files atomically: into a temp file next to the target (<c>.NAME.GUID.tmp</c>), flushed to
/// disk, then renamed over it. A killed writer can leave its temp file behind; <see cref="RemoveLeftovers"/>
/// deletes those.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes via <paramref name="write"/> into a temp file, flushes it, then moves it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no BOM) atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes <paramref name="lines"/> as UTF-8 (no BOM) atomically, each followed by "\n".</summary>
    public static void WriteLines(string path, IEnumerable<string> lines) =>
        WriteText(path, string.Concat(lines.Select(l => l + "\n")));

    /// <summary>Deletes the temp files that killed writers of <paramref name="path"/> left next to it.</summary>
    public static void RemoveLeftovers(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) return;
        foreach (var temp in Directory.EnumerateFiles(dir, $".{System.IO.Path.GetFileName(full)}.*.tmp"))
            try { File.Delete(temp); } catch (IOException) { }
    }
}
