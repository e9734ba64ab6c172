using System.Diagnostics;

namespace PromptLearning.Notebooks;

/// <summary>Runs the dotnet CLI the way this process was started (same host, no inherited MSBuild state).</summary>
public static class DotnetCli
{
    /// <summary>Runs <c>dotnet args</c> in <paramref name="workingDirectory"/>; returns its exit code and combined output.</summary>
    public static (int Code, string Output) Run(string workingDirectory, params string[] args)
    {
        var psi = StartInfo(workingDirectory, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>A start description for <c>dotnet args</c> with telemetry and first-run banners off.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Host()) { WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // A parent `dotnet run`/`dotnet test` leaves MSBuild variables that would confuse a nested build.
        foreach (var v in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" }) psi.Environment.Remove(v);
        return psi;
    }

    /// <summary>The dotnet host running this process (falls back to <c>dotnet</c> on PATH).</summary>
    public static string Host()
    {
        var env = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        var main = Environment.ProcessPath;
        if (main is not null && Path.GetFileNameWithoutExtension(main) == "dotnet") return main;
        return "dotnet";
    }

    /// <summary>NuGet's global packages folder (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>).</summary>
    public static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
