using PromptLearning.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>GPT-2 greedy generation (with the key/value cache) against <c>transformers</c>' <c>generate</c>.</summary>
public class GenerationParityTests(ITestOutputHelper output)
{
    [FixtureFact]
    public void GreedyGenerationMatchesTransformers()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var prompt = f.Long("greedy_generation.prompt_ids").unsqueeze(0);
        int maxNew = f.At("greedy_generation.max_new_tokens").GetInt32();
        using var result = Generation.Greedy(model, prompt, GenerationConfig.From(f.Config, maxNew));
        var expected = f.Long("greedy_generation.sequence");
        Assert.Equal(expected.data<long>().ToArray(), result.Sequences[0].data<long>().ToArray());
        Assert.Equal(f.Long("greedy_generation.new_token_ids").data<long>().ToArray(),
            result.Sequences[0, (int)prompt.shape[1]..].contiguous().data<long>().ToArray());
        f.AssertClose("greedy_generation.step_logits", stack(result.Scores!, 0).squeeze(1), "greedy_generation.step_logits");
    }

    [FixtureFact]
    public void GreedyGenerationOfLeftPaddedBatchMatchesTransformers()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var ids = f.Long("greedy_generation_batch_left_padded.input_ids");
        var expected = f.Long("greedy_generation_batch_left_padded.sequences");
        int maxNew = (int)(expected.shape[1] - ids.shape[1]);
        using var result = Generation.Greedy(model, ids, GenerationConfig.From(f.Config, maxNew),
            f.Long("greedy_generation_batch_left_padded.attention_mask"));
        Assert.Equal(expected.shape, result.Sequences.shape);
        Assert.Equal(expected.data<long>().ToArray(), result.Sequences.contiguous().data<long>().ToArray());
        f.Log($"gpt2 greedy_generation_batch_left_padded: {expected.shape[0]} rows x {maxNew} tokens exact");
    }

    [FixtureFact]
    public void CachedStepLogitsEqualAFullForwardPass()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var prompt = f.Long("greedy_generation.prompt_ids").unsqueeze(0);
        using var result = Generation.Greedy(model, prompt, new GenerationConfig { MaxNewTokens = 5 });
        using var _ = no_grad();
        var full = model.Forward(new ForwardArgs { InputIds = result.Sequences[.., ..^1] }).Logits!;
        var tail = full[0, (int)(prompt.shape[1] - 1)..];
        f.AssertClose("cached step logits vs full forward", stack(result.Scores!, 0).squeeze(1), tail);
    }
}
