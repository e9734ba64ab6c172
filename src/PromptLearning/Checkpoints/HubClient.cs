using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace PromptLearning.Checkpoints;

/// <summary>Where and how <see cref="HubClient"/> fetches models.</summary>
public sealed record HubOptions
{
    /// <summary>Hub base URL: <c>HF_ENDPOINT</c>, else <c>https://huggingface.co</c>.</summary>
    public string Endpoint { get; init; } = Env("HF_ENDPOINT") ?? "https://huggingface.co";
    /// <summary>Cache root (see <see cref="HfCache.DefaultRoot"/>).</summary>
    public string CacheDir { get; init; } = HfCache.DefaultRoot();
    /// <summary>Branch, tag or commit.</summary>
    public string Revision { get; init; } = "main";
    /// <summary>Bearer token for private models: <c>HF_TOKEN</c> when set.</summary>
    public string? Token { get; init; } = Env("HF_TOKEN");
    /// <summary>Use the cache only, never the network (<c>HF_HUB_OFFLINE=1</c>).</summary>
    public bool Offline { get; init; } = Env("HF_HUB_OFFLINE") is "1" or "true" or "TRUE" or "True" or "yes";
    /// <summary>Where download progress is written; null for silence.</summary>
    public TextWriter? Progress { get; init; } = Console.Error;
    /// <summary>Time limit for each HTTP request (not the whole download).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}

/// <summary>A file the hub does not have (HTTP 404).</summary>
public sealed class HubFileNotFoundException(string message) : FileNotFoundException(message);

/// <summary>
/// Downloads model files from the Hugging Face hub (<c>{endpoint}/{repo}/resolve/{revision}/{file}</c>)
/// into the <see cref="HfCache"/> layout: the commit comes from <c>X-Repo-Commit</c>, the blob name
/// from <c>X-Linked-Etag</c>/<c>ETag</c>; data goes to <c>blobs/{etag}.incomplete</c> (resumed with an
/// HTTP Range request after an interruption), is checked against the size and, for SHA-256 or git
/// SHA-1 etags, the hash, then renamed into place and linked from <c>snapshots/{commit}/</c>.
/// Files already in the cache are used without network access.
/// </summary>
public sealed class HubClient : IDisposable
{
    readonly HttpClient _http;
    readonly HubOptions _options;

    /// <summary>The cache this client reads and fills.</summary>
    public HfCache Cache { get; }

    public HubClient(HubOptions? options = null)
    {
        _options = options ?? new HubOptions();
        Cache = new HfCache(_options.CacheDir);
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PromptLearning", "0.1"));
    }

