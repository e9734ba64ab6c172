using System.Text.Json;
using PromptLearning.Claims;
using PromptLearning.Data;
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
        // plearn claims --parallel reads each child's report back from this JSON.
        var back = Assert.Single(ClaimReport.FromJson(ClaimReport.ToJson([report]), "test"));
        Assert.Equal(ClaimReport.ToJson([report]), ClaimReport.ToJson([back]));
    }

    [Fact]
    public void ReadingAClaimsDocumentNamesItsSourceWhenItIsNotOne()
    {
        Assert.Contains("child 3", Assert.Throws<FormatException>(() => ClaimReport.FromJson("", "child 3")).Message);
        Assert.Contains("claims.json", Assert.Throws<FormatException>(() => ClaimReport.FromJson("{}", "claims.json")).Message);
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
        // fewer seeds than the claim needs: the next ones after the largest are added
        var extended = PaperClaims.PrefixInit([4], PrefixInitConfig.Tiny with { MinSeeds = 2 });
        Assert.Equal(new[] { 4, 5 }, extended.Runs.Select(r => r.Seed));
        Assert.True(extended.Checks[0].Holds);
    }

    [Fact]
    public void PetFewShotRunsOnATinyBudget()
    {
        var report = PaperClaims.PetFewShot([4], PetFewShotConfig.Tiny);
        AssertReport(report, [4]);
        // The ensembles PET and iPET distilled are reported beside the classifiers, with no bar of their own.
        Assert.Contains("rating_pet_ensemble", report.Runs[0].Values.Keys);
        Assert.Contains("rating_ipet_ensemble", report.Runs[0].Values.Keys);
        Assert.DoesNotContain(report.Checks, c => c.Bar.Contains("ensemble"));
    }

    /// <summary>Each task of the PET claim runs on its own backbone (with its own tokenizer), and the report names both.</summary>
    [Fact]
    public void PetFewShotRunsEachTaskOnItsOwnModel()
    {
        var config = PetFewShotConfig.Tiny with { Tasks = [new(EmbeddedData.Rating, "bert-small"), new(EmbeddedData.Aspect, "bert-base")] };
        var report = PaperClaims.PetFewShot([1], config);
        AssertReport(report, [1]);
        Assert.Equal("rating: bert-small, aspect: bert-base", report.Model);
        Assert.Contains("rating_pet", report.Runs[0].Values.Keys);
        Assert.Contains("aspect_pet", report.Runs[0].Values.Keys);
        Assert.Equal(8, report.Checks.Count);
        var twice = PetFewShotConfig.Tiny with { Tasks = [new(EmbeddedData.Rating, "bert-small"), new(EmbeddedData.Rating, "bert-base")] };
        var e = Assert.Throws<ArgumentException>(() => PaperClaims.PetFewShot([1], twice));
        Assert.Contains("'rating'", e.Message);
        Assert.Contains("PetFewShotConfig.Tasks", e.Message);
    }

    [Fact]
    public void PTuningV2RunsOnATinyBudget()
    {
        var log = new StringWriter();
        AssertReport(PaperClaims.PTuningV2([1], DeepPromptsConfig.Tiny with { TaggingSteps = 3 }, log), [1]);
        // slot tagging trains its own number of steps; the classification task keeps Steps and DeepSteps (2)
        Assert.Contains("[slots_p_tuning_v2] 3 steps", log.ToString());
        Assert.Contains("[slots_finetune] 3 steps", log.ToString());
        Assert.Contains("[aspect_finetune] 2 steps", log.ToString());
    }

    /// <summary>The report functions the notebooks call check each bar on the means of the runs they are given.</summary>
    [Fact]
    public void ReportFunctionsCheckTheirBarsOnTheMeansOfTheGivenRuns()
    {
        static ClaimRun Run(int seed, params (string Key, double Value)[] values) => new(seed, values.ToDictionary(v => v.Key, v => v.Value));
        // input prompts: prompt tuning 0.62 (start 0.50), P-tuning 0.40 (start 0.38); majority 0.30
        var input = PaperClaims.InputPromptsReport("m", "aspect",
        [
            Run(0, ("majority", 0.30), ("prompt_tuning", 0.60), ("prompt_tuning_untrained", 0.52), ("p_tuning", 0.42), ("p_tuning_untrained", 0.36)),
            Run(1, ("majority", 0.30), ("prompt_tuning", 0.64), ("prompt_tuning_untrained", 0.48), ("p_tuning", 0.38), ("p_tuning_untrained", 0.40)),
        ]);
        Assert.Equal([true, true, false, false], input.Checks.Select(c => c.Holds));
        Assert.Equal("fails", input.Verdict);
        Assert.Contains("aspect", input.Title);
        // P-tuning v2: 0.70 vs fine-tuning 0.74 and prompt tuning 0.62; slots 0.90 vs 0.96
        var v2 = PaperClaims.PTuningV2Report("m", "aspect",
            [Run(0, ("aspect_p_tuning_v2", 0.70), ("aspect_finetune", 0.74), ("aspect_prompt_tuning", 0.62), ("slots_p_tuning_v2", 0.90), ("slots_finetune", 0.96))]);
        Assert.Equal([true, false, false], v2.Checks.Select(c => c.Holds));
        // prefix: 0.50 BLEU vs untrained 0.25 and fine-tuning 0.52
        var prefix = PaperClaims.PrefixTableToTextReport("m",
            [Run(0, ("prefix_dev_bleu", 0.50), ("untrained_dev_bleu", 0.25), ("finetune_dev_bleu", 0.52))]);
        Assert.Equal("holds", prefix.Verdict);
        var e = Assert.Throws<KeyNotFoundException>(() => PaperClaims.PrefixTableToTextReport("m", [Run(3, ("prefix_dev_bleu", 0.5))]));
        Assert.Contains("untrained_dev_bleu", e.Message);
        Assert.Contains("seed 3", e.Message);
    }

    [Fact]
    public void EveryRegisteredClaimHasAUniqueIdAndUnknownIdsAreNamed()
    {
        var ids = PaperClaims.All.Select(c => c.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var e = Assert.Throws<ArgumentException>(() => PaperClaims.ById("nope"));
        Assert.Contains("nope", e.Message);
        Assert.Contains(ids[0], e.Message);
    }

    /// <summary>
    /// <c>plearn claims --parallel</c> runs each seed of these claims in its own process and merges the runs with the
    /// claim's <see cref="ClaimDefinition.Report"/>: the merged report must be the one a single run gives.
    /// </summary>
    [Theory]
    [InlineData("pet")]
    [InlineData("prefix")]
    [InlineData("prefix-length")]
    [InlineData("p-tuning-v2")]
    [InlineData("input-prompts")]
    public void SeedsRunApartMergeIntoTheReportOfOneRun(string id)
    {
        var claim = PaperClaims.ById(id);
        var options = new ClaimRunOptions(Tiny: true);
        var whole = claim.Run([0, 1], options, null);
        var apart = new[] { 0, 1 }.Select(seed => claim.Run([seed], options, null)).ToList();
        var merged = claim.Report!(apart[0].Model, apart.SelectMany(r => r.Runs).ToList(), options);
        Assert.Equal(ClaimReport.ToJson([whole with { Seconds = 0 }]), ClaimReport.ToJson([merged]));
    }

    [Fact]
    public void PrefixInitDoesNotRunItsSeedsApart() => Assert.Null(PaperClaims.ById("prefix-init").Report);

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

/// <summary>The text table prints per-seed values rounded as the notebooks' tables round them.</summary>
public class ClaimTableTests
{
    [Fact]
    public void PerSeedValuesAreRoundedNotTruncatedByTheirBinaryForm()
    {
        var report = new ClaimReport
        {
            Id = "demo", Title = "demo claim", Model = "none", Seconds = 0,
            Runs = [new ClaimRun(0, new Dictionary<string, double> { ["acc"] = 630.0 / 800 }),
                    new ClaimRun(1, new Dictionary<string, double> { ["acc"] = 0.5 })],
            Checks = [new ClaimCheck("acc >= 0.6", "0.644", true)],
        };
        Assert.Equal("0.787", (630.0 / 800).ToString("F3", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("per seed: 0.788, 0.500", ClaimReport.ToTable([report]));
    }
}
