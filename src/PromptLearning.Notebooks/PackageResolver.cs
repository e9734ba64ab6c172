using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PromptLearning.Notebooks;

/// <summary>A <c>#r "nuget:"</c> that could not be restored; the message names the package(s).</summary>
public sealed class PackageRestoreException(string message) : Exception(message);

/// <summary>
/// Resolves <c>#r "nuget:"</c> requests for real, as the C# kernel does: writes a small project
/// with one <c>PackageReference</c> per requested package (plus the <c>#i</c> sources), runs
/// <c>dotnet restore</c> on it, and returns the runtime assemblies of the whole dependency closure
/// from its <c>project.assets.json</c>.
/// <para>Stale local builds: a package served by a local folder source (e.g. the repo's
/// <c>artifacts/packages</c> after <c>dotnet pack</c>) keeps its version number across rebuilds,
/// and NuGet would keep using the copy extracted into the global packages folder. Before each
/// restore the SHA-512 of the .nupkg in the folder source is compared with the one NuGet recorded
/// for the extracted copy; when they differ, that one package version is removed from the global
/// packages folder so the rebuilt package is extracted again.</para>
/// </summary>
public sealed class PackageResolver(string workRoot, Action<string> log)
{
    /// <summary>Packages a real kernel loads as kernel extensions; the runner provides their behaviour itself.</summary>
    public static bool IsKernelExtension(string name) =>
        name.Equals("Plotly.NET.Interactive", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Microsoft.DotNet.Interactive", StringComparison.OrdinalIgnoreCase);

    /// <summary>The default folder for generated restore projects.</summary>
    public static string DefaultWorkRoot() =>
        Environment.GetEnvironmentVariable("PROMPTLEARNING_NOTEBOOK_CACHE")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "promptlearning", "notebooks");

