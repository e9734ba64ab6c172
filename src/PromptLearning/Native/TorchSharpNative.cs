using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PromptLearning.Native;

/// <summary>
/// Makes TorchSharp 0.107.0 load on Linux systems whose libstdc++ predates GCC 13 (Debian 12,
/// Ubuntu 22.04). <c>libLibTorchSharp.so</c> lists a version need on <c>GLIBCXX_3.4.32</c> for the
/// single symbol <c>std::ios_base_library_init</c>, which is never bound or called. When (and only
/// when) the libstdc++ the process loads lacks that version, a private copy of the library is made
/// with that one version need marked weak, and it is loaded, with libtorch's own libraries, before
/// TorchSharp's loader runs; TorchSharp's <c>DllImport("LibTorchSharp")</c> then binds to it by soname.
/// On Windows, macOS and newer Linux this does nothing.
/// </summary>
public static class TorchSharpNative
{
    /// <summary>The one version need that may be weakened: its only symbol is never called.</summary>
    public const string WeakenableVersion = "GLIBCXX_3.4.32";

    private static readonly object Gate = new();
    private static string? _status;

    /// <summary>What <see cref="EnsureLoaded"/> did, for diagnostics (null before it ran).</summary>
    public static string? Status => _status;

    /// <summary>Runs <see cref="EnsureLoaded"/> as soon as this assembly is used.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255")]
    internal static void Initialize()
    {
        try { EnsureLoaded(); }
        catch (Exception e) { _status = "failed: " + e.Message; }
    }

    /// <summary>
    /// Prepares the native TorchSharp libraries for this process. Safe to call many times; must run
    /// before the first <c>torch.*</c> call. Throws <see cref="InvalidOperationException"/> with the
    /// paths involved when a patch is needed but cannot be applied.
    /// </summary>
    public static string EnsureLoaded()
    {
        lock (Gate)
        {
            if (_status is not null && !_status.StartsWith("failed", StringComparison.Ordinal)) return _status;
            _status = Load();
            return _status;
        }
    }

    private static string Load()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return "not needed (not linux-x64)";

        string? libstdcxx = FindLoadedLibrary("libstdc++.so.6");
        if (libstdcxx is null) return "not needed (no libstdc++ found)";
        var defined = ElfVersions.ReadDefinedVersions(libstdcxx);
        if (defined.Contains(WeakenableVersion)) return $"not needed ({libstdcxx} defines {WeakenableVersion})";

        string torchSharpLib = FindTorchSharpNative()
            ?? throw new InvalidOperationException(
                "libLibTorchSharp.so was not found next to the application, under runtimes/linux-x64/native, " +
                "or in the NuGet package folder (torchsharp/0.107.0).");
        var needed = ElfVersions.ReadNeededVersions(torchSharpLib, "libstdc++.so.6");
        var missing = needed.Where(v => !defined.Contains(v)).ToList();
        if (missing.Count == 0) return $"not needed ({libstdcxx} has every version {torchSharpLib} needs)";
        if (missing.Any(v => v != WeakenableVersion))
            throw new InvalidOperationException(
                $"{libstdcxx} lacks {string.Join(", ", missing)} needed by {torchSharpLib}; only {WeakenableVersion} is known to be safe to ignore.");

        string patched = PatchedCopy(torchSharpLib);
        string libtorchDir = FindLibTorchDir(Path.GetDirectoryName(torchSharpLib)!)
            ?? throw new InvalidOperationException(
                $"libtorch's native libraries (libtorch_cpu.so) were not found near {torchSharpLib} or in the NuGet package folder (libtorch-cpu-linux-x64).");
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            NativeLibrary.Load(Path.Combine(libtorchDir, name));
        NativeLibrary.Load(patched);
        return $"patched: loaded {patched} ({WeakenableVersion} marked weak; {libstdcxx} lacks it)";
    }

    /// <summary>Copies the library into a private cache folder and weakens the version need there.</summary>
    private static string PatchedCopy(string source)
    {
        var info = new FileInfo(source);
        string key = $"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}";
        string root = Environment.GetEnvironmentVariable("PROMPTLEARNING_NATIVE_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "promptlearning", "native");
        string dir = Path.Combine(root, key);
        string target = Path.Combine(dir, "libLibTorchSharp.so");
        if (File.Exists(target) && ElfVersions.IsWeak(target, WeakenableVersion)) return target;
        Directory.CreateDirectory(dir);
        string temp = target + "." + Environment.ProcessId + ".tmp";
        File.Copy(source, temp, overwrite: true);
        if (!ElfVersions.MarkNeedWeak(temp, WeakenableVersion))
            throw new InvalidOperationException($"{source} has no version need {WeakenableVersion} to mark weak.");
        File.Move(temp, target, overwrite: true);
        return target;
    }

    private static IEnumerable<string> NuGetRoots()
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    private static string? FindTorchSharpNative()
    {
        const string file = "libLibTorchSharp.so";
        var candidates = new List<string>();
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            candidates.Add(Path.Combine(dir, file));
            candidates.Add(Path.Combine(dir, "runtimes", "linux-x64", "native", file));
            candidates.Add(Path.Combine(dir, "cpu", file));
            // NuGet cache layout: torchsharp/<ver>/lib/<tfm>/TorchSharp.dll -> torchsharp/<ver>/runtimes/linux-x64/native
            candidates.Add(Path.GetFullPath(Path.Combine(dir, "..", "..", "runtimes", "linux-x64", "native", file)));
        }
        string version = TorchSharpVersion();
        foreach (var root in NuGetRoots())
            candidates.Add(Path.Combine(root, "torchsharp", version, "runtimes", "linux-x64", "native", file));
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string? FindLibTorchDir(string torchSharpDir)
    {
        if (File.Exists(Path.Combine(torchSharpDir, "libtorch_cpu.so"))) return torchSharpDir;
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") })
            if (File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) return dir;
        foreach (var root in NuGetRoots())
        {
            var pkg = Path.Combine(root, "libtorch-cpu-linux-x64");
            if (!Directory.Exists(pkg)) continue;
            foreach (var ver in Directory.GetDirectories(pkg).OrderByDescending(d => d, StringComparer.Ordinal))
            {
                var native = Path.Combine(ver, "runtimes", "linux-x64", "native");
                if (File.Exists(Path.Combine(native, "libtorch_cpu.so"))) return native;
            }
        }
        return null;
    }

    private static string TorchSharpVersion()
    {
        var v = typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (v is null) return "0.107.0";
        int plus = v.IndexOf('+');
        return plus >= 0 ? v[..plus] : v;
    }

    /// <summary>Finds the path of a shared library as the dynamic loader resolves it for this process.</summary>
    private static string? FindLoadedLibrary(string soname)
    {
        if (!NativeLibrary.TryLoad(soname, out _)) return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            string path = line[slash..];
            if (Path.GetFileName(path).StartsWith(soname[..(soname.IndexOf(".so", StringComparison.Ordinal) + 3)], StringComparison.Ordinal)) return path;
        }
        return null;
    }
}
