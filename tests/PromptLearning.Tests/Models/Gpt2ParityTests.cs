using PromptLearning.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>GPT-2 forward passes against the outputs <c>transformers</c> recorded in the fixtures.</summary>
public class Gpt2ParityTests(ITestOutputHelper output)
{
    [FixtureFact]
    public void StateDictKeysAreTheSafetensorsKeys() => ParityFixture.AssertStateDictKeys(new ParityFixture("gpt2", output));

    [FixtureFact]
    public void BatchMatchesTransformers()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        using var _ = no_grad();
        var result = model.Forward(new ForwardArgs
        {
            InputIds = f.Long("batch.input_ids"),
            AttentionMask = f.Long("batch.attention_mask"),
            OutputHiddenStates = true,
        });
        f.AssertClose("batch.last_hidden_state", result.LastHiddenState, "batch.last_hidden_state");
        f.AssertClose("batch.hidden_states", stack(result.HiddenStates!, 0), "batch.hidden_states");
        f.AssertClose("batch.logits", result.Logits!, "batch.logits");
        Assert.Null(result.PresentKeyValues);
    }

    [FixtureFact]
    public void PrefixPastKeyValuesMatchTransformers()
    {
        var f = new ParityFixture("gpt2", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        using var _ = no_grad();
        var keys = f.Float("prefix_past_key_values.past_keys");
        var values = f.Float("prefix_past_key_values.past_values");
        var past = Enumerable.Range(0, (int)keys.shape[0]).Select(i => new KeyValue(keys[i], values[i])).ToList();
        var ids = f.Long("prefix_past_key_values.input_ids");
        var result = model.Forward(new ForwardArgs
        {
            InputIds = ids,
            AttentionMask = f.Long("prefix_past_key_values.attention_mask"),
            PastKeyValues = past,
            UseCache = true,
        });
        f.AssertClose("prefix_past_key_values.last_hidden_state", result.LastHiddenState, "prefix_past_key_values.last_hidden_state");
        f.AssertClose("prefix_past_key_values.logits", result.Logits!, "prefix_past_key_values.logits");

        // With autograd (training path) the values hold too, and gradients reach the prefix (prefix tuning trains it).
        foreach (var kv in past) { kv.Key.requires_grad_(); kv.Value.requires_grad_(); }
        using (enable_grad())
        {
            var trained = model.Forward(new ForwardArgs
            {
                InputIds = ids, AttentionMask = f.Long("prefix_past_key_values.attention_mask"), PastKeyValues = past,
            });
            f.AssertClose("prefix_past_key_values.logits (autograd path)", trained.Logits!, "prefix_past_key_values.logits");
            trained.Logits!.sum().backward();
        }
        Assert.All(past, kv => Assert.True(kv.Key.grad!.abs().sum().item<float>() > 0 && kv.Value.grad!.abs().sum().item<float>() > 0));

        // The cache holds the prefix in front of the new keys/values.
        long prefix = keys.shape[3];
        var present = result.PresentKeyValues!;
        Assert.Equal(past.Count, present.Count);
        Assert.Equal(prefix + ids.shape[1], present[0].Key.shape[2]);
        Assert.True(present[0].Key[.., .., ..(int)prefix].allclose(keys[0].detach(), 0, 0));
        Assert.True(present[^1].Value[.., .., ..(int)prefix].allclose(values[^1].detach(), 0, 0));
    }
}