    /// <summary>Restores the packages (sources are absolute folders or URLs) and returns runtime assembly paths.</summary>
    public IReadOnlyList<string> Resolve(IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> sources)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join("\n", packages.Select(p => p.ToString())) + "\n--\n" + string.Join("\n", sources))))[..16].ToLowerInvariant();
        var dir = Path.Combine(workRoot, "restore", key);
        Directory.CreateDirectory(dir);
        using var gate = Lock(Path.Combine(dir, ".lock"));
        EvictStaleLocalPackages(packages, sources);

        var project = Path.Combine(dir, "NotebookPackages.csproj");
        var xml = new StringBuilder();
        xml.AppendLine("<Project Sdk=\"Microsoft.NET.Sdk\">");
        xml.AppendLine("  <PropertyGroup>");
        xml.AppendLine("    <TargetFramework>net10.0</TargetFramework>");
        xml.AppendLine("    <NoWarn>$(NoWarn);NU1603;NU1701</NoWarn>");
        if (sources.Count > 0) xml.AppendLine($"    <RestoreAdditionalProjectSources>{System.Security.SecurityElement.Escape(string.Join(";", sources))}</RestoreAdditionalProjectSources>");
        xml.AppendLine("  </PropertyGroup>");
        xml.AppendLine("  <ItemGroup>");
        foreach (var p in packages)
            xml.AppendLine($"    <PackageReference Include=\"{System.Security.SecurityElement.Escape(p.Name)}\" Version=\"{System.Security.SecurityElement.Escape(p.Version ?? "*")}\" />");
        xml.AppendLine("  </ItemGroup>");
        xml.AppendLine("</Project>");
        if (!File.Exists(project) || File.ReadAllText(project) != xml.ToString()) File.WriteAllText(project, xml.ToString());
        var assets = Path.Combine(dir, "obj", "project.assets.json");

        // Fast path: the same pinned packages were restored before and every file is still there
        // (a stale local package was just evicted above, which makes its files missing).
        var stamp = Path.Combine(dir, "restored.stamp"); // the project text of the last successful restore
        if (packages.All(p => p.Version is not null && !p.Version.Contains('*')) && File.Exists(assets)
            && File.Exists(stamp) && File.ReadAllText(stamp) == xml.ToString() && !HasErrors(assets))
        {
            try { return RuntimeAssemblies(assets); }
            catch (FileNotFoundException) { }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        log($"dotnet restore {string.Join("; ", packages)} ...");
        var (code, output) = Dotnet(dir, "restore", project, "--nologo", "-v", "q");
        log($"dotnet restore finished in {clock.Elapsed.TotalSeconds:F1} s");
        if (code != 0)
        {
            var errors = output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
                .Select(l => l.Trim()).Distinct().ToList();
            var named = packages.Where(p => errors.Any(e => e.Contains(p.Name, StringComparison.OrdinalIgnoreCase))).ToList();
            var which = named.Count > 0 ? named : packages.ToList();
            throw new PackageRestoreException(
                $"#r \"nuget: {string.Join("\", \"nuget: ", which)}\" could not be restored" +
                (sources.Count > 0 ? $" (extra sources: {string.Join(", ", sources)})" : "") + ":\n" +
                string.Join("\n", errors.Count > 0 ? errors : [output.Trim()]));
        }
        var result = RuntimeAssemblies(assets);
        File.WriteAllText(stamp, xml.ToString());
        return result;
    }

    /// <summary>Whether a restore recorded errors (a failed restore still writes its assets file).</summary>
    private static bool HasErrors(string assetsPath) =>
        JsonNode.Parse(File.ReadAllText(assetsPath))?["logs"] is JsonArray logs
        && logs.Any(l => l?["level"]?.GetValue<string>() == "Error");

    /// <summary>The runtime assemblies of every package in a restore's assets file.</summary>
    public static IReadOnlyList<string> RuntimeAssemblies(string assetsPath)
    {
        var assets = JsonNode.Parse(File.ReadAllText(assetsPath))!;
        var folders = ((JsonObject)assets["packageFolders"]!).Select(kv => kv.Key).ToList();
        var libraries = (JsonObject)assets["libraries"]!;
        var target = ((JsonObject)assets["targets"]!).First(kv => !kv.Key.Contains('/')).Value as JsonObject
            ?? throw new InvalidDataException($"{assetsPath}: no target framework section.");
        var result = new List<string>();
        foreach (var (id, entry) in target)
        {
            if (entry?["type"]?.GetValue<string>() != "package" || entry["runtime"] is not JsonObject runtime) continue;
            var packagePath = libraries[id]?["path"]?.GetValue<string>() ?? id.ToLowerInvariant();
            foreach (var (file, _) in runtime)
            {
                if (Path.GetFileName(file) == "_._") continue;
                var full = folders.Select(f => Path.Combine(f, packagePath, file)).FirstOrDefault(File.Exists)
                    ?? throw new FileNotFoundException($"{assetsPath}: {file} of {id} is missing from the package folders ({string.Join(", ", folders)}).");
                result.Add(full);
            }
        }
        return result;
    }

    /// <summary>Removes a global-packages copy of a package whose local-folder .nupkg has changed since it was extracted.</summary>
    private void EvictStaleLocalPackages(IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> sources)
    {
        var globalRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var p in packages)
        {
            if (p.Version is null) continue;
            foreach (var source in sources.Where(Directory.Exists))
            {
                var nupkg = Directory.EnumerateFiles(source, "*.nupkg")
                    .FirstOrDefault(f => Path.GetFileName(f).Equals($"{p.Name}.{p.Version}.nupkg", StringComparison.OrdinalIgnoreCase));
                if (nupkg is null) continue;
                var extracted = Path.Combine(globalRoot, p.Name.ToLowerInvariant(), p.Version.ToLowerInvariant());
                var hashFile = Path.Combine(extracted, $"{p.Name.ToLowerInvariant()}.{p.Version.ToLowerInvariant()}.nupkg.sha512");
                if (!File.Exists(hashFile)) continue;
                string fresh;
                using (var s = File.OpenRead(nupkg)) fresh = Convert.ToBase64String(SHA512.HashData(s));
                if (File.ReadAllText(hashFile).Trim() == fresh) continue;
                log($"{p}: {nupkg} was rebuilt; removing the stale copy {extracted}");
                Directory.Delete(extracted, recursive: true);
            }
        }
    }

    private static FileStream Lock(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (attempt < 600) { Thread.Sleep(500); }
        }
    }

    /// <summary>Runs the dotnet CLI and returns its exit code and combined output.</summary>
    internal static (int Code, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost()) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // A parent `dotnet run`/`dotnet test` leaves MSBuild variables that would confuse a nested build.
        foreach (var v in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" }) psi.Environment.Remove(v);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>The dotnet host running this process (falls back to <c>dotnet</c> on PATH).</summary>
    internal static string DotnetHost()
    {
        var env = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        var main = Environment.ProcessPath;
        if (main is not null && Path.GetFileNameWithoutExtension(main) == "dotnet") return main;
        return "dotnet";
    }
}
