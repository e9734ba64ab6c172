using PromptLearning.Native;
using System.Diagnostics;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>One decoding setting's speed: output tokens per second over the timed rounds.</summary>
/// <param name="Decoding">"greedy" or "beam N".</param>
/// <param name="Cache">Whether the key/value cache was kept between steps (<see cref="GenerationConfig.UseCache"/>).</param>
/// <param name="TokensPerSecond">Generated tokens (rows x new tokens) per second, one sample per round.</param>
public sealed record GenerationSpeed(string Decoding, bool Cache, Spread TokensPerSecond);

/// <summary>What <see cref="GenerationBenchmark.Run"/> measured.</summary>
/// <param name="Batch">Prompts decoded together.</param>
/// <param name="PromptTokens">Tokens per prompt (every prompt cut to the shortest, so no row is padded).</param>
/// <param name="NewTokens">Tokens generated per row (no end-of-sequence stop, so every setting does the same work).</param>
/// <param name="PrefixLength">Length of the key/value prefix in every layer (as prefix tuning passes it).</param>
/// <param name="Speeds">Every setting, greedy and beam search with and without the cache.</param>
public sealed record GenerationBenchmarkResult(int Batch, int PromptTokens, int NewTokens, int PrefixLength, IReadOnlyList<GenerationSpeed> Speeds)
{
    /// <summary>Per-round ratios of tokens/s with the cache to tokens/s without it, for one decoding ("greedy" or "beam N"); see <see cref="Spread.OfRatios"/>.</summary>
    public Spread CacheSpeedups(string decoding) => Spread.OfRatios(
        Speeds.Single(s => s.Decoding == decoding && s.Cache).TokensPerSecond,
        Speeds.Single(s => s.Decoding == decoding && !s.Cache).TokensPerSecond);

    /// <summary>The median of <see cref="CacheSpeedups"/>.</summary>
    public double CacheSpeedup(string decoding) => CacheSpeedups(decoding).Median;
}

/// <summary>
/// Decoding speed of a causal LM with a prefix (issue 16): tokens/s of greedy and beam search with
/// and without the key/value cache, timed in interleaved rounds (order rotating) after an untimed
/// warm-up round, like <see cref="MethodBenchmark"/>.
/// </summary>
public static class GenerationBenchmark
{
    /// <summary>Times the four settings on the first <paramref name="batch"/> of <paramref name="prompts"/>.</summary>
    public static GenerationBenchmarkResult Run(ILanguageModel model, TextTokenizer tokenizer, IReadOnlyList<string> prompts,
        int batch = 8, int newTokens = 32, int prefixLength = 10, int beams = 4, int rounds = 5, Action<string>? log = null)
    {
        var c = model.Config;
        if (!c.IsCausal) throw new ArgumentException($"generation benchmark: needs a causal LM (gpt2), got model_type '{c.ModelType}'", nameof(model));
        if (prompts.Count < batch) throw new ArgumentException($"generation benchmark: {batch} prompts needed, got {prompts.Count}", nameof(prompts));
        if (batch < 1 || newTokens < 1 || prefixLength < 0 || beams < 2 || rounds < 1)
            throw new ArgumentException($"generation benchmark: batch {batch}, new tokens {newTokens}, beams {beams} (at least 2) and rounds {rounds} must be positive, prefix length {prefixLength} not negative");
        var encoded = prompts.Take(batch).Select(p => tokenizer.Encode(p)).ToList();
        int length = Math.Min(encoded.Min(e => e.Count), c.MaxPositionEmbeddings - prefixLength - newTokens);
        if (length < 1) throw new ArgumentException($"generation benchmark: {newTokens} new tokens and a prefix of {prefixLength} leave no room for the prompt in {c.MaxPositionEmbeddings} positions");

        using var scope = NewDisposeScope();
        var device = Devices.Of(model.Module);
        var ids = tensor(encoded.SelectMany(e => e.Take(length)).Select(i => (long)i).ToArray(), new long[] { batch, length }, device: device);
        using var generator = new Generator(0);
        var prefix = Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new KeyValue(
            randn(1, c.NumAttentionHeads, prefixLength, c.HeadDim, generator: generator).TimesInPlace(0.1).to(device),
            randn(1, c.NumAttentionHeads, prefixLength, c.HeadDim, generator: generator).TimesInPlace(0.1).to(device))).ToList();
        var settings = new[] { ("greedy", 1, true), ("greedy", 1, false), ($"beam {beams}", beams, true), ($"beam {beams}", beams, false) };
        if (model is nn.Module m) m.eval();
        double Time((string Name, int Beams, bool Cache) s)
        {
            var config = new GenerationConfig { MaxNewTokens = newTokens, NumBeams = s.Beams, UseCache = s.Cache, PadTokenId = c.PadTokenId };
            var clock = Stopwatch.StartNew();
            using var result = Generation.Generate(model, ids, config, prefix: prefix);
            return clock.Elapsed.TotalSeconds;
        }
        var spreads = Spread.OfInterleavedRounds(rounds, settings.Select(s => (Func<double>)(() => batch * newTokens / Time(s))).ToList(),
            (round, i, tokensPerSecond) => log?.Invoke(
                $"generation round {round + 1}/{rounds}: {settings[i].Item1}, cache {(settings[i].Item3 ? "on" : "off")}: {tokensPerSecond:F0} tokens/s"), warmUp: true);
        return new GenerationBenchmarkResult(batch, length, newTokens, prefixLength,
            settings.Select((s, i) => new GenerationSpeed(s.Item1, s.Item3, spreads[i])).ToList());
    }
}
