using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace PromptLearning.Checkpoints;

/// <summary>
/// Reads the state dict of a <c>pytorch_model.bin</c> written by <c>torch.save</c> (the zip format of
/// PyTorch 1.6 and later: <c>&lt;root&gt;/data.pkl</c> plus one file per storage under
/// <c>&lt;root&gt;/data/</c>) with a restricted unpickler: only the opcodes a state dict uses, and only
/// these globals: <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>torch._utils._rebuild_parameter</c> and the typed storages (<c>torch.FloatStorage</c>, ...).
/// Nothing in the file is executed or instantiated; any other global or opcode is an
/// <see cref="InvalidDataException"/> naming the file, the global or opcode, and its byte offset.
/// Tensors that share a storage (tied weights) come back as separate tensors with the same values.
/// TorchSharp.PyBridge was evaluated for this and not used: its unpickler (Razorvine.Pickle) accepts
/// any global (unknown classes become dictionaries) and registers its constructors process-wide.
/// </summary>
public static class PyTorchCheckpoint
{
    /// <summary>The file name <c>save_pretrained(safe_serialization=False)</c> writes.</summary>
    public const string SingleFile = "pytorch_model.bin";

    /// <summary>The index of a sharded <c>pytorch_model.bin</c>.</summary>
    public const string IndexFile = "pytorch_model.bin.index.json";

