using PromptLearning.Checkpoints;
using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>Checkpoints split over several safetensors files with a model.safetensors.index.json.</summary>
public sealed class ShardedCheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sharded-tests-").FullName;

    public ShardedCheckpointTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Copies a fixture folder, replacing model.safetensors by two shards and an index.</summary>
    string ShardedCopy(string model, bool duplicate = false)
    {
        var folder = Path.Combine(_dir, model + (duplicate ? "-dup" : ""));
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(HfFixtures.Model(model)).Where(f => !f.EndsWith("model.safetensors")))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        using var scope = NewDisposeScope();
        var all = Safetensors.Load(Path.Combine(HfFixtures.Model(model), "model.safetensors"));
        var names = all.Keys.Order(StringComparer.Ordinal).ToList();
        var first = names.Take(names.Count / 2).ToList();
        var second = names.Skip(names.Count / 2).ToList();
        if (duplicate) second.Add(first[0]);
        Safetensors.Save(Path.Combine(folder, "model-00001-of-00002.safetensors"), first.Select(n => KeyValuePair.Create(n, all[n])));
        Safetensors.Save(Path.Combine(folder, "model-00002-of-00002.safetensors"), second.Select(n => KeyValuePair.Create(n, all[n])));
        var map = string.Join(",", names.Select(n => $"\"{n}\": \"model-0000{(first.Contains(n) ? 1 : 2)}-of-00002.safetensors\""));
        File.WriteAllText(Path.Combine(folder, SafetensorsIndex.IndexFile), $"{{\"metadata\": {{}}, \"weight_map\": {{{map}}}}}");
        return folder;
    }

    [FixtureFact]
    public void ShardedFolderLoadsLikeTheSingleFile()
    {
        using var scope = NewDisposeScope();
        using var single = Pretrained.Load(HfFixtures.Model("gpt2"));
        using var sharded = Pretrained.Load(ShardedCopy("gpt2"));
        var a = single.Model.Module.state_dict();
        var b = sharded.Model.Module.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, kv => Assert.True(kv.Value.allclose(b[kv.Key], 0, 0), kv.Key));
    }

    [FixtureFact]
    public void ShardedCheckpointDownloadsEveryShard()
    {
        using var hub = new LoopbackHub();
        hub.Add("org/sharded-bert", ShardedCopy("bert"));
        var options = new HubOptions { Endpoint = hub.Endpoint, CacheDir = Path.Combine(_dir, "cache"), Progress = null, Token = null, Offline = false };
        using var loaded = Pretrained.Load("org/sharded-bert", options);
        Assert.True(File.Exists(Path.Combine(loaded.Folder, "model-00002-of-00002.safetensors")));
        Assert.False(File.Exists(Path.Combine(loaded.Folder, "model.safetensors")));
        // The second load comes from the cache.
        int requests = hub.Requests.Count;
        using (Pretrained.Load("org/sharded-bert", options with { Offline = true })) { }
        Assert.Equal(requests, hub.Requests.Count);
    }

    [FixtureFact]
    public void TensorInTwoShardsIsNamed()
    {
        var folder = ShardedCopy("bert", duplicate: true);
        var ex = Assert.Throws<InvalidDataException>(() => Pretrained.Load(folder));
        Assert.Contains("two shards", ex.Message);
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
    }

    [Fact]
    public void BadIndexIsNamed()
    {
        var index = Path.Combine(_dir, SafetensorsIndex.IndexFile);
        File.WriteAllText(index, "{\"weight_map\": {\"a\": \"../evil.safetensors\"}}");
        var ex = Assert.Throws<InvalidDataException>(() => SafetensorsIndex.Shards(index));
        Assert.Contains(index, ex.Message);
        Assert.Contains("'a'", ex.Message);
        File.WriteAllText(index, "{\"metadata\": {}}");
        Assert.Contains("weight_map", Assert.Throws<InvalidDataException>(() => SafetensorsIndex.Shards(index)).Message);
        File.WriteAllText(index, "{\"weight_map\": {\"a\": \"x.safetensors\"}}");
        var missing = Assert.Throws<FileNotFoundException>(() => Pretrained.WeightFiles(_dir));
        Assert.Contains("x.safetensors", missing.Message);
    }
}
