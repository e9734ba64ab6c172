using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace PromptLearning.Notebooks;

/// <summary>One event the kernel published: its type (<c>StandardOutputValueProduced</c>, ...), body and the token of the command it belongs to.</summary>
public sealed record KernelEvent(string Type, JsonObject Body, string? Token);

/// <summary>The kernel process ended (or stopped answering) while a command ran.</summary>
public sealed class KernelExitedException(string message) : Exception(message);

/// <summary>
/// A real .NET Interactive kernel in a child process, spoken to over the stdio protocol VS Code uses:
/// one JSON command envelope per line on stdin (<c>{"commandType":"SubmitCode","command":{...},"token":...}</c>),
/// one JSON event envelope per line on stdout. Started as VS Code starts it
/// (<c>[vscode] stdio --working-dir &lt;notebook folder&gt;</c>, the folder also its current
/// directory). On Linux the kernel gets <c>SIGKILL</c> when the runner dies (<c>setpriv --pdeathsig</c>),
/// so a killed runner leaves no kernel behind; disposing kills it too.
/// </summary>
public sealed class KernelProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<KernelEvent> _events = Channel.CreateUnbounded<KernelEvent>();
    private readonly StringBuilder _stderr = new();
    private int _nextToken;

    private KernelProcess(Process process)
    {
        _process = process;
        _ = Task.Run(ReadEvents);
        _ = Task.Run(ReadStderr);
    }

    /// <summary>Starts the kernel in <paramref name="workingDirectory"/> and waits until it reports <c>KernelReady</c>.</summary>
    public static async Task<KernelProcess> StartAsync(KernelTool tool, string workingDirectory, TimeSpan readyTimeout)
    {
        string[] kernelArgs = ["[vscode]", "stdio", "--working-dir", workingDirectory];
        const string setpriv = "/usr/bin/setpriv";
        IEnumerable<string> args = [tool.EntryAssembly, .. kernelArgs];
        var psi = DotnetCli.StartInfo(workingDirectory, args);
        if (OperatingSystem.IsLinux() && File.Exists(setpriv))
        {
            psi = DotnetCli.StartInfo(workingDirectory, ["--pdeathsig", "KILL", "--", DotnetCli.Host(), .. args]);
            psi.FileName = setpriv;
        }
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.StandardOutputEncoding = Encoding.UTF8;
        psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        var kernel = new KernelProcess(Process.Start(psi) ?? throw new KernelExitedException($"could not start the kernel {tool.EntryAssembly}"));
        using var cts = new CancellationTokenSource(readyTimeout);
        try
        {
            while (true)
            {
                var e = await kernel.NextAsync(cts.Token);
                if (e.Type == "KernelReady") return kernel;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or KernelExitedException)
        {
            var why = e is OperationCanceledException ? $"did not report ready within {readyTimeout.TotalSeconds:F0} s" : e.Message;
            kernel.Dispose();
            throw new KernelExitedException($"the .NET Interactive kernel {tool.Version} ({tool.EntryAssembly}) {why}.{kernel.StderrTail()}");
        }
    }

    /// <summary>The kernel's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Submits code to a kernel (<c>csharp</c>, <c>fsharp</c>, ...) and hands every event of that
    /// submission to <paramref name="onEvent"/> until it succeeds or fails; returns the final event
    /// (<c>CommandSucceeded</c> or <c>CommandFailed</c>). Throws <see cref="KernelExitedException"/>
    /// when the kernel process ends first, <see cref="OperationCanceledException"/> on cancellation.
    /// </summary>
    public async Task<KernelEvent> SubmitCodeAsync(string code, string kernelName, Action<KernelEvent> onEvent, CancellationToken cancel)
    {
        var token = $"plearn-{Interlocked.Increment(ref _nextToken)}";
        var envelope = new JsonObject
        {
            ["commandType"] = "SubmitCode",
            ["command"] = new JsonObject { ["code"] = code, ["targetKernelName"] = kernelName },
            ["token"] = token,
            ["routingSlip"] = new JsonArray(),
        };
        try
        {
            await _process.StandardInput.WriteLineAsync(envelope.ToJsonString());
            await _process.StandardInput.FlushAsync(cancel);
        }
        catch (IOException) { throw Exited(); }
        while (true)
        {
            var e = await NextAsync(cancel);
            bool mine = e.Token is { } t && (t == token || t.StartsWith(token + ".", StringComparison.Ordinal));
            if (!mine) continue;
            if (e.Token == token && e.Type is "CommandSucceeded" or "CommandFailed") return e;
            onEvent(e);
        }
    }

    private async Task<KernelEvent> NextAsync(CancellationToken cancel)
    {
        try { return await _events.Reader.ReadAsync(cancel); }
        catch (ChannelClosedException) { throw Exited(); }
    }

    private KernelExitedException Exited()
    {
        _process.WaitForExit(5000);
        var code = _process.HasExited ? $" with exit code {_process.ExitCode}" : "";
        return new KernelExitedException($"the kernel process ended{code} (a cell may have called Environment.Exit, overflowed the stack or crashed the runtime).{StderrTail()}");
    }

    private string StderrTail()
    {
        string text;
        lock (_stderr) text = _stderr.ToString().Trim();
        if (text.Length == 0) return "";
        return "\nkernel stderr:\n" + (text.Length > 2000 ? "..." + text[^2000..] : text);
    }

    private async Task ReadEvents()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                // The kernel's banner and any stray writes are not envelopes: skip what is not one.
                if (!line.StartsWith('{')) continue;
                JsonObject? envelope;
                try { envelope = JsonNode.Parse(line) as JsonObject; }
                catch (JsonException) { continue; }
                if (envelope?["eventType"] is not JsonValue type || envelope["event"] is not JsonObject body) continue;
                var token = envelope["command"]?["token"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
                _events.Writer.TryWrite(new KernelEvent(type.GetValue<string>(), body, token));
            }
        }
        catch (IOException) { }
        finally { _events.Writer.TryComplete(); }
    }

    private async Task ReadStderr()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) { _stderr.AppendLine(line); if (_stderr.Length > 64_000) _stderr.Remove(0, 32_000); }
        }
        catch (IOException) { }
    }

    /// <summary>Kills the kernel process.</summary>
    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
