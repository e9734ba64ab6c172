using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace PromptLearning.Notebooks;

/// <summary>
/// The .NET Interactive kernel that VS Code Polyglot Notebooks starts
/// (<c>dotnet tool run dotnet-interactive -- [vscode] stdio --working-dir &lt;notebook folder&gt;</c>),
/// as pinned by the repository's dotnet tool manifest (<c>.config/dotnet-tools.json</c>). The tool
/// is restored with <c>dotnet tool restore</c> when its package is not yet in NuGet's global
/// packages folder; its entry assembly is then run directly with the dotnet host, so the kernel is
/// one child process that can be tied to the runner's lifetime.
/// </summary>
/// <param name="Version">The tool version from the manifest.</param>
/// <param name="EntryAssembly">Full path of the tool's entry assembly.</param>
/// <param name="Manifest">The manifest that pinned it.</param>
public sealed record KernelTool(string Version, string EntryAssembly, string Manifest)
{
    /// <summary>The tool's NuGet package id.</summary>
    public const string PackageId = "microsoft.dotnet-interactive";

    /// <summary>
    /// Finds the manifest above <paramref name="startDirectory"/> (else above this assembly, which
    /// lives in the repository's build output, else above the current directory), restores the tool
    /// if needed, and returns it.
    /// Throws <see cref="InvalidOperationException"/> saying what to do when there is no manifest
    /// pinning the kernel or the restore fails.
    /// </summary>
    public static KernelTool Locate(string startDirectory, TextWriter log)
    {
        var manifest = FindManifest(startDirectory) ?? FindManifest(AppContext.BaseDirectory) ?? FindManifest(Environment.CurrentDirectory)
            ?? throw new InvalidOperationException(
                $"no dotnet tool manifest (.config/dotnet-tools.json) pinning {PackageId} was found above {startDirectory}: " +
                "run `dotnet new tool-manifest && dotnet tool install Microsoft.dotnet-interactive --version 1.0.712001` in the repository.");
        var version = ReadVersion(manifest);
        var entry = FindEntryAssembly(version);
        if (entry is null)
        {
            var folder = Path.GetDirectoryName(manifest)!;
            var root = Path.GetFileName(folder) == ".config" ? Path.GetDirectoryName(folder)! : folder;
            log.WriteLine($"restoring the .NET Interactive kernel {version} (dotnet tool restore in {root}) ...");
            var (code, output) = DotnetCli.Run(root, "tool", "restore");
            if (code != 0) throw new InvalidOperationException($"`dotnet tool restore` in {root} failed (exit {code}):\n{output}");
            entry = FindEntryAssembly(version)
                ?? throw new InvalidOperationException($"`dotnet tool restore` in {root} ran, but {PackageId} {version} is not in {DotnetCli.GlobalPackagesFolder()}.");
        }
        return new KernelTool(version, entry, manifest);
    }

    private static string? FindManifest(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, ".config", "dotnet-tools.json"), Path.Combine(dir.FullName, "dotnet-tools.json") })
                if (File.Exists(candidate) && TryReadVersion(candidate) is not null) return candidate;
        }
        return null;
    }

    private static string? TryReadVersion(string manifest)
    {
        try { return ReadVersion(manifest); }
        catch (InvalidDataException) { return null; }
    }

    private static string ReadVersion(string manifest)
    {
        try
        {
            var tools = JsonNode.Parse(File.ReadAllText(manifest))?["tools"] as JsonObject;
            var entry = tools?.FirstOrDefault(t => string.Equals(t.Key, PackageId, StringComparison.OrdinalIgnoreCase)).Value;
            return entry?["version"]?.GetValue<string>() ?? throw new InvalidDataException($"{manifest}: no \"{PackageId}\" tool with a \"version\".");
        }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{manifest}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>The entry assembly named by the tool package's DotnetToolSettings.xml, or null when the package is not restored.</summary>
    private static string? FindEntryAssembly(string version)
    {
        var tools = Path.Combine(DotnetCli.GlobalPackagesFolder(), PackageId, version.ToLowerInvariant(), "tools");
        if (!Directory.Exists(tools)) return null;
        foreach (var settings in Directory.EnumerateFiles(tools, "DotnetToolSettings.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Reverse())
        {
            var command = XDocument.Load(settings).Descendants("Command").FirstOrDefault();
            var entry = command?.Attribute("EntryPoint")?.Value;
            if (entry is null) continue;
            var path = Path.Combine(Path.GetDirectoryName(settings)!, entry);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
