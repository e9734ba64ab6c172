using Microsoft.Data.Analysis;
using PromptLearning.Training;

namespace PromptLearning.Display;

/// <summary>A trainer's progress reports (<see cref="TrainResult.History"/>) as a table.</summary>
public static class TrainingHistory
{
    /// <summary>
    /// One row per report: step, epoch, loss, lr, grad_norm, elapsed_s, a <c>dev_*</c> column per
    /// metric (null where the report followed no evaluation) and is_best.
    /// </summary>
    public static DataFrame ToDataFrame(this IEnumerable<TrainerProgress> history)
    {
        var rows = history.ToList();
        var columns = new List<DataFrameColumn>
        {
            new Int32DataFrameColumn("step", rows.Select(r => r.Step)),
            new Int32DataFrameColumn("epoch", rows.Select(r => r.Epoch)),
            new DoubleDataFrameColumn("loss", rows.Select(r => r.Loss)),
            new DoubleDataFrameColumn("lr", rows.Select(r => r.LearningRate)),
            new DoubleDataFrameColumn("grad_norm", rows.Select(r => r.GradNorm)),
            new DoubleDataFrameColumn("elapsed_s", rows.Select(r => r.Elapsed.TotalSeconds)),
        };
        var names = rows.Where(r => r.Metrics is not null).SelectMany(r => r.Metrics!.Keys).Distinct().ToList();
        foreach (var name in names)
            columns.Add(new DoubleDataFrameColumn("dev_" + name,
                rows.Select(r => r.Metrics is not null && r.Metrics.TryGetValue(name, out var v) ? v : (double?)null)));
        columns.Add(new BooleanDataFrameColumn("is_best", rows.Select(r => r.IsBest)));
        return new DataFrame(columns);
    }
}
