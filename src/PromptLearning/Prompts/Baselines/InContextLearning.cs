using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.Baselines;

/// <summary>
/// In-context learning (Brown et al. 2020, GPT-3's few-shot setting), the no-training baseline of a causal LM:
/// <c>k</c> labelled demonstrations, each the query template filled with an example and followed by its label
/// word and ".\n", then the query for the example to classify; the prediction is the label whose word (its first
/// token, after a space) gets the highest next-token score. Demonstrations cycle through the labels so that the
/// prompt is balanced, each drawn at random from the pool's examples of that label; a prompt longer than the
/// model's positions keeps its last tokens.
/// </summary>
public static class InContextLearning
{
    /// <summary>
    /// The predicted label of each of <paramref name="examples"/> with <paramref name="shots"/> demonstrations
    /// from <paramref name="pool"/> drawn with <paramref name="seed"/>. <paramref name="query"/> is the template
    /// a demonstration and the query share (e.g. <c>{a} It was</c>); <paramref name="words"/> one label word per label.
    /// </summary>
    public static int[] Predict(ILanguageModel causalLm, TextTokenizer tokenizer, PromptTemplate query, IReadOnlyList<string> words,
        IReadOnlyList<PromptExample> pool, IReadOnlyList<PromptExample> examples, int shots, int seed)
    {
        if (!causalLm.Config.IsCausal) throw new ArgumentException($"in-context learning needs a causal LM (GPT-2), got {causalLm.Config.ModelType}", nameof(causalLm));
        if (query.HasMask || query.SlotCount > 0) throw new ArgumentException($"in-context query '{query}': plain text and fields only (the model continues it)", nameof(query));
        var byLabel = Enumerable.Range(0, words.Count).Select(l => pool.Where(p => p.Label == l).ToList()).ToList();
        if (shots > 0 && byLabel.FirstOrDefault(c => c.Count == 0) is { } empty)
            throw new ArgumentException($"the demonstration pool has no example of label {byLabel.IndexOf(empty)} ('{words[byLabel.IndexOf(empty)]}')", nameof(pool));
        var labelIds = tensor(words.Select(w => (long)tokenizer.Encode(" " + w)[0]).ToArray());
        var rng = new Random(seed);
        int maxPositions = causalLm.Config.MaxPositionEmbeddings;
        // One example per batch: the loop keeps the examples' order, so each draws its demonstrations in turn.
        return InferenceLoop.Run<int>(causalLm.Module, examples, batchSize: 1, chunk =>
        {
            var e = chunk[0];
            var ids = new List<int> { tokenizer.EosTokenId ?? 0 };
            for (int i = 0; i < shots; i++)
            {
                var candidates = byLabel[(i + seed) % words.Count];
                var demo = candidates[rng.Next(candidates.Count)];
                ids.AddRange(tokenizer.Encode($"{query.Render(demo)} {words[demo.Label]}.\n"));
            }
            ids.AddRange(tokenizer.Encode(query.Render(e)));
            if (ids.Count > maxPositions) ids = ids.Skip(ids.Count - maxPositions).ToList();
            var input = tensor(ids.Select(i => (long)i).ToArray(), device: Devices.Of(causalLm.Module)).unsqueeze(0);
            var last = causalLm.Forward(new ForwardArgs { InputIds = input }).Logits![0, -1];
            return [(int)last.index_select(0, labelIds.to(last.device)).argmax().item<long>()];
        });
    }

    /// <summary>Accuracy of <see cref="Predict"/> on labelled <paramref name="examples"/>.</summary>
    public static double Accuracy(ILanguageModel causalLm, TextTokenizer tokenizer, PromptTemplate query, IReadOnlyList<string> words,
        IReadOnlyList<PromptExample> pool, IReadOnlyList<PromptExample> examples, int shots, int seed)
    {
        if (examples.Count == 0) throw new ArgumentException("no examples to score", nameof(examples));
        var predicted = Predict(causalLm, tokenizer, query, words, pool, examples, shots, seed);
        return examples.Select((e, i) => predicted[i] == e.Label ? 1.0 : 0.0).Average();
    }
}
