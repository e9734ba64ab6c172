using PromptLearning.Checkpoints;
using PromptLearning.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>
/// BART (<c>BartForConditionalGeneration</c>) loading, tokenizer, forward passes and generation against what
/// <c>transformers</c> recorded in <c>bart/expected.json</c>. Every expectation (sizes included) comes from the fixture;
/// the encoder and cross-attention prefixes, which <c>transformers</c> has no input for, are checked by equivalences
/// that must reproduce the recorded batch.
/// </summary>
public sealed class BartParityTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("bart-parity-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A copy of the fixture folder whose weights are <paramref name="rewrite"/> of the fixture's (name -> tensor).</summary>
    string Rewritten(ParityFixture f, string name, Func<Dictionary<string, Tensor>, IEnumerable<KeyValuePair<string, Tensor>>> rewrite)
    {
        var folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(f.Folder).Where(p => !p.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), rewrite(Safetensors.Load(Path.Combine(f.Folder, "model.safetensors"))).ToList());
        return folder;
    }

    static BartForConditionalGeneration Load(ParityFixture f) =>
        (BartForConditionalGeneration)Pretrained.LoadSeq2Seq(f.Folder).Model;

    /// <summary>Per-layer keys/values from [layers, B, heads, len, head_dim] tensors.</summary>
    static List<KeyValue> PerLayer(Tensor keys, Tensor values) =>
        Enumerable.Range(0, (int)keys.shape[0]).Select(i => new KeyValue(keys[i], values[i])).ToList();

    [FixtureFact]
    public void StateDictKeysAreTheSafetensorsKeysAndTiedAliasesAreNotStored()
    {
        var f = new ParityFixture("bart", output);
        using var loaded = Pretrained.LoadSeq2Seq(f.Folder);
        var keys = loaded.Model.Module.state_dict().Keys.Order(StringComparer.Ordinal).ToList();
        using var reader = SafetensorsReader.Open(Path.Combine(f.Folder, "model.safetensors"));
        var saved = reader.Names.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(saved, keys);
        Assert.All(loaded.Model.TiedWeights, kv => { Assert.DoesNotContain(kv.Key, saved); Assert.Contains(kv.Value, keys); });
        Assert.Empty(loaded.LoadReport.NewlyInitialised);
        Assert.Empty(loaded.LoadReport.Ignored);
        Assert.Equal(saved.Count, loaded.LoadReport.Loaded.Count);
    }

    [FixtureFact]
    public void BareBartModelCheckpointWithStoredTiedAliasLoads()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        var folder = Rewritten(f, "bare", all => all
            .Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal))
            .Select(kv => KeyValuePair.Create(kv.Key["model.".Length..], kv.Value))
            .Append(KeyValuePair.Create("encoder.embed_tokens.weight", all["model.shared.weight"])));
        using var bare = Pretrained.LoadSeq2Seq(folder);
        Assert.Equal(["final_logits_bias"], bare.LoadReport.NewlyInitialised);
        Assert.Equal(["encoder.embed_tokens.weight"], bare.LoadReport.Ignored);
        using var full = Pretrained.LoadSeq2Seq(f.Folder);
        using var _ = no_grad();
        var args = new Seq2SeqForwardArgs { InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), Labels = f.Long("batch.labels") };
        var withoutBias = bare.Model.Forward(args).Logits!;
        var bias = ((BartForConditionalGeneration)full.Model).FinalLogitsBias;
        f.AssertClose("batch.logits (bare BartModel checkpoint + final_logits_bias)", withoutBias + bias, "batch.logits");
    }

    [FixtureFact]
    public void CheckpointWithoutATensorIsRefusedNamingIt()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        var names = Safetensors.Load(Path.Combine(f.Folder, "model.safetensors")).Keys.Order(StringComparer.Ordinal).ToList();
        var dropped = names.First(n => n.Contains(".layers.", StringComparison.Ordinal));
        var folder = Rewritten(f, "missing", all => all.Where(kv => kv.Key != dropped));
        var ex = Assert.Throws<InvalidDataException>(() => Pretrained.LoadSeq2Seq(folder));
        Assert.Contains(dropped, ex.Message);
        Assert.Contains("missing tensors", ex.Message);
    }

    [FixtureFact]
    public void LoadIsRefusedWithAPointerToLoadSeq2Seq()
    {
        var f = new ParityFixture("bart", output);
        var ex = Assert.Throws<InvalidDataException>(() => Pretrained.Load(f.Folder));
        Assert.Contains("LoadSeq2Seq", ex.Message);
    }

    [FixtureFact]
    public void TokenizerMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var loaded = Pretrained.LoadSeq2Seq(f.Folder);
        var tokenizer = loaded.Tokenizer;
        int count = 0;
        foreach (var entry in f.At("tokenization").EnumerateObject())
        {
            var expected = entry.Value.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, tokenizer.BuildInputs(tokenizer.Encode(entry.Name)));
            count++;
        }
        f.Log($"bart tokenization: {count} texts exact");
    }

    [FixtureFact]
    public void BatchMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        using var _ = no_grad();
        var labels = f.Long("batch.labels");
        int start = f.At("batch.decoder_start_token_id").GetInt32();
        var shifted = Seq2Seq.ShiftTokensRight(labels, model.Config.PadTokenId, start);
        Assert.Equal(f.Long("batch.decoder_input_ids").data<long>().ToArray(), shifted.data<long>().ToArray());
        var result = model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), Labels = labels, OutputHiddenStates = true,
        });
        f.AssertClose("batch.encoder_last_hidden_state", result.EncoderLastHiddenState, "batch.encoder_last_hidden_state");
        f.AssertClose("batch.encoder_hidden_states", stack(result.EncoderHiddenStates!, 0), "batch.encoder_hidden_states");
        f.AssertClose("batch.decoder_hidden_states", stack(result.DecoderHiddenStates!, 0), "batch.decoder_hidden_states");
        f.AssertClose("batch.logits", result.Logits!, "batch.logits");
        f.AssertClose("batch.loss", result.Loss!, tensor(f.At("batch.loss").GetDouble()));
        Assert.Null(result.Cache);

        // Embeddings in place of ids: used as given, so scaled here as the model scales ids (scale_embedding).
        double scale = model.Config.ScaleEmbedding ? Math.Sqrt(model.Config.DModel) : 1.0;
        var embedded = model.Forward(new Seq2SeqForwardArgs
        {
            InputsEmbeds = model.EmbedTokens(f.Long("batch.input_ids")).mul(scale), AttentionMask = f.Long("batch.attention_mask"),
            DecoderInputsEmbeds = model.EmbedTokens(shifted).mul(scale), Labels = labels,
        });
        f.AssertClose("batch.logits (from input embeddings)", embedded.Logits!, "batch.logits");
    }

    [FixtureFact]
    public void MaskedOutEncoderPrefixLeavesTheBatchAsTransformersComputesIt()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        using var _ = no_grad();
        var ids = f.Long("batch.input_ids");
        var mask = f.Long("batch.attention_mask");
        var config = model.Config;
        long batch = ids.shape[0], prefixLength = 4, headDim = config.DModel / config.EncoderAttentionHeads;
        var prefix = Enumerable.Range(0, config.EncoderLayers)
            .Select(_ => new KeyValue(randn(batch, config.EncoderAttentionHeads, prefixLength, headDim), randn(batch, config.EncoderAttentionHeads, prefixLength, headDim))).ToList();
        var args = new Seq2SeqForwardArgs { InputIds = ids, DecoderInputIds = f.Long("batch.decoder_input_ids"), EncoderPrefix = prefix };
        var hidden = model.Forward(args with { AttentionMask = cat(new[] { zeros(batch, prefixLength, dtype: ScalarType.Int64), mask }, 1) });
        f.AssertClose("batch.encoder_last_hidden_state (masked encoder prefix)", hidden.EncoderLastHiddenState, "batch.encoder_last_hidden_state");
        f.AssertClose("batch.logits (masked encoder prefix)", hidden.Logits!, "batch.logits");
        // Visible (the mask without its prefix columns), the prefix changes the encoder.
        var seen = model.Forward(args with { AttentionMask = mask });
        Assert.False(seen.EncoderLastHiddenState.allclose(hidden.EncoderLastHiddenState, 1e-3, 1e-3));
    }

    [FixtureFact]
    public void CrossAttentionPrefixOfTheFirstEncoderPositionsReproducesTheBatch()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        using var _ = no_grad();
        var mask = f.Long("batch.attention_mask");
        var decoderIds = f.Long("batch.decoder_input_ids");
        // The first positions are tokens in every row (right padding), so their keys/values may move into a prefix.
        long k = mask.sum(dim: 0).eq(mask.shape[0]).to_type(ScalarType.Int64).cumprod(0).sum().item<long>() / 2;
        Assert.True(k > 0);
        var full = model.Forward(new Seq2SeqForwardArgs { InputIds = f.Long("batch.input_ids"), AttentionMask = mask, DecoderInputIds = decoderIds, UseCache = true });
        var crossPrefix = full.Cache!.CrossAttention.Select(kv => new KeyValue(kv.Key[.., .., ..(int)k], kv.Value[.., .., ..(int)k])).ToList();
        var split = model.Forward(new Seq2SeqForwardArgs
        {
            EncoderLastHiddenState = full.EncoderLastHiddenState[.., (int)k..], AttentionMask = mask[.., (int)k..],
            DecoderInputIds = decoderIds, CrossAttentionPrefix = crossPrefix, UseCache = true,
        });
        f.AssertClose($"batch.logits (first {k} encoder positions as a cross-attention prefix)", split.Logits!, "batch.logits");
        Assert.Equal(full.EncoderLastHiddenState.shape[1], split.Cache!.CrossAttention[0].Key.shape[2]);
    }

    [FixtureFact]
    public void BatchMatchesTransformersOnTheAutogradPath()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        var result = model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"), Labels = f.Long("batch.labels"),
        });
        f.AssertClose("batch.logits (autograd path)", result.Logits!, "batch.logits");
        f.AssertClose("batch.loss (autograd path)", result.Loss!, tensor(f.At("batch.loss").GetDouble()));
        result.Loss!.backward();
        Assert.True(model.Model.Shared.weight!.grad!.abs().sum().item<float>() > 0);
    }

    [FixtureFact]
    public void DecoderPrefixMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        using var _ = no_grad();
        var prefix = PerLayer(f.Float("decoder_prefix.past_keys"), f.Float("decoder_prefix.past_values"));
        Assert.Equal(f.At("decoder_prefix.prefix_len").GetInt64(), prefix[0].Key.shape[2]);
        var result = model.Forward(new Seq2SeqForwardArgs
        {
            InputIds = f.Long("batch.input_ids"), AttentionMask = f.Long("batch.attention_mask"),
            DecoderInputIds = f.Long("decoder_prefix.decoder_input_ids"), DecoderPrefix = prefix,
        });
        f.AssertClose("decoder_prefix.logits", result.Logits!, "decoder_prefix.logits");
    }

    [FixtureFact]
    public void CachedDecodingAfterAPrefixMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        using var _ = no_grad();
        var mask = f.Long("batch.attention_mask");
        var encoder = model.Encode(new Seq2SeqForwardArgs { InputIds = f.Long("batch.input_ids"), AttentionMask = mask });
        var ids = f.Long("decoder_prefix.decoder_input_ids");
        Seq2SeqCache? cache = null;
        var steps = new List<Tensor>();
        for (int t = 0; t < ids.shape[1]; t++)
        {
            var step = model.Forward(new Seq2SeqForwardArgs
            {
                EncoderLastHiddenState = encoder, AttentionMask = mask, DecoderInputIds = ids[.., t..(t + 1)], Cache = cache, UseCache = true,
                DecoderPrefix = cache is null ? PerLayer(f.Float("decoder_prefix.past_keys"), f.Float("decoder_prefix.past_values")) : null,
            });
            cache = step.Cache;
            steps.Add(step.Logits!);
        }
        Assert.Equal(f.At("decoder_prefix.prefix_len").GetInt64() + ids.shape[1], cache!.SelfLength);
        f.AssertClose("decoder_prefix.logits (one token at a time with the cache)", cat(steps, 1), "decoder_prefix.logits");
    }

    [FixtureFact]
    public void GreedyGenerationMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        var expected = f.Long("greedy_generation.sequence").data<long>().ToArray();
        int maxNew = f.At("greedy_generation.max_new_tokens").GetInt32();
        var input = new Seq2SeqForwardArgs { InputIds = f.Long("greedy_generation.input_ids") };
        foreach (bool useCache in new[] { true, false })
        {
            using var result = Seq2SeqGeneration.Greedy(model, input, model.GenerationDefaults(maxNew) with { UseCache = useCache });
            Assert.Equal(expected, result.Sequences[0].data<long>().ToArray());
        }
        // From input embeddings (where soft prompts enter), scaled as the model scales ids.
        double scale = model.Config.ScaleEmbedding ? Math.Sqrt(model.Config.DModel) : 1.0;
        using (var fromEmbeds = Seq2SeqGeneration.Greedy(model, new Seq2SeqForwardArgs { InputsEmbeds = model.EmbedTokens(input.InputIds!).mul(scale) }, model.GenerationDefaults(maxNew)))
            Assert.Equal(expected, fromEmbeds.Sequences[0].data<long>().ToArray());
        f.Log($"bart greedy_generation: {expected.Length} tokens exact, with and without the cache, and from input embeddings");
    }

    [FixtureFact]
    public void BeamGenerationMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        var input = f.Long("beam_generation.input_ids");
        var expected = f.Long("beam_generation.sequences");
        int beams = f.At("beam_generation.num_beams").GetInt32();
        // transformers 4.33 (the fixture's) divides a hypothesis' score by the whole decoder row's length.
        var config = model.GenerationDefaults(f.At("beam_generation.max_new_tokens").GetInt32(), beams) with
        {
            NumReturnSequences = (int)(expected.shape[0] / input.shape[0]), BeamLength = BeamLengthCount.WholeSequence,
        };
        foreach (bool useCache in new[] { true, false })
        {
            using var result = Seq2SeqGeneration.BeamSearch(model, new Seq2SeqForwardArgs { InputIds = input }, config with { UseCache = useCache });
            Assert.Equal(expected.shape, result.Sequences.shape);
            Assert.Equal(expected.data<long>().ToArray(), result.Sequences.contiguous().data<long>().ToArray());
            f.AssertClose($"beam_generation.sequences_scores (cache {(useCache ? "on" : "off")})", result.SequenceScores!, "beam_generation.sequences_scores");
        }
    }

    [FixtureFact]
    public void GreedyGenerationOfPaddedBatchMatchesTransformers()
    {
        var f = new ParityFixture("bart", output);
        using var scope = NewDisposeScope();
        using var model = Load(f);
        var expected = f.Long("greedy_generation_padded_batch.sequences");
        var input = new Seq2SeqForwardArgs
        {
            InputIds = f.Long("greedy_generation_padded_batch.input_ids"), AttentionMask = f.Long("greedy_generation_padded_batch.attention_mask"),
        };
        using var result = Seq2SeqGeneration.Greedy(model, input, model.GenerationDefaults(f.At("greedy_generation_padded_batch.max_new_tokens").GetInt32()));
        Assert.Equal(expected.shape, result.Sequences.shape);
        Assert.Equal(expected.data<long>().ToArray(), result.Sequences.contiguous().data<long>().ToArray());
        f.Log($"bart greedy_generation_padded_batch: {expected.shape[0]} rows x {expected.shape[1]} tokens exact");
    }
}
