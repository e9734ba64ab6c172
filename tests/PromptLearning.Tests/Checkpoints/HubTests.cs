using PromptLearning.Checkpoints;
using PromptLearning.Native;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>Loading by hub name: download from a loopback hub into the HF cache layout, cache reuse, resume, 404s.</summary>
public sealed class HubTests : IDisposable
{
    readonly string _home = Directory.CreateTempSubdirectory("hf-home-").FullName;
    readonly LoopbackHub _hub = new();
    readonly StringWriter _progress = new();

    public HubTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_home, recursive: true);
    }

    HubOptions Options() => new()
    {
        Endpoint = _hub.Endpoint,
        CacheDir = Path.Combine(_home, "hub"),
        Progress = _progress,
        Token = null,
        Offline = false,
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    string Repo(string repoId) => Path.Combine(_home, "hub", "models--" + repoId.Replace("/", "--"));

    [FixtureFact]
    public void DownloadsIntoTheCacheLayoutHonouringHfHomeAndHfEndpoint()
    {
        _hub.Add("tiny-org/tiny-gpt2", HfFixtures.Model("gpt2"));
        var saved = (Environment.GetEnvironmentVariable("HF_HOME"), Environment.GetEnvironmentVariable("HF_ENDPOINT"), Environment.GetEnvironmentVariable("HF_HUB_CACHE"));
        PretrainedModel loaded;
        try
        {
            Environment.SetEnvironmentVariable("HF_HOME", _home);
            Environment.SetEnvironmentVariable("HF_ENDPOINT", _hub.Endpoint);
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", null);
            loaded = Pretrained.Load("tiny-org/tiny-gpt2", new HubOptions { Progress = _progress, Token = null, Offline = false });
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HOME", saved.Item1);
            Environment.SetEnvironmentVariable("HF_ENDPOINT", saved.Item2);
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", saved.Item3);
        }
        using (loaded)
        {
            var repo = Repo("tiny-org/tiny-gpt2");
            var snapshot = Path.Combine(repo, "snapshots", _hub.Commit);
            Assert.Equal(snapshot, loaded.Folder);
            Assert.Equal(_hub.Commit, File.ReadAllText(Path.Combine(repo, "refs", "main")).Trim());
            foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json" })
            {
                var info = new FileInfo(Path.Combine(snapshot, f));
                Assert.True(info.Exists, f);
                Assert.StartsWith(Path.Combine("..", "..", "blobs") + Path.DirectorySeparatorChar, info.LinkTarget);
                Assert.Equal(File.ReadAllBytes(Path.Combine(HfFixtures.Model("gpt2"), f)), File.ReadAllBytes(info.FullName));
            }
            Assert.Empty(Directory.GetFiles(Path.Combine(repo, "blobs"), "*.incomplete"));
            Assert.Equal(HfFixtures.Json("gpt2", "config.json").GetProperty("eos_token_id").GetInt32(), loaded.Tokenizer.EosTokenId);
            Assert.Equal("gpt2", loaded.Config.ModelType);
            Assert.Contains("Downloading tiny-org/tiny-gpt2/model.safetensors", _progress.ToString());
            Assert.Contains("done", _progress.ToString());
        }

        // (b) Cached: loads again without any request, also offline.
        int before = _hub.Requests.Count;
        using (Pretrained.Load("tiny-org/tiny-gpt2", Options() with { Offline = true })) { }
        using (Pretrained.Load("tiny-org/tiny-gpt2", Options())) { }
        Assert.Equal(before, _hub.Requests.Count);
    }

    [FixtureFact]
    public void InterruptedDownloadResumesWithARangeRequest()
    {
        _hub.Add("tiny-bert", HfFixtures.Model("bert"));
        _hub.CutNextDownload = ("model.safetensors", 40_000);
        Assert.ThrowsAny<IOException>(() => Pretrained.Load("tiny-bert", Options()));
        var blobs = Path.Combine(Repo("tiny-bert"), "blobs");
        var partial = Assert.Single(Directory.GetFiles(blobs, "*.incomplete"));
        Assert.Equal(40_000, new FileInfo(partial).Length);

        using var loaded = Pretrained.Load("tiny-bert", Options());
        Assert.Contains(_hub.Requests, r => r.EndsWith("/model.safetensors bytes=40000-") && r.StartsWith("GET"));
        Assert.Empty(Directory.GetFiles(blobs, "*.incomplete"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(HfFixtures.Model("bert"), "model.safetensors")),
            File.ReadAllBytes(Path.Combine(loaded.Folder, "model.safetensors")));
        Assert.Contains("resuming at 40.0 kB", _progress.ToString());
    }

    [FixtureFact]
    public void PartialSnapshotOfAnOlderCommitEndsInOneCompleteNewSnapshot()
    {
        _hub.Add("org/moving", HfFixtures.Model("gpt2"));
        using (Pretrained.Load("org/moving", Options())) { }
        var old = Path.Combine(Repo("org/moving"), "snapshots", _hub.Commit);
        File.Delete(Path.Combine(old, "model.safetensors"));   // as if interrupted before the weights
        _hub.Commit = "89abcdef0123456789abcdef0123456789abcdef";  // and the branch moved since
        using var loaded = Pretrained.Load("org/moving", Options());
        Assert.Equal(Path.Combine(Repo("org/moving"), "snapshots", _hub.Commit), loaded.Folder);
        Assert.Equal(_hub.Commit, File.ReadAllText(Path.Combine(Repo("org/moving"), "refs", "main")).Trim());
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt" })
            Assert.True(File.Exists(Path.Combine(loaded.Folder, f)), f);
    }

    [FixtureFact]
    public void MissingFileOnTheHubIsNamed()
    {
        var partialRepo = Path.Combine(_home, "served-roberta");
        Directory.CreateDirectory(partialRepo);
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json" })
            File.Copy(Path.Combine(HfFixtures.Model("roberta"), f), Path.Combine(partialRepo, f));
        _hub.Add("org/no-merges", partialRepo);
        var ex = Assert.Throws<HubFileNotFoundException>(() => Pretrained.Load("org/no-merges", Options()));
        Assert.Contains("'merges.txt'", ex.Message);
        Assert.Contains("org/no-merges", ex.Message);
        Assert.Contains("404", ex.Message);
    }

    [Fact]
    public void UnknownRepoAndOfflineMissAreNamed()
    {
        var ex = Assert.Throws<HubFileNotFoundException>(() => Pretrained.Load("nobody/nothing", Options()));
        Assert.Contains("'config.json'", ex.Message);
        var offline = Assert.Throws<IOException>(() => Pretrained.Load("nobody/else", Options() with { Offline = true }));
        Assert.Contains("HF_HUB_OFFLINE", offline.Message);
        Assert.Throws<DirectoryNotFoundException>(() => Pretrained.Load("not a/valid//name"));
    }

    [Fact]
    public void CacheRootFollowsTheEnvironment()
    {
        string? Env(Dictionary<string, string> d, string k) => d.TryGetValue(k, out var v) ? v : null;
        var all = new Dictionary<string, string> { ["HF_HUB_CACHE"] = "/a", ["HF_HOME"] = "/b", ["XDG_CACHE_HOME"] = "/c" };
        Assert.Equal("/a", HfCache.DefaultRoot(k => Env(all, k)));
        all.Remove("HF_HUB_CACHE");
        Assert.Equal(Path.Combine("/b", "hub"), HfCache.DefaultRoot(k => Env(all, k)));
        all.Remove("HF_HOME");
        Assert.Equal(Path.Combine("/c", "huggingface", "hub"), HfCache.DefaultRoot(k => Env(all, k)));
        Assert.EndsWith(Path.Combine(".cache", "huggingface", "hub"), HfCache.DefaultRoot(_ => null));
        Assert.Equal(Path.Combine("/r", "models--openai-community--gpt2"), new HfCache("/r").RepoFolder("openai-community/gpt2"));
        Assert.Throws<ArgumentException>(() => new HfCache("/r").RepoFolder("../etc"));
    }

    [FixtureFact]
    public void ExistingCacheSnapshotLoadsWithoutNetwork()
    {
        // A cache written by huggingface_hub: refs/main + snapshots/REV (plain files are fine too).
        var repo = Repo("someone/cached-roberta");
        var snap = Path.Combine(repo, "snapshots", "fedcba9876543210fedcba9876543210fedcba98");
        Directory.CreateDirectory(snap);
        foreach (var f in Directory.GetFiles(HfFixtures.Model("roberta")))
            File.Copy(f, Path.Combine(snap, Path.GetFileName(f)));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "fedcba9876543210fedcba9876543210fedcba98");
        using var loaded = Pretrained.Load("someone/cached-roberta", Options() with { Endpoint = "http://127.0.0.1:9" });
        Assert.Equal(snap, loaded.Folder);
        Assert.Equal(HfFixtures.SpecialTokenId("roberta", "<mask>"), loaded.Tokenizer.MaskTokenId);
        Assert.Empty(_hub.Requests);
    }
}
