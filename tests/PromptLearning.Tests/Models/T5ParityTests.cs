using PromptLearning.Checkpoints;
using PromptLearning.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>
/// T5 (v1.1 style) against the outputs <c>transformers</c> recorded in <c>t5/expected.json</c>: teacher-forced
/// batch (encoder, decoder, logits, loss), a decoder self-attention prefix, greedy and beam generation.
/// Sizes come from the fixture files.
/// </summary>
public class T5ParityTests(ITestOutputHelper output)
{
    const string Name = "t5";

    static T5Config Config() => T5Config.Read(Path.Combine(HfFixtures.Model(Name), "config.json"));

    static T5ForConditionalGeneration LoadModel() => (T5ForConditionalGeneration)Pretrained.LoadSeq2Seq(HfFixtures.Model(Name)).Model;

    /// <summary>Hidden states as recorded: [layers + 1, B, L, H].</summary>
    static Tensor Stack(IReadOnlyList<Tensor> states) => stack(states, 0);

    [FixtureFact]
    public void StateDictKeysAreTheSafetensorsKeys()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        using var model = LoadModel();
        using var reader = SafetensorsReader.Open(Path.Combine(HfFixtures.Model(Name), "model.safetensors"));
        var saved = reader.Names.Order(StringComparer.Ordinal).ToList();
        var keys = model.state_dict().Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(saved, keys);
        Assert.All(model.TiedWeights, kv => { Assert.DoesNotContain(kv.Key, keys); Assert.Contains(kv.Value, keys); });
        var config = Config();
        Assert.Equal(config.TieWordEmbeddings, model.TiedWeights.ContainsKey("lm_head.weight"));
        // Only block 0 of each stack holds the relative position bias.
        Assert.Equal(2, keys.Count(k => k.EndsWith("relative_attention_bias.weight", StringComparison.Ordinal)));
    }

    [FixtureFact]
    public void BatchMatchesTransformers()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        using var _ = no_grad();
        var labels = f.Long("batch.labels");
        var expectedDecoderIds = f.Long("batch.decoder_input_ids");
        var shifted = Seq2Seq.ShiftTokensRight(labels, Config().PadTokenId, f.At("batch.decoder_start_token_id").GetInt64());
        Assert.True(shifted.eq(expectedDecoderIds).all().item<bool>(), "decoder_input_ids = labels shifted right");

        var result = model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), Labels = labels, OutputHiddenStates = true,
        });
        f.AssertClose("batch.encoder_last_hidden_state", result.EncoderLastHiddenState, "batch.encoder_last_hidden_state");
        f.AssertClose("batch.encoder_hidden_states", Stack(result.EncoderHiddenStates!), "batch.encoder_hidden_states");
        f.AssertClose("batch.decoder_hidden_states", Stack(result.DecoderHiddenStates!), "batch.decoder_hidden_states");
        f.AssertClose("batch.logits", result.Logits!, "batch.logits");
        f.AssertClose("batch.loss", result.Loss!, tensor(f.At("batch.loss").GetSingle()));
        Assert.Null(result.Cache);

        // Explicit decoder ids and input embeddings give the same outputs.
        var byEmbeds = model.Forward(new Seq2SeqForwardArgs
        {
            InputsEmbeds = model.EmbedTokens(f.Long("batch.input_ids")), AttentionMask = f.Long("batch.attention_mask"),
            DecoderInputsEmbeds = model.EmbedTokens(expectedDecoderIds),
        });
        f.AssertClose("batch.logits (input embeddings)", byEmbeds.Logits!, "batch.logits");
        Assert.Null(byEmbeds.Loss);
    }

    [FixtureFact]
    public void TrainingPathMatchesAndBackpropagates()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        var result = model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), Labels = f.Long("batch.labels"),
        });
        f.AssertClose("batch.loss (autograd path)", result.Loss!, tensor(f.At("batch.loss").GetSingle()));
        result.Loss!.backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [FixtureFact]
    public void DecoderPrefixMatchesTransformers()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        var keys = f.Float("decoder_prefix.past_keys");
        var values = f.Float("decoder_prefix.past_values");
        var prefix = Enumerable.Range(0, (int)keys.shape[0]).Select(i => new KeyValue(keys[i], values[i])).ToList();
        long prefixLength = f.At("decoder_prefix.prefix_len").GetInt64();
        Assert.Equal(prefixLength, keys.shape[3]);
        var decoderIds = f.Long("decoder_prefix.decoder_input_ids");
        var args = new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"),
            DecoderInputIds = decoderIds, DecoderPrefix = prefix, UseCache = true,
        };
        using (no_grad())
        {
            var result = model.Forward(args);
            f.AssertClose("decoder_prefix.logits", result.Logits!, "decoder_prefix.logits");
            // The cache holds the prefix in front of the tokens' keys/values.
            Assert.Equal(prefixLength + decoderIds.shape[1], result.Cache!.SelfLength);
            Assert.True(result.Cache.SelfAttention[^1].Value[.., .., ..(int)prefixLength].eq(values[^1]).all().item<bool>());

            // Token by token from the prefix with the cache: positions continue after the prefix, logits the same.
            var encoder = result.EncoderLastHiddenState;
            Seq2SeqCache? cache = null;
            var steps = new List<Tensor>();
            for (int t = 0; t < decoderIds.shape[1]; t++)
            {
                var step = model.Forward(new Seq2SeqForwardArgs
                {
                    EncoderLastHiddenState = encoder, AttentionMask = f.Long("batch.attention_mask"),
                    DecoderInputIds = decoderIds[.., t..(t + 1)], DecoderPrefix = cache is null ? prefix : null, Cache = cache, UseCache = true,
                });
                steps.Add(step.Logits!);
                cache = step.Cache!;
            }
            f.AssertClose("decoder_prefix.logits (cached, one token per step)", cat(steps, 1), "decoder_prefix.logits");
        }

        // With autograd the values hold too, and gradients reach the prefix (prefix tuning trains it).
        foreach (var kv in prefix) { kv.Key.requires_grad_(); kv.Value.requires_grad_(); }
        var trained = model.Forward(args with { UseCache = false });
        f.AssertClose("decoder_prefix.logits (autograd path)", trained.Logits!, "decoder_prefix.logits");
        trained.Logits!.sum().backward();
        Assert.All(prefix, kv => Assert.True(kv.Key.grad!.abs().sum().item<float>() > 0 && kv.Value.grad!.abs().sum().item<float>() > 0));
    }

    [FixtureFact]
    public void SkipLmHeadDropsOnlyTheLogitsAndErrorsNameTheField()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        using var _ = no_grad();
        var args = new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), DecoderInputIds = f.Long("batch.decoder_input_ids"), UseCache = true,
        };
        var full = model.Forward(args);
        var headless = model.Forward(args with { SkipLmHead = true, UseCache = false });
        Assert.Null(headless.Logits);
        f.AssertClose("decoder output with SkipLmHead", headless.DecoderLastHiddenState, full.DecoderLastHiddenState);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(args with { Cache = full.Cache, DecoderPrefix = full.Cache!.SelfAttention }));
        Assert.Contains("Seq2SeqForwardArgs.Cache", error.Message);
        error = Assert.Throws<ArgumentException>(() => model.Forward(args with { Labels = f.Long("batch.labels")[.., ..1] }));
        Assert.Contains("Seq2SeqForwardArgs.Labels", error.Message);
    }

    [FixtureFact]
    public void CrossAttentionPrefixEqualsProjectedEncoderRows()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        using var _ = no_grad();
        var mask = f.Long("batch.attention_mask");
        var encoder = model.Encode(new Seq2SeqForwardArgs { InputIds = f.Long("batch.input_ids"), AttentionMask = mask });
        // A prefix made of the cross-attention keys/values of some extra encoder rows acts like those rows in front of the encoder output.
        var extra = encoder[.., ..2].flip(0);
        var prefix = model.Decoder.Block.Select(b => b.CrossAttention!.EncDecAttention.Project(extra)).ToList();
        var decoderIds = f.Long("batch.decoder_input_ids");
        var withPrefix = model.Forward(new Seq2SeqForwardArgs { EncoderLastHiddenState = encoder, AttentionMask = mask, DecoderInputIds = decoderIds, CrossAttentionPrefix = prefix });
        var widened = model.Forward(new Seq2SeqForwardArgs
        {
            EncoderLastHiddenState = cat(new[] { extra, encoder }, 1), AttentionMask = cat(new[] { ones_like(mask[.., ..2]), mask }, 1), DecoderInputIds = decoderIds,
        });
        f.AssertClose("cross-attention prefix vs widened encoder output", withPrefix.Logits!, widened.Logits!);
    }

    [FixtureFact]
    public void EncoderPrefixActsLikeTheFirstPositionsOfALongerInput()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        using var _ = no_grad();
        var ids = f.Long("batch.input_ids");
        var mask = f.Long("batch.attention_mask");
        const int p = 2;
        // The keys/values of the first p positions of a longer input, given as a prefix: the other positions
        // see the same keys/values at the same relative positions, so their outputs are those of the longer run.
        var longer = cat(new[] { ids[.., ..p].flip(0), ids }, 1);
        var longerMask = cat(new[] { ones_like(mask[.., ..p]), mask }, 1);
        var (last, _, presents, _) = model.Encoder.Forward(model.EmbedTokens(longer), longerMask, null, null, null, null, false, false);
        var prefix = presents.Select(kv => new KeyValue(kv.Key[.., .., ..p], kv.Value[.., .., ..p])).ToList();
        var encoded = model.Encode(new Seq2SeqForwardArgs { InputIds = ids, AttentionMask = longerMask, EncoderPrefix = prefix });
        f.AssertClose("encoder prefix vs longer input", encoded, last[.., p..]);
        var alone = model.Encode(new Seq2SeqForwardArgs { InputIds = ids, AttentionMask = mask });
        Assert.False(alone.allclose(last[.., p..], 1e-3, 1e-3), "the prefix changes the encoder output");
    }

    [FixtureFact]
    public void OriginalT5FormHasReluFeedForwardAndScaledTiedHead()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        var config = Config() with { FeedForwardProj = "relu", TieWordEmbeddings = true };
        Assert.Equal(config, T5Config.Parse(config.ToJson()));
        using var model = new T5ForConditionalGeneration(config);
        model.eval();
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("encoder.block.0.layer.1.DenseReluDense.wi.weight", keys);
        Assert.Contains("decoder.block.0.layer.2.DenseReluDense.wo.weight", keys);
        Assert.DoesNotContain(keys, k => k.Contains("wi_0") || k.StartsWith("lm_head", StringComparison.Ordinal));
        Assert.Equal("shared.weight", model.TiedWeights["lm_head.weight"]);
        using var _ = no_grad();
        var result = model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), DecoderInputIds = f.Long("batch.decoder_input_ids"),
        });
        var expected = nn.functional.linear(result.DecoderLastHiddenState * Math.Pow(config.DModel, -0.5), model.Shared.weight!);
        f.AssertClose("tied head = shared x d_model^-0.5", result.Logits!, expected);
    }

    [Fact]
    public void ConfigErrorsNameTheField()
    {
        var error = Assert.Throws<InvalidDataException>(() => T5Config.Parse("""{"model_type": "t5", "feed_forward_proj": "gated-swirl"}""", "x/config.json"));
        Assert.Contains("'x/config.json'", error.Message);
        Assert.Contains("feed_forward_proj", error.Message);
        error = Assert.Throws<InvalidDataException>(() => T5Config.Parse("""{"model_type": "t5", "d_model": "wide"}""", "x/config.json"));
        Assert.Contains("d_model", error.Message);
        Assert.Equal("gelu_new", T5Config.Parse("""{"model_type": "t5", "feed_forward_proj": "gated-gelu"}""").DenseActFn);
    }

    [FixtureFact]
    public void GreedyGenerationMatchesTransformers()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        var expected = f.Long("greedy_generation.sequence").unsqueeze(0);
        var config = model.GenerationDefaults(f.At("greedy_generation.max_new_tokens").GetInt32());
        var input = new Seq2SeqForwardArgs { InputIds = f.Long("greedy_generation.input_ids") };
        using var cached = Seq2SeqGeneration.Generate(model, input, config);
        Assert.Equal(expected.data<long>().ToArray(), cached.Sequences.data<long>().ToArray());
        using var uncached = Seq2SeqGeneration.Generate(model, input, config with { UseCache = false });
        Assert.Equal(expected.data<long>().ToArray(), uncached.Sequences.data<long>().ToArray());
        f.AssertClose("greedy step logits, cache vs none", stack(cached.Scores!, 0), stack(uncached.Scores!, 0));
    }

    [FixtureFact]
    public void GreedyGenerationOfPaddedBatchMatchesTransformers()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        var config = model.GenerationDefaults(f.At("greedy_generation_padded_batch.max_new_tokens").GetInt32());
        var input = new Seq2SeqForwardArgs
        {
            InputIds = f.Long("greedy_generation_padded_batch.input_ids"), AttentionMask = f.Long("greedy_generation_padded_batch.attention_mask"),
        };
        using var result = Seq2SeqGeneration.Generate(model, input, config);
        var expected = f.Long("greedy_generation_padded_batch.sequences");
        Assert.Equal(expected.shape, result.Sequences.shape);
        Assert.Equal(expected.data<long>().ToArray(), result.Sequences.data<long>().ToArray());
    }

    [FixtureFact]
    public void BeamGenerationMatchesTransformers()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var model = LoadModel();
        int beams = f.At("beam_generation.num_beams").GetInt32();
        var expected = f.Long("beam_generation.sequences");
        // transformers 4.33 (the fixture's) divides by the whole decoder sequence, start token included.
        var config = model.GenerationDefaults(f.At("beam_generation.max_new_tokens").GetInt32(), beams)
            with { NumReturnSequences = (int)expected.shape[0], BeamLength = BeamLengthCount.WholeSequence };
        foreach (bool useCache in new[] { true, false })
        {
            using var result = Seq2SeqGeneration.Generate(model, new Seq2SeqForwardArgs { InputIds = f.Long("beam_generation.input_ids") }, config with { UseCache = useCache });
            Assert.Equal(expected.shape, result.Sequences.shape);
            Assert.Equal(expected.data<long>().ToArray(), result.Sequences.data<long>().ToArray());
            f.AssertClose($"beam_generation.sequences_scores (cache {useCache})", result.SequenceScores!, "beam_generation.sequences_scores");
        }
    }

    [FixtureFact]
    public void PretrainedLoadsTheFolderWithNothingMissing()
    {
        var f = new ParityFixture(Name, output);
        using var scope = NewDisposeScope();
        using var loaded = Pretrained.LoadSeq2Seq(f.Folder);
        Assert.IsType<T5ForConditionalGeneration>(loaded.Model);
        Assert.Empty(loaded.LoadReport.NewlyInitialised);
        Assert.Empty(loaded.LoadReport.Ignored);
        Assert.IsType<PromptLearning.Tokenization.T5TextTokenizer>(loaded.Tokenizer);
        using var _ = no_grad();
        var result = loaded.Model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), Labels = f.Long("batch.labels"),
        });
        f.AssertClose("batch.logits (Pretrained.LoadSeq2Seq)", result.Logits!, "batch.logits");
        var error = Assert.Throws<InvalidDataException>(() => Pretrained.LoadSeq2Seq(HfFixtures.Model("gpt2")));
        Assert.Contains("model_type 'gpt2'", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Pretrained.Load(f.Folder));
        Assert.Contains("LoadSeq2Seq", error.Message);
    }
}