    /// <summary>The tokenizer files a model of <paramref name="modelType"/> needs, and the optional files.</summary>
    public static (string[] Required, string[] Optional) ModelFiles(string modelType) => modelType switch
    {
        "bert" => (["vocab.txt"], ["tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "generation_config.json"]),
        _ => (["vocab.json", "merges.txt"], ["tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "generation_config.json"]),
    };

    /// <summary>
    /// A local snapshot folder holding <paramref name="repoId"/>'s config, weights
    /// (<c>model.safetensors</c>, or an index and its shards) and tokenizer files at the configured
    /// revision, downloading what the cache lacks.
    /// </summary>
    /// <exception cref="HubFileNotFoundException">A required file is not on the hub (named).</exception>
    /// <exception cref="IOException">Offline and not cached, or the download failed.</exception>
    public string DownloadModel(string repoId, CancellationToken cancel = default)
    {
        var folder = DownloadModelOnce(repoId, cancel);
        // The branch moved on the hub while files were fetched (or since an earlier, partial
        // download): gather every file in the snapshot of the commit it points at now.
        if (Cache.SnapshotFolder(repoId, _options.Revision) is { } now && !SamePath(now, folder))
            folder = DownloadModelOnce(repoId, cancel);
        return folder;
    }

    static bool SamePath(string a, string b) => Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar);

    string DownloadModelOnce(string repoId, CancellationToken cancel)
    {
        // A snapshot that is already complete (e.g. written by huggingface_hub) is used as it is:
        // optional files it lacks count as absent, without asking the network.
        var cached = Cache.SnapshotFolder(repoId, _options.Revision);
        var config = DownloadFile(repoId, "config.json", cancel);
        var folder = Path.GetDirectoryName(config)!;
        var (required, optional) = ModelFiles(ConfigFile.Read(config).ModelType);
        bool complete = cached is not null && required.All(f => File.Exists(Path.Combine(cached, f))) && HasWeights(cached);
        if (!complete)
        {
            if (TryDownloadFile(repoId, SafetensorsIndex.SingleFile, cancel) is null)
            {
                var index = TryDownloadFile(repoId, SafetensorsIndex.IndexFile, cancel)
                    ?? throw new HubFileNotFoundException($"Hub model '{repoId}' has neither '{SafetensorsIndex.SingleFile}' nor '{SafetensorsIndex.IndexFile}' at revision '{_options.Revision}' (weights in safetensors format are needed).");
                foreach (var shard in SafetensorsIndex.Shards(index)) DownloadFile(repoId, shard, cancel);
            }
        }
        foreach (var f in required) DownloadFile(repoId, f, cancel);
        if (!complete)
            foreach (var f in optional) TryDownloadFile(repoId, f, cancel);
        return folder;
    }

    static bool HasWeights(string folder)
    {
        if (File.Exists(Path.Combine(folder, SafetensorsIndex.SingleFile))) return true;
        var index = Path.Combine(folder, SafetensorsIndex.IndexFile);
        return File.Exists(index) && SafetensorsIndex.Shards(index).All(s => File.Exists(Path.Combine(folder, s)));
    }

    /// <summary>Like <see cref="DownloadFile"/>, but null when the hub has no such file.</summary>
    public string? TryDownloadFile(string repoId, string file, CancellationToken cancel = default)
    {
        try
        {
            return DownloadFile(repoId, file, cancel);
        }
        catch (HubFileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The cached path of <paramref name="file"/>, downloaded first when it is not cached.</summary>
    public string DownloadFile(string repoId, string file, CancellationToken cancel = default)
    {
        if (Cache.CachedFile(repoId, _options.Revision, file) is { } cached) return cached;
        if (Cache.ResolveCommit(repoId, _options.Revision) is { } known && File.Exists(Path.Combine(Cache.RepoFolder(repoId), ".no_exist", known, file)))
            throw new HubFileNotFoundException($"Hub model '{repoId}' has no file '{file}' at revision '{_options.Revision}' (cached answer).");
        if (_options.Offline)
            throw new IOException($"'{file}' of '{repoId}' (revision '{_options.Revision}') is not in the cache '{Cache.Root}' and HF_HUB_OFFLINE is set.");
        return FetchRemote(repoId, file, cancel);
    }

    string FetchRemote(string repoId, string file, CancellationToken cancel)
    {
        var url = $"{_options.Endpoint.TrimEnd('/')}/{repoId}/resolve/{Uri.EscapeDataString(_options.Revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}";

        // 1. HEAD: commit, etag, size (without following a redirect to a CDN, which lacks these headers).
        using var head = Send(HttpMethod.Head, url, null, followAbsolute: false, cancel);
        if (head.StatusCode == HttpStatusCode.NotFound)
        {
            RecordMissing(repoId, file, head);
            throw new HubFileNotFoundException($"Hub model '{repoId}' has no file '{file}' at revision '{_options.Revision}' ({url}: 404 {Header(head, "X-Error-Code") ?? "Not Found"}).");
        }
        if (!head.IsSuccessStatusCode && (int)head.StatusCode is not (>= 300 and < 400))
            throw new IOException($"Hub request for '{file}' of '{repoId}' failed: {url} answered {(int)head.StatusCode} {head.ReasonPhrase}{AuthHint(head)}.");
        var commit = Header(head, "X-Repo-Commit") ?? (HfCache.IsCommitHash(_options.Revision) ? _options.Revision : null)
            ?? throw new IOException($"Hub answer for '{url}' has no X-Repo-Commit header, so the revision '{_options.Revision}' cannot be resolved to a commit.");
        var etag = NormalizeEtag(Header(head, "X-Linked-Etag") ?? head.Headers.ETag?.Tag)
            ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url + "@" + commit)));
        long? size = long.TryParse(Header(head, "X-Linked-Size"), out long ls) ? ls
            : head.IsSuccessStatusCode ? head.Content.Headers.ContentLength : null;

        var blobs = Path.Combine(Cache.RepoFolder(repoId), "blobs");
        Directory.CreateDirectory(blobs);
        var blob = Path.Combine(blobs, etag);
        if (!File.Exists(blob)) DownloadBlob(url, repoId, file, blob, size, etag, cancel);
        var path = Cache.LinkIntoSnapshot(repoId, commit, file, blob);
        Cache.WriteRef(repoId, _options.Revision, commit);
        return path;
    }

    void DownloadBlob(string url, string repoId, string file, string blob, long? size, string etag, CancellationToken cancel)
    {
        var incomplete = blob + ".incomplete";
        long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (size is long s0 && have > s0) { File.Delete(incomplete); have = 0; }
        var progress = new ProgressReporter(_options.Progress, $"{repoId}/{file}", size);

        if (size is not long sz || have < sz)
        {
            using var response = Send(HttpMethod.Get, url, have > 0 ? have : null, followAbsolute: true, cancel);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new HubFileNotFoundException($"Hub model '{repoId}' has no file '{file}' at revision '{_options.Revision}' ({url}: 404).");
            if (!response.IsSuccessStatusCode)
                throw new IOException($"Download of '{file}' of '{repoId}' failed: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}{AuthHint(response)}.");
            bool append = response.StatusCode == HttpStatusCode.PartialContent;
            if (!append) have = 0;
            progress.Start(have, resumed: append);
            using var output = new FileStream(incomplete, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            using var input = response.Content.ReadAsStream(cancel);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                output.Write(buffer, 0, n);
                have += n;
                progress.Report(have);
            }
            output.Flush(flushToDisk: true);
        }

        long got = new FileInfo(incomplete).Length;
        if (size is long expected && got != expected)
            throw new IOException($"Download of '{file}' of '{repoId}' stopped at {got} of {expected} bytes; run again to resume from '{incomplete}'.");
        if (!Verify(incomplete, etag))
        {
            File.Delete(incomplete);
            throw new InvalidDataException($"Download of '{file}' of '{repoId}' does not match its hash {etag}; the partial file was removed, run again.");
        }
        File.Move(incomplete, blob, overwrite: true);
        progress.Done(got);
    }

    /// <summary>Checks a SHA-256 etag (LFS files) or a git blob SHA-1 etag (small files); other etags cannot be checked.</summary>
    static bool Verify(string path, string etag)
    {
        if (etag.Length == 64 && etag.All(Uri.IsHexDigit))
        {
            using var f = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(f)) == etag.ToLowerInvariant();
        }
        if (etag.Length == 40 && etag.All(Uri.IsHexDigit))
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha.AppendData(Encoding.ASCII.GetBytes($"blob {new FileInfo(path).Length}\0"));
            using var f = File.OpenRead(path);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = f.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, n);
            return Convert.ToHexStringLower(sha.GetHashAndReset()) == etag.ToLowerInvariant();
        }
        return true;
    }

