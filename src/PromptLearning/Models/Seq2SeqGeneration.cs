using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Greedy and beam search for an encoder-decoder (<see cref="ISeq2SeqModel"/>) as <c>transformers</c>' <c>generate</c>
/// does: the encoder runs once (each row repeated for each beam), the decoder starts from
/// <see cref="ISeq2SeqModel.DecoderStartTokenId"/> (or the given decoder input ids) and decodes with the key/value
/// cache; the loops (eos, padding of finished rows, length penalty, forced eos) are those of <see cref="Generation"/>.
/// The input's prefixes (<see cref="Seq2SeqForwardArgs.EncoderPrefix"/>, <see cref="Seq2SeqForwardArgs.DecoderPrefix"/>,
/// <see cref="Seq2SeqForwardArgs.CrossAttentionPrefix"/>, each [batch or 1, heads, prefix, head_dim] per layer) stay in
/// front of the keys/values at every step. Returned sequences start with the decoder start token. Runs under
/// no_grad; put the model in eval() first.
/// </summary>
public static class Seq2SeqGeneration
{
    /// <summary>Greedy search or beam search, by <see cref="GenerationConfig.NumBeams"/>.</summary>
    public static GenerationResult Generate(ISeq2SeqModel model, Seq2SeqForwardArgs input, GenerationConfig config) =>
        config.NumBeams > 1 ? BeamSearch(model, input, config) : Greedy(model, input, config);

