namespace PromptLearning.Tests;

/// <summary>
/// Locates the Hugging Face reference fixtures: <c>HF_FIXTURES</c> when set, else
/// <c>../shared/fixtures/hf-tiny</c> from the repository root. Tests that need them use
/// <see cref="FixtureFactAttribute"/>: skipped with a visible reason where the folder is absent,
/// except under CI (<c>CI=true</c>), where they run and fail.
/// </summary>
public static class HfFixtures
{
    /// <summary>The fixture root (may not exist).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>True when the fixture root exists.</summary>
    public static bool Available => Directory.Exists(Root);

    /// <summary>True when running under CI, where absent fixtures are a failure.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The folder of one fixture model (<c>bert</c>, <c>roberta</c>, <c>gpt2</c>); fails when absent.</summary>
    public static string Model(string name)
    {
        var dir = Path.Combine(Root, name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"HF fixture folder '{dir}' is absent (set HF_FIXTURES or add ../shared/fixtures/hf-tiny next to the repository).");
        return dir;
    }

    /// <summary>A JSON file of one fixture model (e.g. <c>config.json</c>, <c>expected.json</c>), so tests derive their expectations from the set they read.</summary>
    public static System.Text.Json.JsonElement Json(string model, string file)
    {
        var path = Path.Combine(Model(model), file);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    /// <summary>The id of special token <paramref name="token"/> as the fixture's <c>expected.json</c> lists it (<c>special_token_ids</c>).</summary>
    public static int SpecialTokenId(string model, string token) =>
        Json(model, "expected.json").GetProperty("special_token_ids").TryGetProperty(token, out var id)
            ? id.GetInt32()
            : throw new KeyNotFoundException($"{Path.Combine(Model(model), "expected.json")}: special_token_ids has no '{token}'");

    static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("HF_FIXTURES");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Notebooks.sln"))) dir = dir.Parent;
        var repo = dir?.FullName ?? Directory.GetCurrentDirectory();
        return Path.GetFullPath(Path.Combine(repo, "..", "shared", "fixtures", "hf-tiny"));
    }
}

/// <summary>A fact that needs the HF fixtures: skipped (visibly) without them, unless <c>CI=true</c>.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute()
    {
        if (!HfFixtures.Available && !HfFixtures.IsCi)
            Skip = $"HF fixtures not found at '{HfFixtures.Root}' (set HF_FIXTURES); skipped outside CI.";
    }
}

/// <summary>A theory that needs the HF fixtures: skipped (visibly) without them, unless <c>CI=true</c>.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute()
    {
        if (!HfFixtures.Available && !HfFixtures.IsCi)
            Skip = $"HF fixtures not found at '{HfFixtures.Root}' (set HF_FIXTURES); skipped outside CI.";
    }
}
