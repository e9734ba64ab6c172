using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Greedy and beam search for an encoder-decoder model, as <c>transformers</c>' <c>generate</c> does
/// for one: the input is encoded once (padding masked in the cross-attention), every sequence starts
/// with the decoder start token, and each step runs the decoder on the newest token with the
/// self-attention cache and the cross-attention keys/values computed at the first step. The search
/// loops (eos, padding of finished rows, beam scoring) are those of <see cref="Generation"/>; the
/// "prompt" they see is the decoder start token, so beam scores divide by the decoder sequence length
/// as <see cref="GenerationConfig.BeamLength"/> counts it. Runs under no_grad; put the model in eval()
/// first.
/// </summary>
public static class Seq2SeqGeneration
{
    /// <summary>Greedy search or beam search, by <see cref="GenerationConfig.NumBeams"/>.</summary>
    /// <param name="model">The encoder-decoder with its LM head.</param>
    /// <param name="inputIds">Encoder input [B, S].</param>
    /// <param name="config">Decoding settings; <see cref="GenerationConfig.EosTokenId"/> and <see cref="GenerationConfig.PadTokenId"/> as given (see <see cref="ConfigFor"/>).</param>
    /// <param name="attentionMask">Encoder mask [B, S] (1 = token, 0 = padding); null = all tokens.</param>
    public static GenerationResult Generate(ISeq2SeqModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask = null) =>
        config.NumBeams > 1 ? BeamSearch(model, inputIds, config, attentionMask) : Greedy(model, inputIds, config, attentionMask);

    /// <summary>Greedy search: the arg-max token at each step. Sequences [B, 1 + new tokens] start with the decoder start token.</summary>
    public static GenerationResult Greedy(ISeq2SeqModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var state = Seq2SeqDecodingState.Start(model, inputIds, attentionMask, config, 1);
        return Generation.Greedy(state, inputIds.shape[0], config).MoveToOuterDisposeScope();
    }

    /// <summary>Beam search (see <see cref="Generation.BeamSearch(ILanguageModel, Tensor, GenerationConfig, Tensor?, IReadOnlyList{KeyValue}?)"/> for the rules); sequences start with the decoder start token.</summary>
    public static GenerationResult BeamSearch(ISeq2SeqModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask = null)
    {
        Generation.CheckBeams(config);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var state = Seq2SeqDecodingState.Start(model, inputIds, attentionMask, config, config.NumBeams);
        return Generation.BeamSearch(state, inputIds.shape[0], 1, config).MoveToOuterDisposeScope();
    }

    /// <summary>Decoding settings with the model's eos and pad ids (<c>generation_config.json</c>'s defaults for T5 and BART).</summary>
    public static GenerationConfig ConfigFor(ISeq2SeqModel model, int maxNewTokens, int numBeams = 1) => new()
    {
        MaxNewTokens = maxNewTokens, NumBeams = numBeams, NumReturnSequences = 1, EosTokenId = model.EosTokenId, PadTokenId = model.PadTokenId,
    };

    /// <summary>The encoder output, the decoder sequences and the two caches of one run; every row repeated per beam.</summary>
    sealed class Seq2SeqDecodingState : IDecodingState
    {
        readonly ISeq2SeqModel _model;
        readonly Tensor _encoderHidden;
        readonly Tensor _encoderMask;
        readonly bool _useCache;
        IReadOnlyList<KeyValue>? _past;
        IReadOnlyList<KeyValue>? _cross;
        public Tensor Sequences { get; private set; }

        Seq2SeqDecodingState(ISeq2SeqModel model, Tensor encoderHidden, Tensor encoderMask, Tensor sequences, bool useCache)
        {
            _model = model;
            _encoderHidden = encoderHidden;
            _encoderMask = encoderMask;
            Sequences = sequences;
            _useCache = useCache;
        }

