using PromptLearning.Training;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Pretraining;

/// <summary>
/// Greedy continuations of description prompts, to show what a causal LM learned, and greedy reconstructions
/// of corrupted texts, to show what a BART learned (model cards, notebooks).
/// </summary>
public static class SampleText
{
    /// <summary>
    /// Up to <paramref name="count"/> prompts taken from held-out documents that open with a venue
    /// description: the text up to and including the first <c>" is a"</c> (e.g. "The Wild Swan is a").
    /// </summary>
    public static IReadOnlyList<string> DescriptionPrompts(IEnumerable<string> heldOut, int count = 4) =>
        heldOut.Select(d => (Doc: d, At: d.IndexOf(" is a", StringComparison.Ordinal)))
            .Where(x => x.At > 0 && x.At < 40 && !x.Doc[..x.At].Contains('.'))
            .Select(x => x.Doc[..(x.At + " is a".Length)])
            .Distinct()
            .Take(count)
            .ToList();

    /// <summary>
    /// The greedy continuation (at most <paramref name="maxNewTokens"/> tokens, stopping at end of text)
    /// of each prompt, decoded. Runs the model in eval mode under no_grad.
    /// </summary>
    public static IReadOnlyList<(string Prompt, string Continuation)> Greedy(ILanguageModel model, TextTokenizer tokenizer, IEnumerable<string> prompts, int maxNewTokens)
    {
        if (!model.Config.IsCausal) throw new ArgumentException("samples need a causal LM (GPT-2)", nameof(model));
        model.Module.eval();
        var result = new List<(string, string)>();
        foreach (var prompt in prompts)
        {
            using var scope = NewDisposeScope();
            var ids = tokenizer.Encode(prompt);
            var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
            using var generated = Generation.Greedy(model, input, GenerationConfig.From(model.Config, maxNewTokens));
            var newIds = generated.Sequences[0].data<long>().ToArray().Skip(ids.Count).Select(i => (int)i)
                .TakeWhile(i => i != tokenizer.EosTokenId).ToList();
            result.Add((prompt, tokenizer.Decode(newIds)));
        }
        return result;
    }

    /// <summary>
    /// Each of <paramref name="texts"/> as <c>&lt;s&gt; text &lt;/s&gt;</c> (at most <paramref name="maxLength"/> tokens,
    /// as in pretraining) corrupted by text infilling (BART's 30% in Poisson(3) spans, fixed seed <paramref name="seed"/>),
    /// and the model's greedy output for it (at most <paramref name="maxLength"/> - 1 tokens after the decoder start),
    /// both decoded; the corrupted text keeps its <c>&lt;mask&gt;</c> tokens. Runs the model in eval mode under no_grad.
    /// </summary>
    public static IReadOnlyList<(string Corrupted, string Output)> Infill(ISeq2SeqModel model, TextTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength, int seed = Pretrainer.HeldOutSeed)
    {
        var objective = new TextInfilling(tokenizer.MaskTokenId ?? throw new ArgumentException("the tokenizer has no mask token", nameof(tokenizer)), MaskedLanguageModeling.SpecialIds(tokenizer));
        var random = new Random(seed);
        model.Module.eval();
        var result = new List<(string, string)>();
        foreach (var sequence in Pretrainer.BuildSequences(tokenizer, texts, maxLength, packing: false, causal: false))
        {
            using var scope = NewDisposeScope();
            var corrupted = objective.Corrupt(sequence, random).InputIds;
            var input = tensor(corrupted.Select(i => (long)i).ToArray()).unsqueeze(0);
            using var _ = no_grad();
            using var generated = Seq2SeqGeneration.Greedy(model, new Seq2SeqForwardArgs { InputIds = input }, model.GenerationDefaults(maxLength - 1));
            var output = generated.Sequences[0].data<long>().Select(i => (int)i);
            var shown = corrupted.Where(i => i != tokenizer.BosTokenId && i != tokenizer.EosTokenId);
            result.Add((tokenizer.Decode(shown, skipSpecialTokens: false), tokenizer.Decode(output)));
        }
        return result;
    }
}
