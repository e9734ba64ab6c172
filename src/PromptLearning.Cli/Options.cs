namespace PromptLearning.Cli;

/// <summary>A small <c>--name value</c> / <c>--flag</c> parser shared by the commands.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string?> _named = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positional { get; } = new();

    public Options(string[] args, params string[] flags)
    {
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) { Positional.Add(a); continue; }
            var eq = a.IndexOf('=');
            if (eq > 0) { _named[a[2..eq]] = a[(eq + 1)..]; continue; }
            var name = a[2..];
            if (flags.Contains(name) || i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) _named[name] = null;
            else _named[name] = args[++i];
        }
    }

    public bool Has(string name) { _used.Add(name); return _named.ContainsKey(name); }

    /// <summary>The value of <c>--name</c>, or null when it is absent or a flag; an empty value is a usage error.</summary>
    public string? Get(string name)
    {
        _used.Add(name);
        if (!_named.TryGetValue(name, out var v)) return null;
        if (v is { Length: 0 }) throw new CliUsageException($"--{name} expects a value, got an empty string");
        return v;
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public string Require(string name) => Get(name) ?? throw new CliUsageException($"missing --{name}");

    /// <summary>The integer value of <c>--name</c> (or <paramref name="fallback"/>), which must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var v = Get(name);
        if (v is null) return fallback;
        if (!int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n))
            throw new CliUsageException($"--{name} expects an integer, got '{v}'");
        if (n < min || n > max)
            throw new CliUsageException($"--{name} expects an integer {Range(min, max, int.MinValue, int.MaxValue)}, got {n}");
        return n;
    }

    /// <summary>The finite number <c>--name</c> (or <paramref name="fallback"/>), which must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double GetDouble(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        var v = Get(name);
        if (v is null) return fallback;
        if (!double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
            throw new CliUsageException($"--{name} expects a finite number, got '{v}'");
        if (d < min || d > max)
            throw new CliUsageException($"--{name} expects a number {Range(min, max, double.MinValue, double.MaxValue)}, got {v}");
        return d;
    }

    private static string Range<T>(T min, T max, T lowest, T highest) where T : IEquatable<T> =>
        min.Equals(lowest) ? $"at most {max}" : max.Equals(highest) ? $"of at least {min}" : $"from {min} to {max}";

    /// <summary>
    /// The folder <c>--name</c> (or <paramref name="fallback"/>; required when that is null) names for
    /// the command's outputs, checked before any work: created if absent, and a file written and
    /// deleted in it; an existing file or an unwritable place is a usage error.
    /// </summary>
    public string OutputFolder(string name, string? fallback = null)
    {
        var folder = Get(name) ?? fallback ?? throw new CliUsageException($"missing --{name}");
        if (File.Exists(folder)) throw new CliUsageException($"--{name} '{folder}' is an existing file, not a folder");
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".plearn-write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--{name} '{folder}' is not a writable folder: {e.Message}");
        }
        return folder;
    }

    /// <summary>Fails on options no command asked for (call after reading all of them).</summary>
    public void RejectUnknown()
    {
        var unknown = _named.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new CliUsageException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
    }
}
