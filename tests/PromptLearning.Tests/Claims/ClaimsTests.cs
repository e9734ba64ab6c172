using System.Text.Json;
using PromptLearning.Claims;
using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Claims;

/// <summary>Each claim function runs on a tiny budget and reports per-seed values, a summary and checks (not its outcome).</summary>
public class ClaimsTests
{
    public ClaimsTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    private static void AssertReport(ClaimReport report, int[] seeds)
    {
        Assert.Equal(seeds, report.Runs.Select(r => r.Seed));
        Assert.NotEmpty(report.Checks);
        Assert.All(report.Runs, r => Assert.All(r.Values.Values, v => Assert.True(double.IsFinite(v))));
        Assert.Equal(report.Runs[0].Values.Keys.Order(), report.Summary.Keys.Order());
        Assert.Contains(report.Verdict, new[] { "holds", "fails" });
        using var doc = JsonDocument.Parse(ClaimReport.ToJson([report]));
        var claim = doc.RootElement.GetProperty("claims")[0];
        Assert.Equal(report.Id, claim.GetProperty("id").GetString());
        Assert.Equal(seeds.Length, claim.GetProperty("runs").GetArrayLength());
        Assert.True(claim.GetProperty("summary").EnumerateObject().Any());
        Assert.Contains(report.Id, ClaimReport.ToTable([report]));
    }

    [Fact]
    public void PrefixTableToTextRunsOnATinyBudget() =>
        AssertReport(PaperClaims.PrefixTableToText([3, 4], PrefixTableToTextConfig.Tiny), [3, 4]);

    [Fact]
    public void InputPromptsRunsOnATinyBudget() =>
        AssertReport(PaperClaims.InputPrompts([5], InputPromptsConfig.Tiny), [5]);

    [Fact]
    public void PrefixLengthRunsOnATinyBudget() =>
        AssertReport(PaperClaims.PrefixLength([2], PrefixLengthConfig.Tiny), [2]);

    [Fact]
    public void PrefixInitRunsOnATinyBudgetAndStatesAFinding()
    {
        var report = PaperClaims.PrefixInit([0, 1], PrefixInitConfig.Tiny);
        AssertReport(report, [0, 1]);
        Assert.Matches("holds|refuted", report.Finding);
    }

    [Fact]
    public void PetFewShotRunsOnATinyBudget() =>
        AssertReport(PaperClaims.PetFewShot([4], PetFewShotConfig.Tiny), [4]);

    [Fact]
    public void PTuningV2RunsOnATinyBudget() =>
        AssertReport(PaperClaims.PTuningV2([1], DeepPromptsConfig.Tiny), [1]);

    [Fact]
    public void EveryRegisteredClaimHasAUniqueIdAndUnknownIdsAreNamed()
    {
        var ids = PaperClaims.All.Select(c => c.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var e = Assert.Throws<ArgumentException>(() => PaperClaims.ById("nope"));
        Assert.Contains("nope", e.Message);
        Assert.Contains(ids[0], e.Message);
    }

    [Theory]
    [InlineData("input-prompts", true)]
    [InlineData("pet", true)]
    [InlineData("p-tuning-v2", true)]
    [InlineData("prefix", false)]
    [InlineData("prefix-length", false)]
    [InlineData("prefix-init", false)]
    public void ClaimsRunOnTheModelTheOptionsName(string id, bool maskedLm)
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N"));
        var options = maskedLm ? new ClaimRunOptions(Tiny: true, MaskedLm: missing) : new ClaimRunOptions(Tiny: true, CausalLm: missing);
        var e = Assert.ThrowsAny<Exception>(() => PaperClaims.ById(id).Run([0], options, null));
        Assert.Contains(Path.GetFileName(missing), e.Message);
    }
}
