using System.Text.Json;
using PromptLearning.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>
/// GPT-2 beam search against <c>transformers</c>' <c>generate(num_beams=N, num_return_sequences=N)</c>
/// (<c>gpt2/beam_search.json</c>): settings where hypotheses end early, so the length normalisation of a
/// finished hypothesis decides the ranking. The fixture is <c>transformers</c> 4.33, which divides by the
/// whole row's length (<see cref="BeamLengthCount.WholeSequence"/>).
/// </summary>
public class BeamSearchParityTests(ITestOutputHelper output)
{
    const double ScoreTolerance = 1e-4;

    static JsonElement Cases()
    {
        var path = Path.Combine(HfFixtures.Model("gpt2"), "beam_search.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [FixtureFact]
    public void BeamSearchMatchesTransformersWhenHypothesesFinishEarly()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var root = Cases();
        var prompt = ParityFixture.ToTensor(root.GetProperty("prompt_ids"), ScalarType.Int64).unsqueeze(0);
        int index = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            int beams = c.GetProperty("num_beams").GetInt32();
            int eos = c.GetProperty("eos_token_id").GetInt32();
            var config = new GenerationConfig
            {
                NumBeams = beams, NumReturnSequences = beams, MaxNewTokens = c.GetProperty("max_new_tokens").GetInt32(),
                EosTokenId = eos, PadTokenId = eos, LengthPenalty = c.GetProperty("length_penalty").GetDouble(),
                EarlyStopping = c.GetProperty("early_stopping").GetBoolean(), BeamLength = BeamLengthCount.WholeSequence,
            };
            using var result = Generation.BeamSearch(model, prompt, config);
            AssertMatches($"cases[{index++}] {config}", c, result);
        }
    }

    [FixtureFact]
    public void BeamSearchOfLeftPaddedBatchMatchesTransformers()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var c = Cases().GetProperty("batch_left_padded");
        int beams = c.GetProperty("num_beams").GetInt32();
        int eos = c.GetProperty("eos_token_id").GetInt32();
        var expected = ParityFixture.ToTensor(c.GetProperty("sequences"), ScalarType.Int64);
        var config = new GenerationConfig
        {
            NumBeams = beams, NumReturnSequences = (int)(expected.shape[0] / ParityFixture.ToTensor(c.GetProperty("input_ids"), ScalarType.Int64).shape[0]),
            MaxNewTokens = c.GetProperty("max_new_tokens").GetInt32(), EosTokenId = eos, PadTokenId = eos, BeamLength = BeamLengthCount.WholeSequence,
        };
        using var result = Generation.BeamSearch(model, ParityFixture.ToTensor(c.GetProperty("input_ids"), ScalarType.Int64), config,
            ParityFixture.ToTensor(c.GetProperty("attention_mask"), ScalarType.Int64));
        AssertMatches("batch_left_padded", c, result);
    }

    void AssertMatches(string name, JsonElement c, GenerationResult result)
    {
        var expected = ParityFixture.ToTensor(c.GetProperty("sequences"), ScalarType.Int64);
        var scores = c.GetProperty("sequences_scores").EnumerateArray().Select(s => s.GetDouble()).ToArray();
        Assert.True(expected.shape.SequenceEqual(result.Sequences.shape),
            $"{name}: sequences shape [{string.Join(", ", result.Sequences.shape)}], transformers [{string.Join(", ", expected.shape)}]");
        var got = result.SequenceScores!.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.True(expected.data<long>().SequenceEqual(result.Sequences.contiguous().data<long>()), $"{name}: sequences differ from transformers'");
        double worst = scores.Zip(got, (e, g) => Math.Abs(e - g)).Max();
        output.WriteLine($"{name}: {scores.Length} sequences exact, max score error {worst:E2}");
        Assert.True(worst <= ScoreTolerance, $"{name}: sequences_scores [{string.Join(", ", got)}], transformers [{string.Join(", ", scores)}]");
    }
}
