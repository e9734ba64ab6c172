using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace PromptLearning.Notebooks;

/// <summary>
/// The repository's local NuGet feed, <c>artifacts/packages</c>, from which notebooks get the
/// library: <c>notebooks/nuget.config</c> adds that folder as a package source (relative to the
/// config file, which the real kernel honours where it rejects a relative <c>#i "nuget:"</c>), and
/// the first cell asks for <c>#r "nuget: PromptLearning, *-*"</c>, the newest build. Each pack gets a
/// version of its own, <c>&lt;base&gt;-local.&lt;UTC time&gt;</c>, so neither NuGet's global packages
/// folder nor a kernel can serve a stale copy under an old version number; the library is packed
/// again only when its sources changed (a SHA-256 over them, kept in <c>PromptLearning.stamp</c>),
/// and older local builds are removed from the feed.
/// </summary>
public static class LocalFeed
{
    /// <summary>The package id notebooks use for the library.</summary>
    public const string LibraryPackage = "PromptLearning";

    /// <summary>The feed folder of a repository.</summary>
    public static string Folder(string repoRoot) => Path.Combine(repoRoot, "artifacts", "packages");

    /// <summary>Packs the library into the feed when its sources changed; returns the version the feed serves. Throws <see cref="InvalidOperationException"/> with dotnet's output when the pack fails.</summary>
    public static string Pack(string repoRoot, TextWriter log)
    {
        var feed = Folder(repoRoot);
        var project = Path.Combine(repoRoot, "src", LibraryPackage, LibraryPackage + ".csproj");
        var stampPath = Path.Combine(feed, LibraryPackage + ".stamp");
        var hash = SourceHash(repoRoot);
        if (File.Exists(stampPath) && File.ReadAllText(stampPath).Split(' ') is [var h, var v] && h == hash
            && File.Exists(Path.Combine(feed, $"{LibraryPackage}.{v.Trim()}.nupkg")))
        {
            log.WriteLine($"{LibraryPackage} {v.Trim()} in {feed} is up to date");
            return v.Trim();
        }

        var version = $"{BaseVersion(repoRoot)}-local.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var clock = Stopwatch.StartNew();
        log.WriteLine($"packing {LibraryPackage} {version} into {feed} ...");
        var (code, output) = DotnetCli.Run(repoRoot, "pack", project, "-c", "Release", "-o", feed, $"-p:Version={version}", "--nologo", "-v", "q");
        if (code != 0) throw new InvalidOperationException($"dotnet pack of {project} failed (exit {code}):\n{output}");
        foreach (var old in Directory.EnumerateFiles(feed, $"{LibraryPackage}.*.nupkg"))
            if (Path.GetFileName(old) != $"{LibraryPackage}.{version}.nupkg" && IsLibraryPackage(old)) File.Delete(old);
        var temp = stampPath + ".tmp";
        File.WriteAllText(temp, $"{hash} {version}");
        File.Move(temp, stampPath, overwrite: true);
        log.WriteLine($"packed in {clock.Elapsed.TotalSeconds:F1} s");
        return version;
    }

    /// <summary>The version of the library the feed serves now (from its stamp), or null when it was never packed.</summary>
    public static string? CurrentVersion(string repoRoot)
    {
        var stamp = Path.Combine(Folder(repoRoot), LibraryPackage + ".stamp");
        return File.Exists(stamp) && File.ReadAllText(stamp).Split(' ') is [_, var v]
               && File.Exists(Path.Combine(Folder(repoRoot), $"{LibraryPackage}.{v.Trim()}.nupkg")) ? v.Trim() : null;
    }

    /// <summary>Whether a file in the feed is a build of the library itself (not e.g. PromptLearning.Display).</summary>
    private static bool IsLibraryPackage(string nupkg)
    {
        var rest = Path.GetFileNameWithoutExtension(nupkg)[(LibraryPackage.Length + 1)..];
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

    /// <summary>SHA-256 over the library's sources (paths and contents) and the build props they depend on.</summary>
    public static string SourceHash(string repoRoot)
    {
        var src = Path.Combine(repoRoot, "src", LibraryPackage);
        var files = Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories)
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
