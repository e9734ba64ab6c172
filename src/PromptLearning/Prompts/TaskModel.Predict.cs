using PromptLearning.Native;
using PromptLearning.Models;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

// The heads on top of the backbone call: scores, training losses, predicted labels and tags.
public partial class TaskModel
{
    /// <summary>Scores of task <paramref name="task"/>'s rows (see <see cref="PromptHead.Scores"/>).</summary>
    public Tensor Scores(ForwardOutput output, PromptBatch batch, int task)
        => tasks[task].Head.Scores(output, batch, RowsOf(batch, task));

    private static Tensor RowsOf(PromptBatch batch, int task)
        => tensor(RowIndices(batch, task), device: batch.InputIds.device);

    /// <summary>The batch rows of task <paramref name="task"/>, in order.</summary>
    private static long[] RowIndices(PromptBatch batch, int task)
        => Enumerable.Range(0, batch.Count).Where(i => batch.TaskIndex[i] == task).Select(i => (long)i).ToArray();

    /// <summary>Mean training loss of a labelled batch (each task's head on its own rows, weighted by row count).</summary>
    public Tensor Loss(PromptBatch batch)
    {
        var labels = batch.Labels ?? throw new ArgumentException("Loss needs a labelled batch");
        var output = Forward(batch);
        Tensor? total = null;
        foreach (var t in batch.TaskIndex.Distinct())
        {
            var rows = RowsOf(batch, t);
            var head = tasks[t].Head;
            var loss = head.Loss(head.Scores(output, batch, rows), labels.index_select(0, rows));
            var weighted = loss.Times(rows.shape[0] / (double)batch.Count);
            total = total is null ? weighted : total.Plus(weighted);
        }
        return total!;
    }

    /// <summary>Loss of labelled examples: the delegate a <c>Trainer</c> calls.</summary>
    public Tensor Loss(IReadOnlyList<PromptExample> examples)
    {
        using var batch = Encode(examples);
        return Loss(batch);
    }

    /// <summary>Class index per example (classification tasks), in batches of <paramref name="batchSize"/>, eval mode, no gradients.</summary>
    public int[] PredictLabels(IReadOnlyList<PromptExample> examples, int batchSize = 32)
        => Inference(examples, batchSize, (output, batch) =>
        {
            var result = new int[batch.Count];
            foreach (var t in batch.TaskIndex.Distinct())
            {
                var rows = RowIndices(batch, t);
                var best = Scores(output, batch, t).argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < rows.Length; i++) result[rows[i]] = (int)best[i];
            }
            return result;
        });

    /// <summary>Tag index per word (tagging tasks); words cut off by truncation get tag 0.</summary>
    public int[][] PredictTags(IReadOnlyList<PromptExample> examples, int batchSize = 32)
    {
        var tags = Inference(examples, batchSize, (output, batch) =>
        {
            var result = new int[batch.Count][];
            foreach (var t in batch.TaskIndex.Distinct())
            {
                var rows = RowIndices(batch, t);
                using var best = Scores(output, batch, t).argmax(2).cpu();
                for (int i = 0; i < rows.Length; i++)
                {
                    var starts = batch.WordStarts![(int)rows[i]];
                    var row = best[i].data<long>().ToArray();
                    result[rows[i]] = starts.Select(p => (int)row[p]).ToArray();
                }
            }
            return result;
        });
        for (int i = 0; i < tags.Length; i++)
        {
            int words = examples[i].A.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            if (tags[i].Length < words) tags[i] = tags[i].Concat(Enumerable.Repeat(0, words - tags[i].Length)).ToArray();
        }
        return tags;
    }

    private T[] Inference<T>(IReadOnlyList<PromptExample> examples, int batchSize, Func<ForwardOutput, PromptBatch, T[]> read)
        => InferenceLoop.Run(this, examples, batchSize, chunk =>
        {
            using var batch = Encode(chunk, withTargets: false);
            return read(Forward(batch), batch);
        });
}
