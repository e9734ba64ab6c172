using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace PromptLearning.Notebooks;

/// <summary>
/// The repository's local NuGet feed, <c>artifacts/packages</c>, from which notebooks get the
/// library: <c>notebooks/nuget.config</c> adds that folder as a package source (relative to the
/// config file, which the real kernel honours where it rejects a relative <c>#i "nuget:"</c>), and
/// the first cell asks for <c>#r "nuget: PromptLearning.Display, *-*"</c>, the newest build, which
/// brings the core <c>PromptLearning</c> package of the same version with it. Every package in
/// <see cref="Packages"/> is packed together under one version, <c>&lt;base&gt;-local.&lt;UTC time&gt;</c>,
/// so neither NuGet's global packages folder nor a kernel can serve a stale copy under an old
/// version number; they are packed again only when their sources changed (a SHA-256 over them,
/// kept in <c>PromptLearning.stamp</c>), and older local builds are removed from the feed.
/// </summary>
public static class LocalFeed
{
    /// <summary>The core library's package id (TorchSharp and Microsoft.ML.Tokenizers only).</summary>
    public const string LibraryPackage = "PromptLearning";

    /// <summary>The package notebooks reference: charts and tables, depending on <see cref="LibraryPackage"/>.</summary>
    public const string DisplayPackage = "PromptLearning.Display";

    /// <summary>The packages the feed serves, each from <c>src/&lt;id&gt;/&lt;id&gt;.csproj</c>, in packing order (a package after those it depends on).</summary>
    public static readonly IReadOnlyList<string> Packages = [LibraryPackage, DisplayPackage];

    /// <summary>The feed folder of a repository.</summary>
    public static string Folder(string repoRoot) => Path.Combine(repoRoot, "artifacts", "packages");

    /// <summary>Packs <see cref="Packages"/> into the feed when their sources changed; returns the version the feed serves. Throws <see cref="InvalidOperationException"/> with dotnet's output when a pack fails.</summary>
    public static string Pack(string repoRoot, TextWriter log)
    {
        var feed = Folder(repoRoot);
        var stampPath = Path.Combine(feed, LibraryPackage + ".stamp");
        var hash = SourceHash(repoRoot);
        if (File.Exists(stampPath) && File.ReadAllText(stampPath).Split(' ') is [var h, var v] && h == hash && AllPacked(feed, v.Trim()))
        {
            log.WriteLine($"{string.Join(", ", Packages)} {v.Trim()} in {feed} is up to date");
            return v.Trim();
        }

        var version = $"{BaseVersion(repoRoot)}-local.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var clock = Stopwatch.StartNew();
        foreach (var package in Packages)
        {
            var project = Path.Combine(repoRoot, "src", package, package + ".csproj");
            log.WriteLine($"packing {package} {version} into {feed} ...");
            var (code, output) = DotnetCli.Run(repoRoot, "pack", project, "-c", "Release", "-o", feed, $"-p:Version={version}", "--nologo", "-v", "q");
            if (code != 0) throw new InvalidOperationException($"dotnet pack of {project} failed (exit {code}):\n{output}");
            foreach (var old in Directory.EnumerateFiles(feed, $"{package}.*.nupkg"))
                if (Path.GetFileName(old) != $"{package}.{version}.nupkg" && IsBuildOf(old, package)) File.Delete(old);
        }
        var temp = stampPath + ".tmp";
        File.WriteAllText(temp, $"{hash} {version}");
        File.Move(temp, stampPath, overwrite: true);
        log.WriteLine($"packed in {clock.Elapsed.TotalSeconds:F1} s");
        return version;
    }

    /// <summary>The version of the packages the feed serves now (from its stamp), or null when they were never packed.</summary>
    public static string? CurrentVersion(string repoRoot)
    {
        var stamp = Path.Combine(Folder(repoRoot), LibraryPackage + ".stamp");
        return File.Exists(stamp) && File.ReadAllText(stamp).Split(' ') is [_, var v]
               && AllPacked(Folder(repoRoot), v.Trim()) ? v.Trim() : null;
    }

    /// <summary>Whether the feed holds every package of <see cref="Packages"/> at <paramref name="version"/>.</summary>
    private static bool AllPacked(string feed, string version) =>
        Packages.All(p => File.Exists(Path.Combine(feed, $"{p}.{version}.nupkg")));

    /// <summary>Whether a file in the feed is a build of <paramref name="package"/> itself (not e.g. PromptLearning.Display for PromptLearning).</summary>
    private static bool IsBuildOf(string nupkg, string package)
    {
        var rest = Path.GetFileNameWithoutExtension(nupkg)[(package.Length + 1)..];
        return rest.Length > 0 && char.IsDigit(rest[0]);
    }

    /// <summary>The <c>&lt;Version&gt;</c> of Directory.Build.props (0.1.0 when absent).</summary>
    private static string BaseVersion(string repoRoot)
    {
        var props = Path.Combine(repoRoot, "Directory.Build.props");
        if (!File.Exists(props)) return "0.1.0";
        var match = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(props), @"<Version>([^<-]+)");
        return match.Success ? match.Groups[1].Value.Trim() : "0.1.0";
    }

    /// <summary>SHA-256 over the packages' sources (paths and contents) and the build props they depend on.</summary>
    public static string SourceHash(string repoRoot)
    {
        var files = Packages.Select(p => Path.Combine(repoRoot, "src", p)).Where(Directory.Exists)
            .SelectMany(src => Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Append(Path.Combine(repoRoot, "Directory.Build.props"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(repoRoot, f).Replace('\\', '/') + "\n"));
            sha.AppendData(File.ReadAllBytes(f));
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
