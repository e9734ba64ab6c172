using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Checkpoints;

/// <summary>One tensor's entry in a safetensors header: dtype, shape and byte range in the data area.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    /// <exception cref="OverflowException">The product does not fit in 64 bits.</exception>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>
/// A <c>model.safetensors</c> file opened for reading: the header is parsed and checked when the file
/// is opened, tensors are read one at a time straight from the file into the tensor's own memory
/// (no copy of the whole file). Layout: u64 little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}</c>,
/// then the data; offsets are relative to the end of the header.
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;
    const int ChunkBytes = 64 << 20;

    readonly SafeFileHandle _handle;
    readonly long _dataStart;
    readonly Dictionary<string, SafetensorsEntry> _entries;

    /// <summary>The file this reader reads.</summary>
    public string Path { get; }
    /// <summary>The header's <c>__metadata__</c> (string to string), empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>All tensors in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }
    /// <summary>Tensor names in header order.</summary>
    public IEnumerable<string> Names => Entries.Select(e => e.Name);

    SafetensorsReader(string path, SafeFileHandle handle, long dataStart, IReadOnlyDictionary<string, string> metadata, List<SafetensorsEntry> entries)
    {
        Path = path; _handle = handle; _dataStart = dataStart; Metadata = metadata; Entries = entries;
        _entries = entries.ToDictionary(e => e.Name);
    }

    /// <summary>Opens <paramref name="path"/> and validates its header.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file and the problem.</exception>
    public static SafetensorsReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length < 8)
                throw Bad(path, $"truncated file: {length} bytes, too short for the 8-byte header length");
            Span<byte> lenBytes = stackalloc byte[8];
            RandomAccess.Read(handle, lenBytes, 0);
            ulong n = BitConverter.ToUInt64(lenBytes);
            if (!BitConverter.IsLittleEndian) n = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(n);
            if (n > (ulong)(length - 8))
                throw Bad(path, $"header length {n} points past the end of the file ({length} bytes; the file is truncated or not safetensors)");
            if (n > MaxHeaderBytes)
                throw Bad(path, $"header length {n} exceeds the limit of {MaxHeaderBytes} bytes");
            if (n < 2) throw Bad(path, $"header length {n} is too small for a JSON object");
            var headerBytes = new byte[n];
            RandomAccess.Read(handle, headerBytes, 8);
            long dataStart = 8 + (long)n;
            var (metadata, entries) = ParseHeader(path, headerBytes, length - dataStart);
            return new SafetensorsReader(path, handle, dataStart, metadata, entries);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>True when the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    public SafetensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"Safetensors file '{Path}' has no tensor '{name}'.");

    /// <summary>
    /// Reads one tensor: floating types (F64, F32, F16, BF16) come back as float32, integer types
    /// (I64, I32, I16, I8, U8) as int64, BOOL as bool.
    /// </summary>
    public Tensor Read(string name)
    {
        var e = Entry(name);
        var stored = SafetensorsDTypes.StoredType(e.DType)!.Value;
        var t = empty(e.Shape, dtype: stored);
        try
        {
            ReadInto(t, e);
            var target = SafetensorsDTypes.LoadedType(stored);
            if (target == stored) return t;
            var converted = t.to_type(target);
            t.Dispose();
            return converted;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor (see <see cref="Read"/>).</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var e in Entries) result[e.Name] = Read(e.Name);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    void ReadInto(Tensor t, SafetensorsEntry e)
    {
        long total = e.End - e.Begin;
        if (total == 0) return;
        using var flat = t.view(-1);
        long elementSize = total / Math.Max(1, e.ElementCount);
        long perChunk = Math.Max(1, ChunkBytes / elementSize);
        for (long first = 0; first < e.ElementCount; first += perChunk)
        {
            long count = Math.Min(perChunk, e.ElementCount - first);
            using var part = flat.narrow(0, first, count);
            var span = part.bytes;
            long offset = _dataStart + e.Begin + first * elementSize;
            int got = 0;
            while (got < span.Length)
            {
                int r = RandomAccess.Read(_handle, span[got..], offset + got);
                if (r == 0) throw Bad(Path, $"truncated file while reading tensor '{e.Name}'");
                got += r;
            }
        }
    }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static (IReadOnlyDictionary<string, string>, List<SafetensorsEntry>) ParseHeader(string path, byte[] header, long dataLength)
    {
        try
        {
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException ex)
        {
            throw Bad(path, $"header is not valid UTF-8 (byte {8 + ex.Index} of the file)", ex);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw Bad(path, $"malformed JSON header: {ex.Message}", ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(path, $"malformed JSON header: expected an object, found {doc.RootElement.ValueKind}");
            Dictionary<string, string>? metadata = null;
            var entries = new List<SafetensorsEntry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            int index = 0;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                string name = Text(path, () => p.Name, $"the name of entry {index}");
                index++;
                if (name == "__metadata__")
                {
                    if (metadata is not null) throw Bad(path, "malformed JSON header: __metadata__ appears twice");
                    metadata = ParseMetadata(path, p.Value);
                    continue;
                }
                if (!names.Add(name)) throw Bad(path, $"tensor '{name}' appears twice in the header");
                entries.Add(ParseEntry(path, name, p.Value));
            }
            CheckOffsets(path, entries, dataLength);
            return (metadata ?? new Dictionary<string, string>(), entries);
        }
    }

    static Dictionary<string, string> ParseMetadata(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, "malformed JSON header: __metadata__ must be an object of strings");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in value.EnumerateObject())
        {
            string key = Text(path, () => m.Name, "a __metadata__ key");
            if (m.Value.ValueKind != JsonValueKind.String)
                throw Bad(path, $"malformed JSON header: __metadata__ value '{key}' is not a string");
            if (!metadata.TryAdd(key, Text(path, () => m.Value.GetString()!, $"__metadata__ value '{key}'")))
                throw Bad(path, $"malformed JSON header: __metadata__ key '{key}' appears twice");
        }
        return metadata;
    }

    /// <summary>A JSON string as .NET text; a lone surrogate escape (<c>"\ud800"</c>) is a named error.</summary>
    static string Text(string path, Func<string> get, string what)
    {
        string s;
        try
        {
            s = get();
        }
        catch (InvalidOperationException ex)
        {
            throw Bad(path, $"malformed JSON header: {what} is not valid Unicode ({ex.Message})", ex);
        }
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i]))
                throw Bad(path, $"malformed JSON header: {what} holds a lone surrogate U+{(int)s[i]:X4} at character {i}");
        }
        return s;
    }

    static SafetensorsEntry ParseEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"malformed JSON header: tensor '{name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(path, $"malformed JSON header: tensor '{name}' has no string 'dtype'");
        string dtype = Text(path, () => dt.GetString()!, $"the dtype of tensor '{name}'");
        if (SafetensorsDTypes.Size(dtype) is null)
            throw Bad(path, SafetensorsDTypes.IsKnownUnsupported(dtype)
                ? $"tensor '{name}' has dtype {dtype}, which is not supported (supported: {SafetensorsDTypes.SupportedList})"
                : $"tensor '{name}' has unknown dtype '{dtype}' (supported: {SafetensorsDTypes.SupportedList})");
        if (!value.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"malformed JSON header: tensor '{name}' has no 'shape' array");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw Bad(path, $"malformed JSON header: tensor '{name}' has a shape entry that is not a non-negative integer ({d.GetRawText()})");
            shape.Add(v);
        }
        if (!value.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(path, $"malformed JSON header: tensor '{name}' has no 'data_offsets' [begin, end]");
        var o = off.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out long v) && v >= 0 ? v : -1).ToArray();
        if (o[0] < 0 || o[1] < 0)
            throw Bad(path, $"malformed JSON header: tensor '{name}' has data_offsets that are not non-negative integers ({off.GetRawText()})");
        if (o[1] < o[0])
            throw Bad(path, $"tensor '{name}' has data_offsets [{o[0]}, {o[1]}] with end before begin");
        var entry = new SafetensorsEntry(name, dtype, shape.ToArray(), o[0], o[1]);
        long expected;
        try
        {
            expected = checked(entry.ElementCount * SafetensorsDTypes.Size(dtype)!.Value);
        }
        catch (OverflowException)
        {
            throw Bad(path, $"tensor '{name}' has shape [{string.Join(", ", shape)}] whose element count or byte size overflows 64 bits");
        }
        if (expected != o[1] - o[0])
            throw Bad(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] x {dtype} needs {expected} bytes but data_offsets [{o[0]}, {o[1]}] span {o[1] - o[0]} bytes");
        return entry;
    }

    /// <summary>
    /// The format's rule: sorted by offset, the tensors tile the data area exactly, each starting
    /// where the previous one ends, the last ending at the end of the file (no overlap, no hole, no
    /// trailing bytes; a header length one byte off breaks the tiling).
    /// </summary>
    static void CheckOffsets(string path, List<SafetensorsEntry> entries, long dataLength)
    {
        foreach (var e in entries)
            if (e.End > dataLength)
                throw Bad(path, $"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}] outside the data area of {dataLength} bytes (truncated file or wrong offsets)");
        long end = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < end)
                throw Bad(path, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{e.Name}' [{e.Begin}, {e.End}] have overlapping data_offsets");
            if (e.Begin > end)
                throw Bad(path, $"tensor '{e.Name}' starts at data offset {e.Begin} but the previous tensor ends at {end}: the data area has a hole");
            end = e.End;
            previous = e;
        }
        if (end != dataLength)
            throw Bad(path, $"the tensors cover data bytes [0, {end}) but the data area after the header has {dataLength} bytes (wrong header length or trailing bytes)");
    }

    internal static InvalidDataException Bad(string path, string problem, Exception? inner = null) =>
        new($"Safetensors file '{path}': {problem}.", inner);

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();
}