    /// <summary>Greedy search: the arg-max token at each step.</summary>
    public static GenerationResult Greedy(ISeq2SeqModel model, Seq2SeqForwardArgs input, GenerationConfig config)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return Generation.Greedy(Seq2SeqDecodingState.Start(model, input, config, 1), config);
    }

    /// <summary>
    /// Beam search as <see cref="Generation.BeamSearch(ILanguageModel, Tensor, GenerationConfig, Tensor?, IReadOnlyList{KeyValue}?)"/>;
    /// the length a hypothesis is divided by counts the decoder start token as the prompt.
    /// </summary>
    public static GenerationResult BeamSearch(ISeq2SeqModel model, Seq2SeqForwardArgs input, GenerationConfig config)
    {
        Generation.CheckBeams(config);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return Generation.BeamSearch(Seq2SeqDecodingState.Start(model, input, config, config.NumBeams), config);
    }

    /// <summary>Encoder output, its mask, prefixes, decoder rows and cache of a decoding run; every row is repeated for each beam.</summary>
    sealed class Seq2SeqDecodingState : IDecodingState
    {
        readonly ISeq2SeqModel _model;
        readonly bool _useCache;
        readonly Tensor _encoder;
        readonly Tensor? _encoderMask;
        readonly IReadOnlyList<KeyValue>? _decoderPrefix;
        readonly IReadOnlyList<KeyValue>? _crossPrefix;
        Seq2SeqCache? _cache;
        Tensor _input;
        public Tensor Sequences { get; private set; }

        Seq2SeqDecodingState(ISeq2SeqModel model, bool useCache, Tensor encoder, Tensor? encoderMask,
            IReadOnlyList<KeyValue>? decoderPrefix, IReadOnlyList<KeyValue>? crossPrefix, Tensor sequences)
        {
            _model = model;
            _useCache = useCache;
            _encoder = encoder;
            _encoderMask = encoderMask;
            _decoderPrefix = decoderPrefix;
            _crossPrefix = crossPrefix;
            Sequences = sequences;
            _input = sequences;
        }

        /// <summary>Encodes the input once and repeats encoder output, mask, prefixes and decoder start for each beam.</summary>
        public static Seq2SeqDecodingState Start(ISeq2SeqModel model, Seq2SeqForwardArgs input, GenerationConfig config, int beams)
        {
            if (config.MaxNewTokens < 0) throw new ArgumentException($"GenerationConfig.MaxNewTokens must be >= 0, got {config.MaxNewTokens}.");
            if (input.Labels is not null || input.Cache is not null || input.DecoderInputsEmbeds is not null || input.DecoderAttentionMask is not null)
                throw new ArgumentException("Seq2SeqGeneration: the input may not hold Labels, Cache, DecoderInputsEmbeds or DecoderAttentionMask (generation builds the decoder side).");
            var encoder = input.EncoderLastHiddenState?.alias() ?? model.Encode(input);
            long batch = encoder.shape[0], source = encoder.shape[1];
            var mask = input.AttentionMask is { } m ? m[.., (int)(m.shape[1] - source)..].to_type(ScalarType.Int64) : null;
            var decoderStart = input.DecoderInputIds?.to_type(ScalarType.Int64).clone()
                ?? Scalars.With((long)model.DecoderStartTokenId, s => full(batch, 1, s, dtype: ScalarType.Int64, device: encoder.device));
            if (decoderStart.dim() != 2 || decoderStart.shape[0] != batch || decoderStart.shape[1] == 0)
                throw new ArgumentException($"Seq2SeqGeneration: DecoderInputIds must be [{batch}, length > 0], got [{string.Join(", ", decoderStart.shape)}].");
            var decoderPrefix = Expand(input.DecoderPrefix, batch, beams, "DecoderPrefix");
            var crossPrefix = Expand(input.CrossAttentionPrefix, batch, beams, "CrossAttentionPrefix");
            if (beams > 1)
            {
                encoder = encoder.repeat_interleave(beams, 0);
                mask = mask?.repeat_interleave(beams, 0);
                decoderStart = decoderStart.repeat_interleave(beams, 0);
            }
            return new Seq2SeqDecodingState(model, config.UseCache, encoder, mask, decoderPrefix, crossPrefix, decoderStart);
        }

        /// <summary>A prefix of batch <paramref name="batch"/> or 1, as one entry per row and beam.</summary>
        static IReadOnlyList<KeyValue>? Expand(IReadOnlyList<KeyValue>? prefix, long batch, int beams, string name)
        {
            if (prefix is null) return null;
            Tensor One(Tensor t, int layer)
            {
                if (t.dim() != 4 || (t.shape[0] != batch && t.shape[0] != 1))
                    throw new ArgumentException($"Seq2SeqGeneration: {name}[{layer}] must be [{batch} or 1, heads, prefix, head_dim], got [{string.Join(", ", t.shape)}].");
                var rows = t.shape[0] == batch ? t.alias() : t.expand(batch, -1, -1, -1);
                return beams > 1 ? rows.repeat_interleave(beams, 0) : rows;
            }
            return prefix.Select((kv, i) => new KeyValue(One(kv.Key, i), One(kv.Value, i))).ToList();
        }

        /// <summary>
        /// Runs the decoder on the tokens not yet in the cache (with the cache off: on the whole sequence, with the
        /// prefixes); returns the last position's logits [rows, V].
        /// </summary>
        public Tensor Step()
        {
            using var scope = NewDisposeScope();
            bool cached = _useCache && _cache is not null;
            var output = _model.Forward(new Seq2SeqForwardArgs
            {
                EncoderLastHiddenState = _encoder, AttentionMask = _encoderMask,
                DecoderInputIds = cached ? _input : Sequences,
                Cache = cached ? _cache : null,
                DecoderPrefix = cached ? null : _decoderPrefix,
                CrossAttentionPrefix = cached ? null : _crossPrefix,
                UseCache = _useCache,
            });
            if (_useCache)
            {
                var next = output.Cache ?? throw new InvalidOperationException($"{_model.GetType().Name} returned no decoder cache.");
                next.MoveToOuterDisposeScope();
                _cache?.Dispose();
                _cache = next;
            }
            return output.Logits![.., -1, ..].clone().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Appends one token per row; <paramref name="sources"/> (beam search) reorders the rows and the self-attention
        /// cache first (the cross-attention keys/values are the same for every beam of a row, as <c>transformers</c>' <c>_reorder_cache</c> assumes).
        /// </summary>
        public void Append(Tensor tokens, Tensor? sources)
        {
            using var scope = NewDisposeScope();
            var rows = Sequences;
            if (sources is not null)
            {
                rows = rows.index_select(0, sources);
                if (_cache is { } cache)
                {
                    var reordered = new Seq2SeqCache(
                        cache.SelfAttention.Select(kv => new KeyValue(kv.Key.index_select(0, sources), kv.Value.index_select(0, sources))).ToList(),
                        cache.CrossAttention.Select(kv => new KeyValue(kv.Key.alias(), kv.Value.alias())).ToList());
                    reordered.MoveToOuterDisposeScope();
                    cache.Dispose();
                    _cache = reordered;
                }
            }
            var input = tokens.unsqueeze(1);
            var grown = cat(new[] { rows, input }, 1);
            var (oldSequences, oldInput) = (Sequences, _input);
            Sequences = grown.MoveToOuterDisposeScope();
            _input = input.MoveToOuterDisposeScope();
            oldSequences.Dispose();
            if (!ReferenceEquals(oldInput, oldSequences)) oldInput.Dispose();
        }
    }
}
