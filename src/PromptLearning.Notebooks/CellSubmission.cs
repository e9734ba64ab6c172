using System.Text;
using System.Text.RegularExpressions;

namespace PromptLearning.Notebooks;

/// <summary>A <c>#r "nuget: Name, Version"</c> request (Version null = latest).</summary>
public sealed record PackageRequest(string Name, string? Version)
{
    /// <inheritdoc />
    public override string ToString() => Version is null ? Name : $"{Name}, {Version}";
}

/// <summary>
/// A code cell split as the real C# kernel splits a submission: a kernel-selecting first line
/// (<c>#!csharp</c>), <c>#!time</c>, and the hoisted <c>#r "nuget:"</c> / <c>#i "nuget:"</c>
/// directives come out; the rest (including <c>#r "path.dll"</c>) goes to Roslyn unchanged. Removed
/// lines become blank lines so that compiler line numbers still match the cell.
/// </summary>
public sealed partial class CellSubmission
{
    /// <summary>The kernel this cell runs in (<c>csharp</c> unless a <c>#!name</c> first line or metadata says otherwise).</summary>
    public string Kernel { get; }
    /// <summary>Code handed to Roslyn.</summary>
    public string Code { get; }
    /// <summary>Packages from <c>#r "nuget:"</c> lines, in order.</summary>
    public IReadOnlyList<PackageRequest> Packages { get; }
    /// <summary>Package sources from <c>#i "nuget:"</c> lines, as written.</summary>
    public IReadOnlyList<string> Sources { get; }
    /// <summary>Whether <c>#!time</c> was given.</summary>
    public bool Time { get; }

    private CellSubmission(string kernel, string code, List<PackageRequest> packages, List<string> sources, bool time)
    {
        Kernel = kernel; Code = code; Packages = packages; Sources = sources; Time = time;
    }

    [GeneratedRegex("""^#r\s+"nuget:\s*(?<name>[^,"\s]+)\s*(,\s*(?<version>[^"\s]+)\s*)?"\s*$""")]
    private static partial Regex NuGetReference();

    [GeneratedRegex("""^#i\s+"nuget:\s*(?<source>[^"]+?)\s*"\s*$""")]
    private static partial Regex NuGetSource();

    private static readonly string[] CSharpNames = ["csharp", "c#", "C#"];

    /// <summary>Parses a code cell's source; <paramref name="metadataKernel"/> is the kernel from cell or notebook metadata.</summary>
    /// <exception cref="FormatException">A magic command this runner does not support (message names it).</exception>
    public static CellSubmission Parse(string source, string metadataKernel)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        string kernel = CSharpNames.Contains(metadataKernel) ? "csharp" : metadataKernel;
        var packages = new List<PackageRequest>();
        var sources = new List<string>();
        bool time = false;
        var code = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimEnd();
            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                var magic = trimmed[2..].Split(' ', 2)[0];
                if (i == 0 && magic != "time") kernel = CSharpNames.Contains(magic) ? "csharp" : magic;
                else if (magic == "time") time = true;
                else throw new FormatException($"line {i + 1}: the magic command '#!{magic}' is not supported by the headless runner.");
                line = "";
            }
            else if (NuGetReference().Match(trimmed) is { Success: true } r)
            {
                packages.Add(new PackageRequest(r.Groups["name"].Value, r.Groups["version"].Success ? r.Groups["version"].Value : null));
                line = "";
            }
            else if (NuGetSource().Match(trimmed) is { Success: true } s)
            {
                sources.Add(s.Groups["source"].Value);
                line = "";
            }
            else if (trimmed.StartsWith("#i ", StringComparison.Ordinal))
            {
                throw new FormatException($"line {i + 1}: only '#i \"nuget: <source>\"' is supported, got '{trimmed}'.");
            }
            code.Append(line);
            if (i < lines.Length - 1) code.Append('\n');
        }
        return new CellSubmission(kernel, code.ToString(), packages, sources, time);
    }
}
