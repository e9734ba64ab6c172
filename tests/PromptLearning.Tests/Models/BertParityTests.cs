using PromptLearning.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>BERT and RoBERTa masked LMs against the outputs <c>transformers</c> recorded in the fixtures.</summary>
public class BertParityTests(ITestOutputHelper output)
{
    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void BatchMatchesTransformers(string name)
    {
        var f = new ParityFixture(name, output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var args = new ForwardArgs
        {
            InputIds = f.Long("batch.input_ids"),
            AttentionMask = f.Long("batch.attention_mask"),
            TokenTypeIds = f.Has("batch.token_type_ids") ? f.Long("batch.token_type_ids") : null,
            OutputHiddenStates = true,
        };
        using var _ = no_grad();
        var result = model.Forward(args);
        f.AssertClose("batch.last_hidden_state", result.LastHiddenState, "batch.last_hidden_state");
        f.AssertClose("batch.hidden_states", stack(result.HiddenStates!, 0), "batch.hidden_states");
        f.AssertClose("batch.logits", result.Logits!, "batch.logits");
        if (f.Has("batch.position_ids_used"))
        {
            var bert = (BertForMaskedLM)model;
            var ids = args.InputIds!;
            var positions = bert.Encoder.Embeddings.DefaultPositionIds(ids, ids.shape[0], ids.shape[1], 0, ids.device);
            Assert.Equal(f.Long("batch.position_ids_used").data<long>().ToArray(), positions.contiguous().data<long>().ToArray());
        }
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void StateDictKeysAreTheSafetensorsKeys(string name) => ParityFixture.AssertStateDictKeys(new ParityFixture(name, output));

    /// <summary>With autograd on (training path: explicit attention), the same values, and gradients reach the tied embedding.</summary>
    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void BatchWithGradientsMatchesTransformers(string name)
    {
        var f = new ParityFixture(name, output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var result = model.Forward(new ForwardArgs
        {
            InputIds = f.Long("batch.input_ids"),
            AttentionMask = f.Long("batch.attention_mask"),
            TokenTypeIds = f.Has("batch.token_type_ids") ? f.Long("batch.token_type_ids") : null,
        });
        f.AssertClose("batch.logits (autograd path)", result.Logits!, "batch.logits");
        result.Logits!.sum().backward();
        var bert = (BertForMaskedLM)model;
        var grad = bert.Encoder.Embeddings.WordEmbeddings.weight!.grad;
        Assert.NotNull(grad);
        // Rows of unused tokens get gradient only through the tied decoder: proof that the head uses the embedding Parameter.
        var used = f.Long("batch.input_ids").unique().Item1.data<long>().ToHashSet();
        long unused = Enumerable.Range(0, f.Config.VocabSize).First(i => !used.Contains(i));
        Assert.True(grad![unused].abs().sum().item<float>() > 0);
        Assert.NotNull(bert.LMHead.Bias.grad);
    }

    [FixtureFact]
    public void DropoutActsInTrainModeOnly()
    {
        var f = new ParityFixture("bert", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var args = new ForwardArgs { InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask") };
        using (no_grad())
        {
            Assert.True(model.Forward(args).Logits!.allclose(model.Forward(args).Logits!, 0, 0));
            model.Module.train();
            Assert.False(model.Forward(args).Logits!.allclose(model.Forward(args).Logits!, 1e-3, 1e-3));
        }
        Assert.False(model.Forward(args).Logits!.allclose(model.Forward(args).Logits!, 1e-3, 1e-3));
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void MlmLossMatchesTransformers(string name)
    {
        var f = new ParityFixture(name, output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        var labels = f.Long("mlm_loss.labels");
        using var _ = no_grad();
        var logits = model.Forward(new ForwardArgs
        {
            InputIds = f.Long("mlm_loss.input_ids"),
            AttentionMask = f.Long("mlm_loss.attention_mask"),
            TokenTypeIds = f.Has("mlm_loss.token_type_ids") ? f.Long("mlm_loss.token_type_ids") : null,
        }).Logits!;
        var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.view(-1), ignore_index: -100);
        f.AssertClose("mlm_loss.loss", loss, f.Float("mlm_loss.loss"));
        var positions = f.Long("mlm_loss.labelled_positions");
        var picked = logits[positions[.., 0], positions[.., 1]];
        f.AssertClose("mlm_loss.logits_at_labelled_positions", picked, "mlm_loss.logits_at_labelled_positions");
    }

    [FixtureFact]
    public void InputsEmbedsSoftPromptMatchesTransformers()
    {
        var f = new ParityFixture("bert", output);
        using var scope = NewDisposeScope();
        using var model = f.LoadModel();
        using var _ = no_grad();
        var ids = f.Long("batch.input_ids");
        var prompt = f.Float("inputs_embeds_soft_prompt.soft_prompt");
        var words = model.EmbedTokens(ids);
        var embeds = cat(new[] { prompt.unsqueeze(0).expand(ids.shape[0], -1, -1), words }, 1);
        var result = model.Forward(new ForwardArgs
        {
            InputsEmbeds = embeds,
            AttentionMask = f.Long("inputs_embeds_soft_prompt.attention_mask"),
            TokenTypeIds = f.Long("inputs_embeds_soft_prompt.token_type_ids"),
        });
        f.AssertClose("inputs_embeds_soft_prompt.last_hidden_state", result.LastHiddenState, "inputs_embeds_soft_prompt.last_hidden_state");
        f.AssertClose("inputs_embeds_soft_prompt.logits", result.Logits!, "inputs_embeds_soft_prompt.logits");
    }
}