    private sealed record StorageRef(string Key, ScalarType DType, long Elements);

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    private static readonly Dictionary<string, (ScalarType Type, int Bytes)> Storages = new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["DoubleStorage"] = (ScalarType.Float64, 8), ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2), ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1), ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>Reads every tensor of the file (name -> tensor; floating types as float32, as the models use).</summary>
    /// <exception cref="InvalidDataException">Not a torch.save zip, an unsupported opcode or global, or storage data that does not fit (all naming the file).</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a PyTorch zip checkpoint (torch.save of PyTorch 1.6 or later): {e.Message}", e); }
        using (zip)
        {
            var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"{path}: no <root>/data.pkl entry: not a torch.save checkpoint");
            var root = pickle.FullName[..pickle.FullName.IndexOf('/')];
            byte[] bytes;
            using (var s = pickle.Open()) { using var m = new MemoryStream(); s.CopyTo(m); bytes = m.ToArray(); }
            var top = new Unpickler(bytes, path).Load();
            if (top is not Dictionary<object, object?> dict) throw new InvalidDataException($"{path}: the pickle holds a {Describe(top)}, not a state dict");
            var result = new Dictionary<string, Tensor>();
            try
            {
                foreach (var (key, value) in dict)
                {
                    if (key is not string name) throw new InvalidDataException($"{path}: a state-dict key is a {Describe(key)}, not a string");
                    if (value is not TensorRef t) throw new InvalidDataException($"{path}: '{name}' is a {Describe(value)}, not a tensor");
                    result[name] = Materialise(zip, root, t, path, name);
                }
            }
            catch
            {
                foreach (var t in result.Values) t.Dispose();
                throw;
            }
            return result;
        }
    }

    private static Tensor Materialise(ZipArchive zip, string root, TensorRef t, string path, string name)
    {
        var entry = zip.GetEntry($"{root}/data/{t.Storage.Key}")
            ?? throw new InvalidDataException($"{path}: tensor '{name}': storage {root}/data/{t.Storage.Key} is missing");
        int size = Storages.Values.First(s => s.Type == t.Storage.DType).Bytes;
        if (entry.Length != t.Storage.Elements * size)
            throw new InvalidDataException($"{path}: tensor '{name}': storage {t.Storage.Key} has {entry.Length} bytes, expected {t.Storage.Elements} x {size}");
        long needed = t.Offset + 1 + t.Size.Zip(t.Stride, (n, s) => n == 0 ? 0 : (n - 1) * s).Sum();
        if (t.Size.Any(n => n == 0)) needed = 0;
        if (t.Offset < 0 || t.Size.Any(n => n < 0) || t.Stride.Any(s => s < 0) || needed > t.Storage.Elements)
            throw new InvalidDataException($"{path}: tensor '{name}': shape [{string.Join(", ", t.Size)}] with strides [{string.Join(", ", t.Stride)}] at offset {t.Offset} reads past its storage of {t.Storage.Elements} elements");
        var data = new byte[entry.Length];
        using (var s = entry.Open()) s.ReadExactly(data);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        using var storage = FromBytes(data, t.Storage.DType);
        using var strided = storage.as_strided(t.Size, t.Stride, t.Offset);
        return strided.contiguous().clone();
    }

    /// <summary>A 1-D tensor of the storage's values (little-endian bytes); half and bfloat16 become float32, as every floating type does.</summary>
    private static Tensor FromBytes(byte[] b, ScalarType type) => type switch
    {
        ScalarType.Float32 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b).ToArray()),
        ScalarType.Float64 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(b).ToArray()).to_type(ScalarType.Float32),
        ScalarType.Float16 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(b).ToArray().Select(h => (float)h).ToArray()),
        ScalarType.BFloat16 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(b).ToArray().Select(u => BitConverter.Int32BitsToSingle(u << 16)).ToArray()),
        ScalarType.Int64 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(b).ToArray()),
        ScalarType.Int32 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(b).ToArray()),
        ScalarType.Int16 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(b).ToArray()),
        ScalarType.Int8 => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(b).ToArray()),
        ScalarType.Bool => tensor(b.Select(x => x != 0).ToArray()),
        _ => tensor(b),
    };

    private static string Describe(object? o) => o switch
    {
        null => "None",
        TensorRef => "tensor",
        Dictionary<object, object?> => "dict",
        List<object?> => "list",
        object[] => "tuple",
        _ => o.GetType().Name,
    };

    /// <summary>The subset of Python's pickle machine a state dict needs (protocols 2-4).</summary>
    private sealed class Unpickler(byte[] data, string path)
    {
        private static readonly object Mark = new();
        private readonly List<object?> _stack = new();
        private readonly Dictionary<long, object?> _memo = new();
        private int _pos;

        private InvalidDataException Error(string what, int at) => new($"{path}: data.pkl byte {at}: {what}");

        public object? Load()
        {
            while (true)
            {
                int at = _pos;
                if (_pos >= data.Length) throw Error("the pickle ends without STOP", at);
                byte op = Byte(at);
                switch (op)
                {
                    case 0x80: Take(1, at); break;                                            // PROTO n
                    case 0x95: Take(8, at); break;                                         // FRAME len
                    case (byte)'.': return Pop(at);                                      // STOP
                    case (byte)'}': Push(new Dictionary<object, object?>()); break;      // EMPTY_DICT
                    case (byte)']': Push(new List<object?>()); break;                    // EMPTY_LIST
                    case (byte)')': Push(Array.Empty<object?>()); break;                 // EMPTY_TUPLE
                    case (byte)'(': Push(Mark); break;                                   // MARK
                    case (byte)'N': Push(null); break;                                   // NONE
                    case 0x88: Push(true); break;                                        // NEWTRUE
                    case 0x89: Push(false); break;                                       // NEWFALSE
                    case (byte)'K': Push((long)Byte(at)); break;                     // BININT1
                    case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2, at))); break; // BININT2
                    case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4, at))); break;  // BININT
                    case 0x8a: Push(Long(Byte(at), at)); break;                      // LONG1
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8, at))); break;          // BINFLOAT
                    case (byte)'X': Push(Utf8((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4, at)), at)); break; // BINUNICODE
                    case 0x8c: Push(Utf8(Byte(at), at)); break;                      // SHORT_BINUNICODE
                    case (byte)'q': _memo[Byte(at)] = Peek(at); break;               // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4, at))] = Peek(at); break; // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Peek(at); break;                     // MEMOIZE
                    case (byte)'h': Push(Memo(Byte(at), at)); break;                 // BINGET
                    case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, at)), at)); break; // LONG_BINGET
                    case (byte)'t': Push(PopToMark(at).ToArray()); break;                // TUPLE
                    case 0x85: { var a = Pop(at); Push(new[] { a }); break; }            // TUPLE1
                    case 0x86: { var b = Pop(at); var a = Pop(at); Push(new[] { a, b }); break; } // TUPLE2
                    case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); Push(new[] { a, b, c }); break; } // TUPLE3
                    case (byte)'a': { var v = Pop(at); AsList(Peek(at), at).Add(v); break; }                 // APPEND
                    case (byte)'e': { var items = PopToMark(at); AsList(Peek(at), at).AddRange(items); break; } // APPENDS
                    case (byte)'s': { var v = Pop(at); var k = Pop(at); SetItem(Peek(at), k, v, at); break; } // SETITEM
                    case (byte)'u':                                                      // SETITEMS
                    {
                        var items = PopToMark(at);
                        if (items.Count % 2 != 0) throw Error("SETITEMS with an odd number of items", at);
                        var d = Peek(at);
                        for (int i = 0; i < items.Count; i += 2) SetItem(d, items[i], items[i + 1], at);
                        break;
                    }
                    case (byte)'c': Push(Find(Line(at), Line(at), at)); break;           // GLOBAL module\nname\n
                    case 0x93: { var name = Pop(at) as string; var module = Pop(at) as string; Push(Find(module, name, at)); break; } // STACK_GLOBAL
                    case (byte)'Q': Push(PersistentLoad(Pop(at), at)); break;            // BINPERSID
                    case (byte)'R': { var args = Pop(at); var f = Pop(at); Push(Reduce(f, args, at)); break; } // REDUCE
                    case (byte)'b':                                                      // BUILD: only the OrderedDict's own state (its _metadata) is accepted, and dropped
                    {
                        var state = Pop(at);
                        if (Peek(at) is not Dictionary<object, object?> || state is not (Dictionary<object, object?> or null))
                            throw Error($"BUILD on a {Describe(Peek(at))} with a {Describe(state)}: not part of a state dict", at);
                        break;
                    }
                    default: throw Error($"opcode 0x{op:x2} is not one a state dict uses; refused (the reader executes nothing)", at);
                }
            }
        }

        private byte Byte(int at) => _pos < data.Length ? data[_pos++] : throw Error("truncated", at);

        private byte[] Take(int n, int at)
        {
            if (n < 0 || _pos + n > data.Length) throw Error("truncated", at);
            var b = data.AsSpan(_pos, n).ToArray();
            _pos += n;
            return b;
        }

        private long Long(int n, int at)
        {
            if (n > 8) throw Error($"an integer of {n} bytes", at);
            var b = Take(n, at);
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
            if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
            return v;
        }

        private string Utf8(int n, int at)
        {
            try { return new UTF8Encoding(false, true).GetString(Take(n, at)); }
            catch (DecoderFallbackException) { throw Error("a string that is not valid UTF-8", at); }
        }

        private string Line(int at)
        {
            int end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0) throw Error("GLOBAL without a newline", at);
            var s = Encoding.ASCII.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return s;
        }

        private void Push(object? o) => _stack.Add(o);

        private object? Peek(int at) => _stack.Count > 0 ? _stack[^1] : throw Error("stack underflow", at);

        private object? Pop(int at)
        {
            var o = Peek(at);
            _stack.RemoveAt(_stack.Count - 1);
            if (ReferenceEquals(o, Mark)) throw Error("unexpected MARK", at);
            return o;
        }

        private List<object?> PopToMark(int at)
        {
            int m = _stack.FindLastIndex(o => ReferenceEquals(o, Mark));
            if (m < 0) throw Error("no MARK", at);
            var items = _stack.GetRange(m + 1, _stack.Count - m - 1);
            _stack.RemoveRange(m, _stack.Count - m);
            return items;
        }

        private object? Memo(long key, int at) => _memo.TryGetValue(key, out var v) ? v : throw Error($"memo key {key} was never stored", at);

        private List<object?> AsList(object? o, int at) => o as List<object?> ?? throw Error($"APPEND to a {Describe(o)}", at);

        private void SetItem(object? target, object? key, object? value, int at)
        {
            if (target is not Dictionary<object, object?> d) throw Error($"SETITEM on a {Describe(target)}", at);
            d[key ?? throw Error("a None dictionary key", at)] = value;
        }

        private object Find(string? module, string? name, int at)
        {
            if (module == "collections" && name == "OrderedDict") return new Global(module, name);
            if (module == "torch._utils" && name is "_rebuild_tensor_v2" or "_rebuild_parameter") return new Global(module, name);
            if (module == "torch" && name is not null && Storages.ContainsKey(name)) return new Global(module, name);
            throw Error($"global {module}.{name} is not allowed in a state dict; refused (nothing in the file is executed or instantiated)", at);
        }

        private StorageRef PersistentLoad(object? pid, int at)
        {
            // ('storage', torch.FloatStorage, key, location, numel)
            if (pid is object?[] { Length: 5 } t && t[0] is "storage" && t[1] is Global { Module: "torch" } g && t[2] is string key && t[4] is long n)
            {
                if (key.Contains('/') || key.Contains('\\') || key.Contains("..", StringComparison.Ordinal)) throw Error($"storage key '{key}' is not a plain name", at);
                return new StorageRef(key, Storages[g.Name].Type, n);
            }
            throw Error($"a persistent id that is not a typed storage ({Describe(pid)})", at);
        }

        private object? Reduce(object? f, object? args, int at)
        {
            if (f is not Global g || args is not object?[] a) throw Error($"REDUCE of a {Describe(f)}", at);
            switch (g.Name)
            {
                case "OrderedDict" when a.Length == 0:
                    return new Dictionary<object, object?>();
                case "_rebuild_tensor_v2" when a.Length is 6 or 7 && a[0] is StorageRef s && a[1] is long offset && a[2] is object?[] size && a[3] is object?[] stride:
                    return new TensorRef(s, offset, size.Select(x => x as long? ?? throw Error("a tensor size that is not an integer", at)).ToArray(),
                        stride.Select(x => x as long? ?? throw Error("a tensor stride that is not an integer", at)).ToArray());
                case "_rebuild_parameter" when a.Length == 3 && a[0] is TensorRef t:
                    return t;
                default:
                    throw Error($"{g}({a.Length} arguments) is not a call a state dict makes", at);
            }
        }
    }
}
