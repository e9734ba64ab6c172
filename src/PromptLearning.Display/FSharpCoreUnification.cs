using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace PromptLearning.Display;

/// <summary>
/// Lets Plotly.NET 6.0.0 (built against FSharp.Core 10.1) run in a process that already loaded an
/// older FSharp.Core 10.x, as the .NET Interactive kernel 1.0.712001 does (it ships FSharp.Core
/// 10.0). .NET never binds a request for a higher assembly version to a lower loaded one, so every
/// chart failed there with <c>FileNotFoundException: FSharp.Core, Version=10.1.0.0</c>; a second
/// copy cannot be loaded beside the kernel's either (the F# types would not be the kernel's).
/// When this assembly is first used, a <see cref="AssemblyLoadContext.Resolving"/> handler is
/// registered on the default context that answers an unresolved <c>FSharp.Core</c> request with the
/// FSharp.Core already loaded, when both have the same major version (the F# team keeps FSharp.Core
/// binary compatible within a major version). Elsewhere (the SDK, tests, <c>plearn</c>), the
/// requested version is found normally and the handler is never asked.
/// </summary>
public static class FSharpCoreUnification
{
    private const string Name = "FSharp.Core";
    private static int _registered;

    /// <summary>How many FSharp.Core requests were answered with the loaded copy (for diagnostics and tests).</summary>
    public static int Unified { get; private set; }

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255")]
    internal static void Initialize() => Register();

    /// <summary>Registers the handler (once per process; later calls do nothing).</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0) AssemblyLoadContext.Default.Resolving += Resolve;
    }

    /// <summary>The loaded FSharp.Core that can stand for <paramref name="requested"/>, or null.</summary>
    public static Assembly? Resolve(AssemblyLoadContext context, AssemblyName requested)
    {
        if (!string.Equals(requested.Name, Name, StringComparison.OrdinalIgnoreCase)) return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => string.Equals(a.GetName().Name, Name, StringComparison.OrdinalIgnoreCase))
            .Where(a => requested.Version is null || a.GetName().Version?.Major == requested.Version.Major)
            .OrderByDescending(a => a.GetName().Version)
            .FirstOrDefault();
        if (loaded is not null) Unified++;
        return loaded;
    }
}