/// <summary>The safetensors dtype names and their TorchSharp equivalents.</summary>
public static class SafetensorsDTypes
{
    static readonly Dictionary<string, (int Size, ScalarType Type)> Known = new()
    {
        ["F64"] = (8, ScalarType.Float64),
        ["F32"] = (4, ScalarType.Float32),
        ["F16"] = (2, ScalarType.Float16),
        ["BF16"] = (2, ScalarType.BFloat16),
        ["I64"] = (8, ScalarType.Int64),
        ["I32"] = (4, ScalarType.Int32),
        ["I16"] = (2, ScalarType.Int16),
        ["I8"] = (1, ScalarType.Int8),
        ["U8"] = (1, ScalarType.Byte),
        ["BOOL"] = (1, ScalarType.Bool),
    };

    static readonly HashSet<string> Unsupported = new() { "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64" };

    internal static string SupportedList => string.Join(", ", Known.Keys);

    /// <summary>Bytes per element, or null for a dtype this reader does not handle.</summary>
    public static int? Size(string dtype) => Known.TryGetValue(dtype, out var k) ? k.Size : null;

    /// <summary>The TorchSharp type the bytes are stored as, or null.</summary>
    public static ScalarType? StoredType(string dtype) => Known.TryGetValue(dtype, out var k) ? k.Type : null;

