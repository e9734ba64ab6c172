using Microsoft.Data.Analysis;
using Plotly.NET;
using PromptLearning.Display;

namespace PromptLearning.Tests.Display;

public class DisplayTests
{
    private static string Html(GenericChart chart) => GenericChart.toChartHTML(chart);

    [Fact]
    public void VerdictsNeedThreeSeedsAndADifferenceLargerThanTheSpread()
    {
        // one or two seeds: no verdict, whatever the difference
        Assert.Contains("no verdict", Verdict.Compare("MLP", [0.50], "table", [0.40], "points", scale: 100, format: "F1"));
        Assert.Contains("+10.0 points from 1 seed", Verdict.Compare("MLP", [0.50], "table", [0.40], "points", scale: 100, format: "F1"));
        Assert.Contains("no verdict", Verdict.Compare("a", [1, 2], "b", [5, 6]));
        // three seeds, difference within the spread (sample std of a = 2)
        var close = Verdict.Compare("a", [10, 12, 14], "b", [11, 11, 11], "BLEU");
        Assert.StartsWith("a vs b: no difference at this budget (+1.00 BLEU, spread ±2.00 BLEU over 3 seeds)", close);
        // three seeds, difference larger than the spread: the winner is named whichever side it is on
        Assert.Equal("b beats a by 5.00 BLEU (spread ±2.00 BLEU over 3 seeds)", Verdict.Compare("a", [10, 12, 14], "b", [17, 17, 17], "BLEU"));
        var best = Verdict.Best("initialisation", [("random", [0.2, 0.3, 0.25]), ("labels", [0.6, 0.62, 0.61]), ("vocab", [0.4, 0.41, 0.42])], scale: 100, format: "F1");
        Assert.StartsWith("initialisation: highest mean labels (61.0); against the runner-up, labels beats vocab by 20.0", best);
        Assert.Throws<ArgumentException>(() => Verdict.Compare("a", [], "b", [1]));
    }

    [Fact]
    public void LineChartHasTitleAxisLabelsAndErrorBars()
    {
        var seeds = new IReadOnlyList<double>[] { [0.5, 0.7], [0.8, 0.8] };
        var series = Series.MeanStd("PET", [10, 100], seeds);
        Assert.Equal([0.6, 0.8], series.Y.Select(v => Math.Round(v, 10)));
        Assert.Equal([Math.Round(Math.Sqrt(0.02), 10), 0.0], series.YError!.Select(v => Math.Round(v, 10)));
        var html = Html(Charts.LineChart("Few-shot accuracy", new Axis("training examples", Log: true), new Axis("accuracy", "%"), series));
        Assert.Contains("Few-shot accuracy", html);
        Assert.Contains("training examples", html);
        Assert.Contains("accuracy (%)", html);
        Assert.Contains("\"error_y\"", html);
        Assert.Contains("\"type\":\"log\"", html);
        Assert.Contains("\"name\":\"PET\"", html);
    }

    [Fact]
    public void BarScatterAndRankingRender()
    {
        var bars = Html(Charts.BarChart("Accuracy by task", new Axis("task"), new Axis("accuracy", "%"), ["SST-2", "RTE"],
            new BarSeries("prompt tuning", [80, 60], [1, 2]), new BarSeries("fine-tuning", [85, 65])));
        Assert.Contains("\"type\":\"bar\"", bars);
        Assert.Contains("SST-2", bars);
        var scatter = Html(Charts.Scatter("Accuracy vs parameters", new Axis("trainable parameters", Log: true), new Axis("accuracy", "%"),
            [new LabeledPoint("prefix", 1e4, 70, "prompt"), new LabeledPoint("full", 1e8, 75, "fine-tuning")]));
        Assert.Contains("prefix", scatter);
        Assert.Contains("\"type\":\"log\"", scatter);
        var ranking = Html(Charts.Ranking("Top predictions", new Axis("probability"), [("good", 0.6), ("bad", 0.3)]));
        Assert.Contains("\"orientation\":\"h\"", ranking);
    }

