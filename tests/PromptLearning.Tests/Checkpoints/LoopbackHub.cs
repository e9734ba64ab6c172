using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>
/// A tiny stand-in for the Hugging Face hub on 127.0.0.1: serves the files of local folders as
/// <c>/{repo}/resolve/{revision}/{file}</c> with the hub's headers (<c>X-Repo-Commit</c>,
/// <c>ETag</c> = SHA-256 for <c>*.safetensors</c> like LFS files, git blob SHA-1 otherwise), HTTP
/// Range support, and 404 + <c>X-Error-Code</c> for absent files. Can cut one download short to
/// test resuming. Stops when disposed.
/// </summary>
public sealed class LoopbackHub : IDisposable
{
    /// <summary>The commit every answer names (change it to simulate a push).</summary>
    public string Commit { get; set; } = "0123456789abcdef0123456789abcdef01234567";

    readonly HttpListener _listener = new();
    readonly Dictionary<string, string> _repos = new();
    readonly Task _loop;

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Endpoint { get; }
    /// <summary>Every request as "METHOD path [Range]".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>When set, the next GET of a file with this name sends only this many bytes and then drops the connection.</summary>
    public (string File, int Bytes)? CutNextDownload { get; set; }

    public LoopbackHub()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    /// <summary>Serves <paramref name="folder"/> as hub model <paramref name="repoId"/>.</summary>
    public void Add(string repoId, string folder) => _repos[repoId] = folder;

    async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Handle(ctx);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
            {
                // client went away
            }
        }
    }

    void Handle(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        var path = Uri.UnescapeDataString(req.Url!.AbsolutePath);
        Requests.Enqueue($"{req.HttpMethod} {path} {req.Headers["Range"]}".TrimEnd());
        var marker = path.IndexOf("/resolve/", StringComparison.Ordinal);
        string? file = null;
        if (marker > 0 && _repos.TryGetValue(path[1..marker], out var folder))
        {
            var rest = path[(marker + "/resolve/".Length)..];
            var slash = rest.IndexOf('/');
            if (slash > 0) file = Path.Combine(folder, rest[(slash + 1)..]);
        }
        res.Headers["X-Repo-Commit"] = Commit;
        if (file is null || !File.Exists(file))
        {
            res.StatusCode = 404;
            res.Headers["X-Error-Code"] = file is null ? "RepoNotFound" : "EntryNotFound";
            res.Close();
            return;
        }
        var data = File.ReadAllBytes(file);
        res.Headers["ETag"] = "\"" + Etag(file, data) + "\"";
        long from = 0;
        var range = req.Headers["Range"];
        if (range is not null && range.StartsWith("bytes=") && range.EndsWith('-') && long.TryParse(range[6..^1], out long f) && f < data.Length)
        {
            from = f;
            res.StatusCode = 206;
            res.Headers["Content-Range"] = $"bytes {from}-{data.Length - 1}/{data.Length}";
        }
        res.ContentLength64 = data.Length - from;
        if (req.HttpMethod == "HEAD")
        {
            res.Close();
            return;
        }
        if (CutNextDownload is { } cut && cut.File == Path.GetFileName(file))
        {
            CutNextDownload = null;
            res.OutputStream.Write(data, (int)from, cut.Bytes);
            res.OutputStream.Flush();
            res.Abort();
            return;
        }
        res.OutputStream.Write(data, (int)from, (int)(data.Length - from));
        res.Close();
    }

    static string Etag(string file, byte[] data) =>
        file.EndsWith(".safetensors")
            ? Convert.ToHexStringLower(SHA256.HashData(data))
            : Convert.ToHexStringLower(SHA1.HashData(Encoding.ASCII.GetBytes($"blob {data.Length}\0").Concat(data).ToArray()));

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
