using PromptLearning.Models;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>Greedy and beam search on a small random GPT-2 (no fixtures needed): caches, prefixes, padding, eos, exhaustive optimality.</summary>
public class GenerationTests
{
    static readonly TransformerConfig Tiny = new()
    {
        ModelType = "gpt2", VocabSize = 12, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2,
        IntermediateSize = 32, MaxPositionEmbeddings = 32, LayerNormEps = 1e-5, HiddenAct = "gelu_new",
        InitializerRange = 0.5, EosTokenId = 11, BosTokenId = 11,
    };

    static GPT2LMHeadModel NewModel(int seed)
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        manual_seed(seed);
        var model = new GPT2LMHeadModel(Tiny);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("bias", StringComparison.Ordinal)) p.normal_(0, 0.3);
        model.eval();
        return model;
    }

    static List<KeyValue> RandomPrefix(long batch, long length) =>
        Enumerable.Range(0, Tiny.NumHiddenLayers)
            .Select(_ => new KeyValue(randn(batch, Tiny.NumAttentionHeads, length, Tiny.HeadDim), randn(batch, Tiny.NumAttentionHeads, length, Tiny.HeadDim)))
            .ToList();

    /// <summary>Sum of log p(generated tokens) from one uncached forward pass over prompt + generated.</summary>
    static double SequenceLogProb(ILanguageModel model, long[] sequence, int promptLength, IReadOnlyList<KeyValue>? prefix = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(sequence, new long[] { 1, sequence.Length });
        var logp = model.Forward(new ForwardArgs { InputIds = ids, PastKeyValues = prefix }).Logits!.log_softmax(-1);
        double total = 0;
        for (int t = promptLength; t < sequence.Length; t++) total += logp[0, t - 1, sequence[t]].item<float>();
        return total;
    }

    [Fact]
    public void GreedyWithPrefixKeepsThePrefixInFrontOfTheCache()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(1);
        var prompt = tensor(new long[] { 3, 5, 7 }, new long[] { 1, 3 });
        var prefix = RandomPrefix(1, 4);
        using var result = Generation.Greedy(model, prompt, new GenerationConfig { MaxNewTokens = 6 }, prefix: prefix);
        using var _ = no_grad();
        var full = model.Forward(new ForwardArgs { InputIds = result.Sequences[.., ..^1], PastKeyValues = prefix }).Logits!;
        var expected = full[0, 2..];
        var got = stack(result.Scores!, 0).squeeze(1);
        Assert.True(got.allclose(expected, 1e-4, 1e-5), "cached greedy logits with a prefix differ from a full forward with the prefix");
        Assert.True(got.argmax(-1).equal(result.Sequences[0, 3..]).all().item<bool>());
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    public void WithoutTheCacheTheSameTokensAndScoresComeOut(int beams, bool withPrefix)
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(4);
        var batch = tensor(new long[] { 11, 11, 4, 2, 9, 1, 6, 3, 8, 5 }, new long[] { 2, 5 });
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 5 });
        var prefix = withPrefix ? RandomPrefix(2, 3) : null;
        var config = new GenerationConfig { MaxNewTokens = 6, NumBeams = beams, EosTokenId = 11 };
        using var cached = Generation.Generate(model, batch, config, mask, prefix);
        using var uncached = Generation.Generate(model, batch, config with { UseCache = false }, mask, prefix);
        Assert.Equal(cached.Sequences.data<long>().ToArray(), uncached.Sequences.data<long>().ToArray());
        if (beams > 1) Assert.True(cached.SequenceScores!.allclose(uncached.SequenceScores!, 1e-4, 1e-5));
        else Assert.True(stack(cached.Scores!, 0).allclose(stack(uncached.Scores!, 0), 1e-4, 1e-5));
    }

    [Fact]
    public void LeftPaddedRowsGenerateAsTheyWouldAlone()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(2);
        var batch = tensor(new long[] { 11, 11, 4, 2, 9, 1, 6, 3, 8, 5 }, new long[] { 2, 5 });
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 5 });
        var config = new GenerationConfig { MaxNewTokens = 5, NumBeams = 3 };
        using var together = Generation.Generate(model, batch, config, mask);
        using var alone = Generation.Generate(model, tensor(new long[] { 4, 2, 9 }, new long[] { 1, 3 }), config);
        Assert.Equal(alone.Sequences[0].data<long>().ToArray(), together.Sequences[0, 2..].contiguous().data<long>().ToArray());
        using var greedyTogether = Generation.Greedy(model, batch, config, mask);
        using var greedyAlone = Generation.Greedy(model, batch[1..], config);
        Assert.Equal(greedyAlone.Sequences[0].data<long>().ToArray(), greedyTogether.Sequences[1].data<long>().ToArray());
    }

    [Fact]
    public void BeamSearchWithAllBeamsFindsTheBestTwoTokenContinuation()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(3);
        var prompt = new long[] { 2, 7 };
        var prefix = RandomPrefix(1, 2);
        using var result = Generation.BeamSearch(model, tensor(prompt, new long[] { 1, 2 }),
            new GenerationConfig { MaxNewTokens = 2, NumBeams = Tiny.VocabSize }, prefix: prefix);
        double best = double.NegativeInfinity;
        long[] bestSeq = [];
        for (long a = 0; a < Tiny.VocabSize; a++)
            for (long b = 0; b < Tiny.VocabSize; b++)
            {
                var seq = new[] { prompt[0], prompt[1], a, b };
                double lp = SequenceLogProb(model, seq, 2, prefix) / 2;
                if (lp > best) (best, bestSeq) = (lp, seq);
            }
        Assert.Equal(bestSeq, result.Sequences[0].data<long>().ToArray());
        Assert.Equal(best, result.SequenceScores![0].item<float>(), 4);
    }

    [Fact]
    public void BeamScoresAreLengthNormalisedLogProbabilitiesAndBeatGreedy()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(4);
        var prompt = tensor(new long[] { 1, 4, 4, 8 }, new long[] { 1, 4 });
        using var beam = Generation.BeamSearch(model, prompt, new GenerationConfig { MaxNewTokens = 6, NumBeams = 4 });
        using var greedy = Generation.Greedy(model, prompt, new GenerationConfig { MaxNewTokens = 6 });
        var seq = beam.Sequences[0].data<long>().ToArray();
        double beamScore = SequenceLogProb(model, seq, 4) / (seq.Length - 4);
        Assert.Equal(beamScore, beam.SequenceScores![0].item<float>(), 4);
        double greedyScore = SequenceLogProb(model, greedy.Sequences[0].data<long>().ToArray(), 4) / 6;
        Assert.True(beamScore >= greedyScore - 1e-6, $"beam {beamScore} < greedy {greedyScore}");
    }

    [Fact]
    public void EosEndsSequencesAndPadsFinishedRows()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(5);
        var prompt = tensor(new long[] { 3, 1, 4, 1, 5, 9 }, new long[] { 2, 3 });
        using var free = Generation.Greedy(model, prompt, new GenerationConfig { MaxNewTokens = 4 });
        long firstOfRow0 = free.Sequences[0, 3].item<long>();
        var config = new GenerationConfig { MaxNewTokens = 4, EosTokenId = (int)firstOfRow0, PadTokenId = 0 };
        using var stopped = Generation.Greedy(model, prompt, config);
        // Row 0 ends at once; later tokens of row 0 are pads while row 1 continues (or ends too).
        Assert.Equal(firstOfRow0, stopped.Sequences[0, 3].item<long>());
        if (stopped.Sequences.shape[1] > 4) Assert.True(stopped.Sequences[0, 4..].eq(0).all().item<bool>());

        using var beam = Generation.BeamSearch(model, prompt, config with { NumBeams = 3 });
        Assert.True(beam.Sequences.shape[1] <= 3 + 4);
        for (int row = 0; row < 2; row++)
        {
            var s = beam.Sequences[row, 3..].data<long>().ToArray();
            int end = Array.IndexOf(s, firstOfRow0);
            if (end >= 0) Assert.All(s[(end + 1)..], t => Assert.Equal(0, t));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void FinishedHypothesesAreScoredOverTheGeneratedLengthWithTheirEos(double lengthPenalty)
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(6);
        var promptIds = new long[] { 2, 9, 4 };
        var prompt = tensor(promptIds, new long[] { 1, 3 });
        using var free = Generation.Greedy(model, prompt, new GenerationConfig { MaxNewTokens = 1 });
        int eos = (int)free.Sequences[0, 3].item<long>();
        var config = new GenerationConfig
        {
            MaxNewTokens = 5, NumBeams = 4, NumReturnSequences = 4, EosTokenId = eos, PadTokenId = eos, LengthPenalty = lengthPenalty,
        };
        using var beam = Generation.BeamSearch(model, prompt, config);
        bool endedAtOnce = false;
        for (int r = 0; r < beam.Sequences.shape[0]; r++)
        {
            var row = beam.Sequences[r].data<long>().ToArray();
            int end = Array.IndexOf(row, (long)eos, promptIds.Length);
            var kept = end >= 0 ? row[..(end + 1)] : row;
            endedAtOnce |= end == promptIds.Length;
            double expected = SequenceLogProb(model, kept, promptIds.Length) / Math.Pow(kept.Length - promptIds.Length, lengthPenalty);
            Assert.Equal(expected, beam.SequenceScores![r].item<float>(), 4);
        }
        // The greedy first token is the EOS: its one-token hypothesis is kept with a finite score.
        Assert.True(endedAtOnce, "no returned hypothesis ended at the first step");
    }
}
