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

    public string? Get(string name) { _used.Add(name); return _named.TryGetValue(name, out var v) ? v : null; }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public string Require(string name) => Get(name) ?? throw new CliUsageException($"missing --{name}");

    public int GetInt(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, out var n) ? n : throw new CliUsageException($"--{name} expects an integer, got '{v}'");
    }

    public double GetDouble(string name, double fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? d : throw new CliUsageException($"--{name} expects a number, got '{v}'");
    }

    /// <summary>Fails on options no command asked for (call after reading all of them).</summary>
    public void RejectUnknown()
    {
        var unknown = _named.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new CliUsageException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
    }
}
