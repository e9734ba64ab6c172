using System.Buffers.Binary;
using System.Text;

namespace PromptLearning.Native;

/// <summary>
/// Reads and edits the GNU symbol-versioning tables of a 64-bit little-endian ELF shared library:
/// <c>.gnu.version_d</c> (versions a library defines) and <c>.gnu.version_r</c> (versions it needs).
/// </summary>
public static class ElfVersions
{
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    /// <summary>ELF <c>VER_FLG_WEAK</c>: a missing weak version is a note, not an error, for the loader.</summary>
    public const ushort VerFlagWeak = 0x2;

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);

    /// <summary>Version names defined by the library (e.g. GLIBCXX_3.4.30).</summary>
    public static HashSet<string> ReadDefinedVersions(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var sections = ReadSections(bytes, path);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strtab = sections[(int)s.Link];
            long vd = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                ushort cnt = U16(bytes, vd + 6);
                uint aux = U32(bytes, vd + 12), next = U32(bytes, vd + 16);
                long a = vd + aux;
                for (int j = 0; j < cnt; j++)
                {
                    result.Add(CString(bytes, strtab.Offset + U32(bytes, a)));
                    uint anext = U32(bytes, a + 4);
                    if (anext == 0) break;
                    a += anext;
                }
                if (next == 0) break;
                vd += next;
            }
        }
        return result;
    }

    /// <summary>Version names the library needs from the given dependency (by its soname).</summary>
    public static List<string> ReadNeededVersions(string path, string fromLibrary)
    {
        var bytes = File.ReadAllBytes(path);
        var list = new List<string>();
        VisitNeeds(bytes, path, (file, name, _) => { if (file == fromLibrary) list.Add(name); });
        return list;
    }

    /// <summary>True when the named version need is present and marked weak.</summary>
    public static bool IsWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        bool weak = false;
        VisitNeeds(bytes, path, (_, name, flagsAt) => { if (name == version && (U16(bytes, flagsAt) & VerFlagWeak) != 0) weak = true; });
        return weak;
    }

    /// <summary>Sets <c>vna_flags |= VER_FLG_WEAK</c> on every need of <paramref name="version"/>; returns whether one was found.</summary>
    public static bool MarkNeedWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        var at = new List<long>();
        VisitNeeds(bytes, path, (_, name, flagsAt) => { if (name == version) at.Add(flagsAt); });
        if (at.Count == 0) return false;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> buf = stackalloc byte[2];
        foreach (var offset in at)
        {
            ushort flags = (ushort)(U16(bytes, offset) | VerFlagWeak);
            fs.Position = offset;
            BinaryPrimitives.WriteUInt16LittleEndian(buf, flags);
            fs.Write(buf);
        }
        return true;
    }

    private static void VisitNeeds(byte[] bytes, string path, Action<string, string, long> visit)
    {
        var sections = ReadSections(bytes, path);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strtab = sections[(int)s.Link];
            long vn = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                ushort cnt = U16(bytes, vn + 2);
                string file = CString(bytes, strtab.Offset + U32(bytes, vn + 4));
                uint aux = U32(bytes, vn + 8), next = U32(bytes, vn + 12);
                long a = vn + aux;
                for (int j = 0; j < cnt; j++)
                {
                    // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    visit(file, CString(bytes, strtab.Offset + U32(bytes, a + 8)), a + 4);
                    uint anext = U32(bytes, a + 12);
                    if (anext == 0) break;
                    a += anext;
                }
                if (next == 0) break;
                vn += next;
            }
        }
    }

    private static List<Section> ReadSections(byte[] b, string path)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file.");
        if (b[4] != 2 || b[5] != 1)
            throw new InvalidDataException($"{path}: only 64-bit little-endian ELF is supported.");
        long shoff = (long)U64(b, 0x28);
        ushort shentsize = U16(b, 0x3A), shnum = U16(b, 0x3C);
        if (shoff <= 0 || shoff + (long)shentsize * shnum > b.Length)
            throw new InvalidDataException($"{path}: section header table lies outside the file.");
        var list = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            list.Add(new Section(U32(b, h + 4), (long)U64(b, h + 0x18), (long)U64(b, h + 0x20), U32(b, h + 0x28), U32(b, h + 0x2C)));
        }
        return list;
    }

    private static ushort U16(byte[] b, long o) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)o, 2));
    private static uint U32(byte[] b, long o) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)o, 4));
    private static ulong U64(byte[] b, long o) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)o, 8));

    private static string CString(byte[] b, long o)
    {
        int end = Array.IndexOf(b, (byte)0, (int)o);
        return Encoding.ASCII.GetString(b, (int)o, end - (int)o);
    }
}