    /// <summary>The safetensors name of a TorchSharp type.</summary>
    public static string Name(ScalarType type) =>
        Known.FirstOrDefault(k => k.Value.Type == type).Key ?? throw new NotSupportedException($"No safetensors dtype for {type}.");

    internal static bool IsKnownUnsupported(string dtype) => Unsupported.Contains(dtype);

    /// <summary>What a stored type is loaded as: float32 for floats, int64 for integers, bool for bool.</summary>
    internal static ScalarType LoadedType(ScalarType stored) => stored switch
    {
        torch.ScalarType.Float64 or torch.ScalarType.Float32 or torch.ScalarType.Float16 or torch.ScalarType.BFloat16 => torch.ScalarType.Float32,
        torch.ScalarType.Bool => torch.ScalarType.Bool,
        _ => torch.ScalarType.Int64,
    };
}

/// <summary>Reads and writes whole <c>model.safetensors</c> files.</summary>
public static class Safetensors
{
    /// <summary>Loads every tensor of <paramref name="path"/> (floats as float32, integers as int64).</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the problem.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.ReadAll();
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (temp file, then rename).
    /// Floating tensors are stored as F32, integer tensors as I64, bool as BOOL; names are sorted.
    /// The header is padded with spaces to a multiple of 8 bytes and holds <c>__metadata__</c>
    /// (<c>{"format": "pt"}</c> unless other metadata is given).
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = new List<(string Name, Tensor T, string DType, long Bytes)>();
        var seen = new HashSet<string>();
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (name == "__metadata__") throw new ArgumentException("A tensor may not be named '__metadata__'.", nameof(tensors));
            if (!seen.Add(name)) throw new ArgumentException($"Tensor '{name}' appears twice.", nameof(tensors));
            var type = t.is_floating_point() ? ScalarType.Float32 : t.dtype == ScalarType.Bool ? ScalarType.Bool : ScalarType.Int64;
            items.Add((name, t, SafetensorsDTypes.Name(type), t.numel() * SafetensorsDTypes.Size(SafetensorsDTypes.Name(type))!.Value));
        }

        var header = new Dictionary<string, object>
        {
            ["__metadata__"] = metadata ?? new Dictionary<string, string> { ["format"] = "pt" },
        };
        long offset = 0;
        foreach (var (name, t, dtype, bytes) in items)
        {
            header[name] = new { dtype, shape = t.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < padded; i++) headerBytes[i] = (byte)' ';

        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)padded));
            stream.Write(headerBytes);
            foreach (var (name, t, dtype, _) in items)
            {
                using var scope = NewDisposeScope();
                var target = SafetensorsDTypes.StoredType(dtype)!.Value;
                var c = t.detach().to(CPU).to_type(target).contiguous().view(-1);
                long perChunk = Math.Max(1, (64L << 20) / SafetensorsDTypes.Size(dtype)!.Value);
                for (long first = 0; first < c.numel(); first += perChunk)
                {
                    using var part = c.narrow(0, first, Math.Min(perChunk, c.numel() - first));
                    stream.Write(part.bytes);
                }
            }
        });
    }
}
