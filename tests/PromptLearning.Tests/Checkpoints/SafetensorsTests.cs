using System.Text;
using PromptLearning.Checkpoints;
using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

public sealed class SafetensorsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("st-tests-").FullName;

    public SafetensorsTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string WriteFile(string name, string header, byte[] data, bool pad = true, long? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        if (pad && h.Length % 8 != 0) h = h.Concat(Enumerable.Repeat((byte)' ', 8 - h.Length % 8)).ToArray();
        var path = Path.Combine(_dir, name);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)(declaredLength ?? h.Length)));
        fs.Write(h);
        fs.Write(data);
        return path;
    }

    static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    static InvalidDataException Fails(string path)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Contains(path, ex.Message);
        return ex;
    }

    [Fact]
    public void RoundTripKeepsNamesShapesValuesAndMetadata()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = randn(3, 5),
            ["a.bias"] = randn(7),
            ["scalar"] = tensor(2.5f),
            ["ids"] = tensor(new long[] { 1, 2, 3 }),
            ["empty"] = zeros(0, 4),
        };
        var path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "x" });

        var bytes = File.ReadAllBytes(path);
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => f.EndsWith(".tmp"));

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("x", reader.Metadata["note"]);
        Assert.Equal(new[] { "a.bias", "b.weight", "empty", "ids", "scalar" }, reader.Names.ToArray());
        var back = reader.ReadAll();
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.shape, back[name].shape);
            Assert.True((t.to_type(back[name].dtype) == back[name]).all().item<bool>(), name);
        }
        Assert.Equal(ScalarType.Int64, back["ids"].dtype);
        Assert.Equal("I64", reader.Entry("ids").DType);
    }

    [Fact]
    public void HalfPrecisionIsReadAsFloat32()
    {
        using var scope = NewDisposeScope();
        var values = new float[] { 1.5f, -2.25f, 0.125f, 3f };
        var f16 = tensor(values).to_type(ScalarType.Float16);
        var bf16 = tensor(values).to_type(ScalarType.BFloat16);
        var data = f16.bytes.ToArray().Concat(bf16.bytes.ToArray()).ToArray();
        var path = WriteFile("half.safetensors",
            """{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]}}""", data);
        var t = Safetensors.Load(path);
        Assert.Equal(ScalarType.Float32, t["h"].dtype);
        Assert.Equal(values, t["h"].data<float>().ToArray());
        Assert.Equal(new long[] { 2, 2 }, t["h"].shape);
        Assert.Equal(values, t["b"].data<float>().ToArray());
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        var path = Path.Combine(_dir, "short.safetensors");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Contains("truncated", Fails(path).Message);
    }

    [Fact]
    public void HeaderLengthPastEndIsRejected()
    {
        var path = WriteFile("len.safetensors", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1f), declaredLength: 1000);
        Assert.Contains("past the end", Fails(path).Message);
    }

    [Fact]
    public void MalformedJsonIsRejected()
    {
        var path = WriteFile("json.safetensors", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]""", Floats(1f));
        Assert.Contains("malformed JSON", Fails(path).Message);
    }

    [Fact]
    public void MissingFieldIsRejectedAsMalformed()
    {
        var path = WriteFile("nofield.safetensors", """{"a":{"dtype":"F32","shape":[1]}}""", Floats(1f));
        var ex = Fails(path);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("data_offsets", ex.Message);
    }

    [Fact]
    public void OffsetsOutsideDataAreaAreRejected()
    {
        var path = WriteFile("out.safetensors", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", Floats(1f, 2f));
        var ex = Fails(path);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("outside the data area", ex.Message);
    }

    [Fact]
    public void DataCutShortIsRejected()
    {
        var path = WriteFile("cut.safetensors", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", Floats(1f, 2f));
        Assert.Contains("outside the data area", Fails(path).Message);
    }

    [Fact]
    public void OverlappingOffsetsAreRejected()
    {
        var path = WriteFile("overlap.safetensors",
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", Floats(1f, 2f, 3f));
        var ex = Fails(path);
        Assert.Contains("overlapping", ex.Message);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("'b'", ex.Message);
    }

    [Fact]
    public void UnknownDtypeIsRejected()
    {
        var path = WriteFile("dtype.safetensors", """{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}""", Floats(1f));
        var ex = Fails(path);
        Assert.Contains("unknown dtype 'Q7'", ex.Message);
        Assert.Contains("'a'", ex.Message);
    }

    [Fact]
    public void ShapeByteCountMismatchIsRejected()
    {
        var path = WriteFile("shape.safetensors", """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}""", Floats(1f, 2f, 3f, 4f));
        var ex = Fails(path);
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("24 bytes", ex.Message);
        Assert.Contains("16 bytes", ex.Message);
    }

    [Fact]
    public void InvalidUtf8InANameIsRejected()
    {
        var header = Encoding.UTF8.GetBytes("""{"aX":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  """);
        header[3] = 0xFF;
        var path = Path.Combine(_dir, "utf8.safetensors");
        File.WriteAllBytes(path, BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(Floats(1f)).ToArray());
        Assert.Contains("not valid UTF-8", Fails(path).Message);
    }

    [Fact]
    public void LoneSurrogateInANameIsRejected()
    {
        var path = WriteFile("surrogate.safetensors", """{"a\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1f));
        Assert.Contains("surrogate", Fails(path).Message);
    }

    [Fact]
    public void DuplicateNameIsRejectedEvenWithoutOverlap()
    {
        var path = WriteFile("dup.safetensors",
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Floats(1f, 2f));
        Assert.Contains("tensor 'a' appears twice", Fails(path).Message);
    }

    [Fact]
    public void DuplicateMetadataIsRejected()
    {
        var path = WriteFile("dupmeta.safetensors",
            """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{}}""", Floats(1f));
        Assert.Contains("__metadata__ appears twice", Fails(path).Message);
    }

    [Fact]
    public void ElementCountOverflowIsRejected()
    {
        var path = WriteFile("overflow.safetensors", """{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}""", []);
        var ex = Fails(path);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("overflows", ex.Message);
    }

    [Fact]
    public void HeaderLengthOneByteShortIsRejectedNotShifted()
    {
        var path = WriteFile("shifted.safetensors", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1.5f));
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(BitConverter.ToUInt64(bytes) - 1).CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("data area", Fails(path).Message);
    }

    [Fact]
    public void HoleOrTrailingBytesInTheDataAreaAreRejected()
    {
        var hole = WriteFile("hole.safetensors",
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", Floats(1f, 2f, 3f));
        var ex = Fails(hole);
        Assert.Contains("hole", ex.Message);
        Assert.Contains("'b'", ex.Message);
        var trailing = WriteFile("trailing.safetensors", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1f, 2f));
        Assert.Contains("trailing", Fails(trailing).Message);
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void FixtureCheckpointsRead(string model)
    {
        using var scope = NewDisposeScope();
        var t = Safetensors.Load(Path.Combine(HfFixtures.Model(model), "model.safetensors"));
        // The names transformers saved, as expected.json lists them.
        var keys = HfFixtures.Json(model, "expected.json").GetProperty("safetensors_keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), t.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.All(t.Values, v => Assert.Equal(ScalarType.Float32, v.dtype));
        Assert.All(t.Values, v => Assert.True(v.isfinite().all().item<bool>()));
    }
}