    [Fact]
    public void MismatchedSeriesIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => Charts.LineChart("t", new Axis("x"), new Axis("y"), new Series("loss", [1, 2], [1])));
        Assert.Contains("loss", e.Message);
        Assert.Contains("2 x values but 1 y values", e.Message);
    }

    private sealed record Row(string Method, int Parameters, double Accuracy, bool Frozen);

    [Fact]
    public void RecordsBecomeTypedDataFrameColumns()
    {
        var df = Tables.ToDataFrame([new Row("PET", 1_000, 0.81, true), new Row("fine-tuning", 4_000_000, 0.85, false)]);
        Assert.Equal(["Method", "Parameters", "Accuracy", "Frozen"], df.Columns.Select(c => c.Name));
        Assert.IsType<StringDataFrameColumn>(df.Columns["Method"]);
        Assert.IsType<Int64DataFrameColumn>(df.Columns["Parameters"]);
        Assert.IsType<DoubleDataFrameColumn>(df.Columns["Accuracy"]);
        Assert.Equal(0.85, df.Columns["Accuracy"][1]);
        var cols = Tables.FromColumns(("k", new[] { 1, 2 }), ("name", new[] { "a", "b" }));
        Assert.Equal(2, cols.Rows.Count);
        Assert.Throws<ArgumentException>(() => Tables.FromColumns(("k", new[] { 1, 2 }), ("name", new[] { "a" })));
    }

    [Fact]
    public void HtmlTablesEncodeAndFormat()
    {
        var html = Tables.KeyValueHtml("model <x>", [("parameters", 1234567L), ("lr", 0.000123456)]);
        Assert.Contains("<caption>model &lt;x&gt;</caption>", html);
        Assert.Contains("<td>1,234,567</td>", html);
        Assert.Contains("<td>0.0001235</td>", html);
        Assert.Equal("4.4M", Summaries.Compact(4_400_000));
        Assert.Equal("0.013%", Summaries.Percent(13, 100_000));
    }

    [FixtureFact]
    public void ModelSummaryCountsTotalAndTrainableParameters()
    {
        using var model = PromptLearning.Tests.Prompts.PromptTestKit.Backbone("bert");
        long total = model.Module.parameters().Sum(p => p.numel());
        var frozen = model.Module.named_parameters().Where(p => !p.name.Contains("encoder.layer.0.")).ToList();
        foreach (var (_, p) in frozen) p.requires_grad = false;
        long trainable = total - frozen.Sum(p => p.parameter.numel());
        var html = Summaries.Model(model, "tiny <bert>");
        Assert.Equal((total, trainable), Summaries.ParameterCounts(model));
        Assert.Contains("tiny &lt;bert&gt;", html);
        Assert.Contains($"<td>{total:N0} ({Summaries.Compact(total)})</td>", html);
        Assert.Contains($"<td>{trainable:N0} ({Summaries.Percent(trainable, total)})</td>", html);
        Assert.Contains($"<td>{model.Config.NumHiddenLayers}</td>", html);
    }

    private sealed record TrainerSettings(int MaxSteps, double LearningRate);

    private sealed record RunSettings(string Model, int[] Seeds, double Loss, TrainerSettings Trainer, List<string>? Tags);

    [Fact]
    public void TablesSettingsListsPropertiesReadably()
    {
        var run = new RunSettings("bert-small", [0, 1, 2], 0.693147180559945, new TrainerSettings(10_000, 1e-5), null);
        Assert.Equal(
            [("Model", "bert-small"), ("Seeds", "0, 1, 2"), ("Loss", "0.6931"), ("Trainer", "MaxSteps = 10,000, LearningRate = 1E-05"), ("Tags", "")],
            Tables.SettingRows(run));
        var anonymous = Tables.SettingRows(new { Sizes = new[] { 10, 32 }, Alpha = 1e-4, Data = new { Name = "a", Shots = 32 } });
        Assert.Equal([("Sizes", "10, 32"), ("Alpha", "0.0001"), ("Data", "Name = a, Shots = 32")], anonymous);
        var html = Tables.Settings(run, "settings");
        Assert.StartsWith("<table><caption>settings</caption><tbody><tr><td>Model</td><td>bert-small</td></tr>", html);
        Assert.DoesNotContain("System.Int32[]", html);
        Assert.DoesNotContain("{ ", html);
        Assert.Equal("Name = a, LeadingSpace = False, LowerFirst = False", Tables.SettingValue(new FieldSetting("a", false, false)));
        Assert.Equal("Separator", Tables.SettingValue(new Separator()));
        Assert.Throws<ArgumentException>(() => Tables.SettingRows(new object()));
    }

    private sealed record FieldSetting(string Name, bool LeadingSpace, bool LowerFirst);
    private sealed record Separator;
}
