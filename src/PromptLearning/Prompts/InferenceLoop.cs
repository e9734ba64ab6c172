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
    /// <summary>Runs <paramref name="read"/> on each batch of <paramref name="examples"/> and concatenates its per-example results.</summary>
    public static T[] Run<T>(nn.Module module, IReadOnlyList<PromptExample> examples, int batchSize, Func<IReadOnlyList<PromptExample>, T[]> read)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "at least one example per batch");
        bool wasTraining = module.training;
        module.eval();
        try
        {
            var all = new List<T>(examples.Count);
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var chunk = examples.Skip(start).Take(batchSize).ToList();
                var got = read(chunk);
                if (got.Length != chunk.Count) throw new InvalidOperationException($"a batch of {chunk.Count} examples gave {got.Length} results");
                all.AddRange(got);
            }
            return all.ToArray();
        }
        finally { module.train(wasTraining); }
    }

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