    /// <summary>Remembers a 404 for a resolved commit in <c>.no_exist/{commit}/</c> (as <c>huggingface_hub</c>), so later runs know the file does not exist.</summary>
    void RecordMissing(string repoId, string file, HttpResponseMessage response)
    {
        if (Header(response, "X-Repo-Commit") is not { } commit || !HfCache.IsCommitHash(commit)) return;
        var marker = Path.Combine(Cache.RepoFolder(repoId), ".no_exist", commit, file);
        AtomicFile.WriteText(marker, "");
        Cache.WriteRef(repoId, _options.Revision, commit);
    }

    HttpResponseMessage Send(HttpMethod method, string url, long? rangeFrom, bool followAbsolute, CancellationToken cancel)
    {
        var uri = new Uri(url);
        var origin = uri;
        for (int hop = 0; ; hop++)
        {
            var request = new HttpRequestMessage(method, uri);
            if (_options.Token is { } token && uri.Host == origin.Host)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeFrom is long from) request.Headers.Range = new RangeHeaderValue(from, null);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(_options.RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (HttpRequestException ex)
            {
                throw new IOException($"Cannot reach the hub at '{uri}': {ex.Message}", ex);
            }
            catch (TaskCanceledException ex) when (!cancel.IsCancellationRequested)
            {
                throw new IOException($"Hub request '{uri}' timed out after {_options.RequestTimeout}.", ex);
            }
            int code = (int)response.StatusCode;
            if (code is >= 300 and < 400 && response.Headers.Location is { } location && hop < 10)
            {
                bool relative = !location.IsAbsoluteUri;
                if (!relative && !followAbsolute) return response;
                uri = relative ? new Uri(uri, location) : location;
                response.Dispose();
                continue;
            }
            return response;
        }
    }

    static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;

    static string AuthHint(HttpResponseMessage r) =>
        r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " (a private or gated model needs HF_TOKEN)" : "";

    static string? NormalizeEtag(string? tag)
    {
        if (tag is null) return null;
        if (tag.StartsWith("W/")) tag = tag[2..];
        tag = tag.Trim('"');
        return tag.Length > 0 && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? tag : null;
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Line-based progress (works in terminals and notebooks): start, every ~10% or 5 s, end.</summary>
    sealed class ProgressReporter(TextWriter? writer, string what, long? total)
    {
        readonly Stopwatch _clock = new();
        long _startBytes;
        int _lastDecile = -1;
        TimeSpan _lastTime;

        public void Start(long have, bool resumed)
        {
            _clock.Start();
            _startBytes = have;
            writer?.WriteLine($"Downloading {what}{(total is long t ? $" ({Mb(t)})" : "")}{(resumed ? $", resuming at {Mb(have)}" : "")}");
        }

        public void Report(long have)
        {
            if (writer is null) return;
            int decile = total is long t && t > 0 ? (int)(have * 10 / t) : -1;
            if (decile > _lastDecile && decile < 10 || _clock.Elapsed - _lastTime > TimeSpan.FromSeconds(5))
            {
                _lastDecile = Math.Max(decile, _lastDecile);
                _lastTime = _clock.Elapsed;
                writer.WriteLine($"  {what}: {Mb(have)}{(total is long tt ? $" / {Mb(tt)} ({100 * have / Math.Max(1, tt)}%)" : "")}");
            }
        }

        public void Done(long have)
        {
            if (writer is null) return;
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            writer.WriteLine($"  {what}: done, {Mb(have)} ({(have - _startBytes) / seconds / 1e6:F1} MB/s)");
        }

        static string Mb(long bytes) => bytes >= 1_000_000 ? $"{bytes / 1e6:F1} MB" : $"{bytes / 1e3:F1} kB";
    }
}
