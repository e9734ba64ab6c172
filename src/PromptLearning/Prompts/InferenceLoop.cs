using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// The library's one evaluation loop: examples in batches, the module in eval mode (its train/eval state
/// restored afterwards), no gradients, each batch in its own dispose scope. Prompt models, PET's PVPs and
/// PET's classifier all predict through it.
/// </summary>
public static class InferenceLoop
{
    /// <summary>
    /// Runs <paramref name="read"/> on each batch of <paramref name="examples"/> and returns its per-example results in
    /// the examples' order. Batches are cut from the examples sorted by text length, so that each batch is padded to
    /// little more than its own texts (reviews of 20 and of 90 tokens no longer share a batch padded to 90); the
    /// model sees every example alone in its row, so the order changes no result beyond float rounding. With one
    /// example per batch there is no padding to save and the examples go in their own order (in-context learning
    /// draws each example's demonstrations as it reaches it).
    /// </summary>
    public static T[] Run<T>(nn.Module module, IReadOnlyList<PromptExample> examples, int batchSize, Func<IReadOnlyList<PromptExample>, T[]> read)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "at least one example per batch");
        bool wasTraining = module.training;
        module.eval();
        try
        {
            var order = Enumerable.Range(0, examples.Count).ToArray();
            if (batchSize > 1) order = order.OrderBy(i => TextLength(examples[i])).ToArray(); // stable
            var all = new T[examples.Count];
            for (int start = 0; start < order.Length; start += batchSize)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
                var got = read(rows.Select(i => examples[i]).ToList());
                if (got.Length != rows.Length) throw new InvalidOperationException($"a batch of {rows.Length} examples gave {got.Length} results");
                for (int j = 0; j < rows.Length; j++) all[rows[j]] = got[j];
            }
            return all;
        }
        finally { module.train(wasTraining); }
    }

    // The sort key of an example: its characters, a stand-in for its token count that needs no tokenizer.
    private static int TextLength(PromptExample e) => e.A.Length + (e.B?.Length ?? 0);

    /// <summary>Score rows [N, C] (float32 on the CPU) from <paramref name="scores"/>, which gives [B, C] for a batch.</summary>
    public static float[,] Scores(nn.Module module, IReadOnlyList<PromptExample> examples, int batchSize, int classes, Func<IReadOnlyList<PromptExample>, Tensor> scores)
    {
        var rows = Run(module, examples, batchSize, chunk =>
        {
            var data = scores(chunk).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
            if (data.Length != chunk.Count * classes) throw new InvalidOperationException($"scores of {data.Length} values for {chunk.Count} examples of {classes} classes");
            return Enumerable.Range(0, chunk.Count).Select(i => data.AsSpan(i * classes, classes).ToArray()).ToArray();
        });
        var result = new float[rows.Length, classes];
        for (int i = 0; i < rows.Length; i++)
            for (int c = 0; c < classes; c++) result[i, c] = rows[i][c];
        return result;
    }
}