        public static Seq2SeqDecodingState Start(ISeq2SeqModel model, Tensor inputIds, Tensor? attentionMask, GenerationConfig config, int beams)
        {
            if (inputIds.dim() != 2 || inputIds.shape[1] == 0)
                throw new ArgumentException($"Generation input ids must be [batch, length > 0], got [{string.Join(", ", inputIds.shape)}].");
            if (config.MaxNewTokens < 0) throw new ArgumentException($"GenerationConfig.MaxNewTokens must be >= 0, got {config.MaxNewTokens}.");
            if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
                throw new ArgumentException($"Generation attention mask must be [{string.Join(", ", inputIds.shape)}] like the input ids, got [{string.Join(", ", attentionMask.shape)}].");
            var mask = attentionMask?.to_type(ScalarType.Int64) ?? ones_like(inputIds, dtype: ScalarType.Int64);
            var encoded = model.Encode(new Seq2SeqForwardArgs { InputIds = inputIds, AttentionMask = mask });
            long rows = inputIds.shape[0] * beams;
            var sequences = full(rows, 1, model.DecoderStartTokenId, dtype: ScalarType.Int64, device: inputIds.device);
            return new Seq2SeqDecodingState(model, encoded.LastHiddenState.repeat_interleave(beams, 0), mask.repeat_interleave(beams, 0), sequences, config.UseCache);
        }

        /// <summary>Runs the decoder on the newest token with the caches (with the cache off: on the whole sequence); returns its logits [rows, V].</summary>
        public Tensor Step()
        {
            using var scope = NewDisposeScope();
            var output = _model.Forward(new Seq2SeqForwardArgs
            {
                EncoderLastHiddenState = _encoderHidden, AttentionMask = _encoderMask,
                DecoderInputIds = _useCache && _past is not null ? Sequences.narrow(1, Sequences.shape[1] - 1, 1) : Sequences,
                DecoderPastKeyValues = _useCache ? _past : null,
                CrossAttentionKeyValues = _useCache ? _cross : null,
                UseCache = _useCache,
            });
            if (_useCache)
            {
                var present = output.PresentKeyValues ?? throw new InvalidOperationException($"{_model.GetType().Name} returned no key/value cache.");
                foreach (var kv in present) { kv.Key.MoveToOuterDisposeScope(); kv.Value.MoveToOuterDisposeScope(); }
                Dispose(_past);
                _past = present;
                if (_cross is null)
                {
                    _cross = output.CrossAttentionKeyValues ?? throw new InvalidOperationException($"{_model.GetType().Name} returned no cross-attention keys/values.");
                    foreach (var kv in _cross) { kv.Key.MoveToOuterDisposeScope(); kv.Value.MoveToOuterDisposeScope(); }
                }
            }
            return output.Logits![.., -1, ..].clone().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Appends one token per row; <paramref name="sources"/> (beam search) reorders the rows and the
        /// self-attention cache first. The cross-attention keys/values are the same for every beam of an
        /// input row and beams only continue beams of their own row, so they stay as they are.
        /// </summary>
        public void Append(Tensor tokens, Tensor? sources)
        {
            using var scope = NewDisposeScope();
            var rows = Sequences;
            if (sources is not null)
            {
                rows = rows.index_select(0, sources);
                if (_past is not null)
                {
                    var reordered = _past.Select(kv => new KeyValue(kv.Key.index_select(0, sources).MoveToOuterDisposeScope(), kv.Value.index_select(0, sources).MoveToOuterDisposeScope())).ToList();
                    Dispose(_past);
                    _past = reordered;
                }
            }
            var grown = cat(new[] { rows, tokens.unsqueeze(1) }, 1).MoveToOuterDisposeScope();
            Sequences.Dispose();
            Sequences = grown;
        }

        static void Dispose(IReadOnlyList<KeyValue>? cache)
        {
            if (cache is null) return;
            foreach (var kv in cache) { kv.Key.Dispose(); kv.Value.Dispose(); }
        }
    }
}
