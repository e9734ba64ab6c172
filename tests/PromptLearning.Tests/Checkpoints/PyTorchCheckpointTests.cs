using System.IO.Compression;
using PromptLearning.Checkpoints;
using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>pytorch_model.bin (torch.save zip + pickle) read by the restricted reader, checked against the same fixture's safetensors.</summary>
public sealed class PyTorchCheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pytorch-bin-tests-").FullName;

    public PyTorchCheckpointTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void PickleHoldsTheSafetensorsValuesPlusTiedKeys(string model)
    {
        using var scope = NewDisposeScope();
        var folder = HfFixtures.Model(model);
        var pickled = PyTorchCheckpoint.Read(Path.Combine(folder, PyTorchCheckpoint.SingleFile));
        var safe = Safetensors.Load(Path.Combine(folder, "model.safetensors"));
        foreach (var (name, t) in safe)
        {
            Assert.True(pickled.ContainsKey(name), $"{model}: '{name}' is not in pytorch_model.bin");
            Assert.Equal(t.shape, pickled[name].shape);
            Assert.True(t.allclose(pickled[name], 0, 0), $"{model}: '{name}' differs");
        }
        // The pickle also holds what save_pretrained leaves out of safetensors (tied keys) and maybe buffers.
        Assert.True(pickled.Count >= safe.Count);
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("gpt2")]
    public void AFolderWithOnlyTheBinLoadsLikeTheSafetensorsFolder(string model)
    {
        using var scope = NewDisposeScope();
        var folder = Path.Combine(_dir, model);
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(HfFixtures.Model(model)).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        using var fromBin = Pretrained.Load(folder);
        using var fromSafe = Pretrained.Load(HfFixtures.Model(model));
        var a = fromBin.Model.Module.state_dict();
        foreach (var (name, t) in fromSafe.Model.Module.state_dict())
            Assert.True(t.allclose(a[name], 0, 0), $"{model}: '{name}' differs between the two loads");
    }

    /// <summary>A copy of the BERT fixture's pytorch_model.bin whose data.pkl is replaced.</summary>
    string WithPickle(byte[] pickle)
    {
        var path = Path.Combine(_dir, $"bad-{Guid.NewGuid():N}.bin");
        File.Copy(Path.Combine(HfFixtures.Model("bert"), PyTorchCheckpoint.SingleFile), path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.First(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        var name = entry.FullName;
        entry.Delete();
        using var s = zip.CreateEntry(name).Open();
        s.Write(pickle);
        return path;
    }

    [FixtureFact]
    public void ForeignGlobalsAndOpcodesAreRefusedNamingThem()
    {
        // protocol 2: GLOBAL os.system, then REDUCE -- never executed, refused at the GLOBAL.
        var evil = WithPickle([0x80, 0x02, .. "cos\nsystem\n"u8.ToArray(), (byte)'X', 2, 0, 0, 0, (byte)'l', (byte)'s', 0x85, (byte)'R', (byte)'.']);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(evil));
        Assert.Contains(Path.GetFileName(evil), e.Message);
        Assert.Contains("os.system", e.Message);
        Assert.Contains("byte 2", e.Message);

        var opcode = WithPickle([0x80, 0x02, (byte)'i', (byte)'.']); // INST is not a state-dict opcode
        var e2 = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(opcode));
        Assert.Contains("opcode 0x69", e2.Message);

        var notZip = Path.Combine(_dir, "plain.bin");
        File.WriteAllBytes(notZip, [1, 2, 3, 4]);
        Assert.Contains("not a PyTorch zip checkpoint", Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(notZip)).Message);
    }

    [FixtureFact]
    public void TruncatedPickleIsANamedError()
    {
        var bytes = ReadPickle(Path.Combine(HfFixtures.Model("bert"), PyTorchCheckpoint.SingleFile));
        for (int cut = 1; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 50))
        {
            var path = WithPickle(bytes[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(path));
            Assert.Contains(Path.GetFileName(path), e.Message);
        }
    }

    static byte[] ReadPickle(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        using var s = zip.Entries.First(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
