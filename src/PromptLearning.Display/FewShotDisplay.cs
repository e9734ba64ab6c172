using Microsoft.Data.Analysis;
using Plotly.NET;
using PromptLearning.Pet;

namespace PromptLearning.Display;

/// <summary>Tables and charts of a <see cref="FewShotResult"/> (the core library keeps the numbers, this package shows them).</summary>
public static class FewShotDisplay
{
    /// <summary>The curve points as a DataFrame (task, method, size, mean, std, runs).</summary>
    public static DataFrame ToDataFrame(this FewShotResult result) => new(
        new StringDataFrameColumn("task", result.Points.Select(p => p.Task)),
        new StringDataFrameColumn("method", result.Points.Select(p => p.Method)),
        new PrimitiveDataFrameColumn<int>("size", result.Points.Select(p => p.Size)),
        new PrimitiveDataFrameColumn<double>("mean", result.Points.Select(p => Math.Round(p.Mean, 4))),
        new PrimitiveDataFrameColumn<double>("std", result.Points.Select(p => Math.Round(p.Std, 4))),
        new PrimitiveDataFrameColumn<int>("runs", result.Points.Select(p => p.Runs)));

    /// <summary>
    /// The few-shot curve of <paramref name="task"/>: accuracy (mean ± std over seeds) against the
    /// number of labelled examples (log axis), one line per method; zero-shot is drawn flat.
    /// </summary>
    public static GenericChart Chart(this FewShotResult result, string task)
    {
        var points = result.Points.Where(p => p.Task == task).ToList();
        if (points.Count == 0) throw new ArgumentException($"no results for task '{task}' (have: {string.Join(", ", result.Points.Select(p => p.Task).Distinct())})");
        var sizes = points.Where(p => p.Size > 0).Select(p => (double)p.Size).Distinct().OrderBy(s => s).ToList();
        var series = new List<Series>();
        foreach (var method in FewShotMethods.All)
        {
            var mp = points.Where(p => p.Method == method).OrderBy(p => p.Size).ToList();
            if (mp.Count == 0) continue;
            if (method == FewShotMethods.ZeroShot)
            {
                if (sizes.Count == 0) continue;
                series.Add(new Series($"{method} (no training)", sizes, sizes.Select(_ => mp[0].Mean).ToList(), sizes.Select(_ => mp[0].Std).ToList()));
            }
            else series.Add(new Series(method, mp.Select(p => (double)p.Size).ToList(), mp.Select(p => p.Mean).ToList(), mp.Select(p => p.Std).ToList()));
        }
        return Charts.LineChart($"{task}: few-shot accuracy ({result.Model})", new Axis("labelled training examples", "count", Log: true),
            new Axis("test accuracy", "fraction"), series.ToArray());
    }
}
