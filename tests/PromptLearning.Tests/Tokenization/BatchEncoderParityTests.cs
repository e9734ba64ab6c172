using System.Text.Json;
using PromptLearning.Native;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Tokenization;

/// <summary>The padded batches of expected.json (batch, greedy_generation_batch_left_padded) rebuilt from their texts.</summary>
public sealed class BatchEncoderParityTests
{
    public BatchEncoderParityTests() => TorchSharpNative.EnsureLoaded();

    static JsonElement Expected(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfFixtures.Model(model), "expected.json")));
        return doc.RootElement.Clone();
    }

    static long[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    static long[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<long>().ToArray()).ToArray();

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void RightPaddedBatchMatches(string model)
    {
        var e = Expected(model);
        var tok = e.GetProperty("tokenization");
        var singles = tok.GetProperty("single").EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToList();
        // Layout (README): BERT/RoBERTa rows = first two single texts + the pair; GPT-2 rows = the single texts.
        var rows = tok.TryGetProperty("pair", out var p)
            ? new List<(string, string?)> { (singles[0], null), (singles[1], null), (p.GetProperty("text").GetString()!, p.GetProperty("text_pair").GetString()) }
            : singles.Select(s => (s, (string?)null)).ToList();
        using var scope = NewDisposeScope();
        var batch = new BatchEncoder(TokenizerFactory.FromFolder(HfFixtures.Model(model))).Encode(rows);
        var expected = e.GetProperty("batch");
        Assert.Equal(Rows(expected.GetProperty("input_ids")), Rows(batch.InputIds));
        Assert.Equal(Rows(expected.GetProperty("attention_mask")), Rows(batch.AttentionMask));
        if (expected.TryGetProperty("token_type_ids", out var types))
            Assert.Equal(Rows(types), Rows(batch.TokenTypeIds));
        else
            Assert.Equal(0L, batch.TokenTypeIds.abs().sum().item<long>());
    }

    [FixtureFact]
    public void LeftPaddedGenerationBatchMatches()
    {
        var g = Expected("gpt2").GetProperty("greedy_generation_batch_left_padded");
        var prompts = g.GetProperty("prompts").EnumerateArray().Select(x => x.GetString()!).ToList();
        using var scope = NewDisposeScope();
        var batch = new BatchEncoder(TokenizerFactory.FromFolder(HfFixtures.Model("gpt2"))) { PaddingSide = Side.Left }.Encode(prompts);
        Assert.Equal(Rows(g.GetProperty("input_ids")), Rows(batch.InputIds));
        Assert.Equal(Rows(g.GetProperty("attention_mask")), Rows(batch.AttentionMask));
    }

    [FixtureFact]
    public void TruncationIsLongestFirstAndPaddingToMaxLengthWorks()
    {
        var tok = TokenizerFactory.FromFolder(HfFixtures.Model("bert"));
        var a = tok.Encode("the quick brown fox jumps over the lazy dog");
        var b = tok.Encode("hello world");
        using var scope = NewDisposeScope();
        var enc = new BatchEncoder(tok) { MaxLength = 10, PadToMaxLength = true };
        var batch = enc.Encode(new List<(string, string?)> { ("the quick brown fox jumps over the lazy dog", "hello world"), ("hello", null) });
        Assert.Equal(new long[] { 2, 10 }, batch.InputIds.shape);
        // Longest first, as transformers: drop the last token of the longer text (of b on ties) until
        // 10 - 3 specials = 7 fit, whatever the word-piece counts of this vocabulary.
        var (keptA, keptB) = (a.ToList(), b.ToList());
        int budget = 10 - tok.BuildInputs([], []).Count;
        while (keptA.Count + keptB.Count > budget)
        {
            if (keptA.Count > keptB.Count) keptA.RemoveAt(keptA.Count - 1);
            else keptB.RemoveAt(keptB.Count - 1);
        }
        var expected = tok.BuildInputs(keptA, keptB).Select(x => (long)x).ToArray();
        Assert.Equal(expected, batch.InputIds[0, ..expected.Length].data<long>().ToArray());
        Assert.Equal(tok.BuildTokenTypeIds(keptA, keptB).Select(x => (long)x), batch.TokenTypeIds[0, ..expected.Length].data<long>().ToArray());
        int single = tok.BuildInputs(tok.Encode("hello")).Count;
        Assert.Equal(new[] { expected.Length, single }, batch.Lengths);
        Assert.Equal((long)single, batch.AttentionMask[1].sum().item<long>());

        var fox = tok.Encode("the quick brown fox");
        var left = new BatchEncoder(tok) { MaxLength = 4, TruncationSide = Side.Left }.Encode(new[] { "the quick brown fox" });
        Assert.Equal(tok.BuildInputs(fox.Skip(Math.Max(0, fox.Count - 2)).ToList()).Select(x => (long)x), left.InputIds[0].data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => new BatchEncoder(tok) { MaxLength = 1 }.Encode(new[] { "x" }));
    }
}
