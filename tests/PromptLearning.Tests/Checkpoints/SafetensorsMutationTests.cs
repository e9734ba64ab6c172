using System.Text;
using PromptLearning.Checkpoints;
using PromptLearning.Native;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>
/// Property test over seeded mutations of the fixtures' <c>model.safetensors</c>: every mutated file
/// either loads, and then every tensor holds exactly the values its bytes in the file encode (decoded
/// here independently of the reader), or fails with an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class SafetensorsMutationTests(ITestOutputHelper output) : IDisposable
{
    const int CasesPerFixture = 500;
    readonly string _dir = Directory.CreateTempSubdirectory("st-mutation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [FixtureFact]
    public void MutatedFilesLoadExactlyOrFailWithTheNamedError()
    {
        TorchSharpNative.EnsureLoaded();
        int loaded = 0, named = 0;
        var other = new List<string>();
        foreach (var (model, seed) in new[] { ("bert", 101), ("roberta", 202), ("gpt2", 303) })
        {
            var original = File.ReadAllBytes(Path.Combine(HfFixtures.Model(model), "model.safetensors"));
            var rng = new Random(seed);
            for (int i = 0; i < CasesPerFixture; i++)
            {
                var bytes = Mutate(original, rng);
                var path = Path.Combine(_dir, $"{model}-{i}.safetensors");
                File.WriteAllBytes(path, bytes);
                try
                {
                    using var scope = NewDisposeScope();
                    using var reader = SafetensorsReader.Open(path);
                    var tensors = reader.ReadAll();
                    foreach (var e in reader.Entries) AssertReadsTheFileBytes(bytes, e, tensors[e.Name], path);
                    loaded++;
                }
                catch (InvalidDataException e) when (e.Message.Contains(path))
                {
                    named++;
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    other.Add($"{model} case {i}: {e.GetType().Name}: {e.Message}");
                }
                File.Delete(path);
            }
        }
        output.WriteLine($"safetensors mutations: {3 * CasesPerFixture} cases, {loaded} loaded exactly, {named} named InvalidDataException, {other.Count} other");
        Assert.True(other.Count == 0, string.Join("\n", other.Take(20)));
        Assert.True(loaded > 0 && named > 0, $"loaded {loaded}, named {named}: the mutations should produce both");
    }

    /// <summary>A mutation of the header's JSON, of its bytes, of the length field, or of any byte.</summary>
    static byte[] Mutate(byte[] original, Random rng)
    {
        int n = (int)BitConverter.ToUInt64(original);
        switch (rng.Next(4))
        {
            case 0:
            {
                var json = Mutation.Json(Encoding.UTF8.GetString(original, 8, n).TrimEnd(' '), rng);
                var header = Encoding.UTF8.GetBytes(json);
                if (rng.Next(2) == 0) header = header.Concat(Enumerable.Repeat((byte)' ', (8 - header.Length % 8) % 8)).ToArray();
                return BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(original.Skip(8 + n)).ToArray();
            }
            case 1: return Mutation.Bytes(original, rng, limit: 8 + n);
            case 2:
            {
                var b = (byte[])original.Clone();
                BitConverter.GetBytes((ulong)(n + rng.Next(-9, 10))).CopyTo(b, 0);
                return b;
            }
            default: return Mutation.Bytes(original, rng);
        }
    }

    /// <summary>The tensor's values are those the entry's byte range of the file encodes.</summary>
    static void AssertReadsTheFileBytes(byte[] file, SafetensorsEntry e, Tensor t, string path)
    {
        long dataStart = 8 + (long)BitConverter.ToUInt64(file);
        var raw = file.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin));
        Assert.Equal(e.Shape, t.shape);
        int size = SafetensorsDTypes.Size(e.DType)!.Value;
        int count = (int)e.ElementCount;
        switch (e.DType)
        {
            case "F32" or "F64" or "F16" or "BF16":
            {
                var expected = new float[count];
                for (int i = 0; i < count; i++)
                {
                    var b = raw.Slice(i * size, size);
                    expected[i] = e.DType switch
                    {
                        "F32" => BitConverter.ToSingle(b),
                        "F64" => (float)BitConverter.ToDouble(b),
                        "F16" => (float)BitConverter.ToHalf(b),
                        _ => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(b) << 16),
                    };
                }
                var actual = t.data<float>().ToArray();
                for (int i = 0; i < count; i++)
                    if (!expected[i].Equals(actual[i]))
                        Assert.Fail($"{path}: tensor '{e.Name}'[{i}] read {actual[i]}, the file holds {expected[i]}");
                break;
            }
            case "BOOL": Assert.Equal(raw.ToArray().Select(x => x != 0), t.data<bool>().ToArray()); break;
            default:
            {
                var expected = new long[count];
                for (int i = 0; i < count; i++)
                {
                    var b = raw.Slice(i * size, size);
                    expected[i] = e.DType switch
                    {
                        "I64" => BitConverter.ToInt64(b),
                        "I32" => BitConverter.ToInt32(b),
                        "I16" => BitConverter.ToInt16(b),
                        "I8" => (sbyte)b[0],
                        _ => b[0],
                    };
                }
                Assert.Equal(expected, t.data<long>().ToArray());
                break;
            }
        }
    }
}
