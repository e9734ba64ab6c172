using PromptLearning.Native;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Decoding settings (HF <c>GenerationConfig</c> names). <see cref="NumBeams"/> 1 = greedy search.
/// The only logits processor is <see cref="ForcedEosTokenId"/> (no temperature, repetition penalty or minimum length).
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>Tokens to generate after the prompt (HF <c>max_new_tokens</c>).</summary>
    public int MaxNewTokens { get; init; } = 20;
    /// <summary>1 = greedy; more = beam search (HF <c>num_beams</c>).</summary>
    public int NumBeams { get; init; } = 1;
    /// <summary>End of sequence (HF <c>eos_token_id</c>); null = never stop early.</summary>
    public int? EosTokenId { get; init; }
    /// <summary>Fills finished rows; defaults to <see cref="EosTokenId"/> as HF does when no pad token exists.</summary>
    public int? PadTokenId { get; init; }
    /// <summary>Beam search: hypotheses returned per input row, best first (HF <c>num_return_sequences</c>, at most <see cref="NumBeams"/>).</summary>
    public int NumReturnSequences { get; init; } = 1;
    /// <summary>Beam score = sum log p / length ^ this, the length as <see cref="BeamLength"/> counts it (HF <c>length_penalty</c>, default 1.0).</summary>
    public double LengthPenalty { get; init; } = 1.0;
    /// <summary>
    /// Which length <see cref="LengthPenalty"/> divides by. Default <see cref="BeamLengthCount.GeneratedTokens"/>:
    /// the generated tokens, a final EOS included, as <c>transformers</c>' <c>BeamSearchScorer</c> has counted
    /// since it subtracts <c>decoder_prompt_len</c>. <see cref="BeamLengthCount.WholeSequence"/> reproduces the
    /// older <c>transformers</c> (4.33, the version of the beam-search fixtures).
    /// </summary>
    public BeamLengthCount BeamLength { get; init; } = BeamLengthCount.GeneratedTokens;
    /// <summary>Beam search stops as soon as <see cref="NumBeams"/> hypotheses ended (HF <c>early_stopping=True</c>); false = HF's heuristic.</summary>
    public bool EarlyStopping { get; init; }
    /// <summary>
    /// Keep the key/value cache between steps (HF <c>use_cache</c>, default true). False runs the whole
    /// sequence again at every step (a prefix is still passed as past keys/values): the same tokens and
    /// scores, slower; <c>plearn bench</c> measures the difference.
    /// </summary>
    public bool UseCache { get; init; } = true;
    /// <summary>
    /// Forces this token at the last step (HF <c>forced_eos_token_id</c>, <c>ForcedEOSTokenLogitsProcessor</c>: every
    /// other score -inf, its own 0 after the log-softmax of beam search); null = none (GPT-2's default).
    /// </summary>
    public int? ForcedEosTokenId { get; init; }

    /// <summary>Greedy decoding for a model's config: eos and pad from it.</summary>
    public static GenerationConfig From(TransformerConfig config, int maxNewTokens, int numBeams = 1) => new()
    {
        MaxNewTokens = maxNewTokens, NumBeams = numBeams, EosTokenId = config.EosTokenId, PadTokenId = config.PadTokenId,
    };
}

/// <summary>The length that beam search's length penalty divides a hypothesis' summed log probability by.</summary>
public enum BeamLengthCount
{
    /// <summary>
    /// Tokens generated after the prompt, counting the EOS that ends a hypothesis (so a hypothesis ending at
    /// the first step has length 1); the early-stop check uses the length after the current step. Current
    /// <c>transformers</c> (<c>generated_len = cur_len - decoder_prompt_len</c>, <c>cur_len = input_ids.shape[-1] + 1</c>).
    /// </summary>
    GeneratedTokens,
    /// <summary>
    /// The whole row, prompt (and its padding) included: a hypothesis ended by EOS counts its tokens before the
    /// EOS, one still running at the end counts all of them, and the early-stop check uses the length after the
    /// current step. <c>transformers</c> 4.33 and earlier (<c>hyp.shape[-1]</c>); for an encoder-decoder the row is
    /// the decoder sequence, its start token included.
    /// </summary>
    WholeSequence,
}

/// <summary>What <see cref="Generation"/> returns.</summary>
/// <param name="Sequences">[B, prompt + new] ids (beam search: [B * num_return_sequences, ...], each row's hypotheses best first): the prompt (with its padding) then the generated tokens; finished rows padded.</param>
/// <param name="Scores">Greedy: the last position's logits at each step, [B, V] per step. Beam search: null.</param>
/// <param name="SequenceScores">Beam search: the length-normalised log probability of each returned sequence [B * num_return_sequences]. Greedy: null.</param>
public sealed record GenerationResult(Tensor Sequences, IReadOnlyList<Tensor>? Scores, Tensor? SequenceScores) : IDisposable
{
    public void Dispose()
    {
        Sequences.Dispose();
        if (Scores is not null) foreach (var s in Scores) s.Dispose();
        SequenceScores?.Dispose();
    }
}

/// <summary>
/// What the greedy and beam-search loops of <see cref="Generation"/> decode with: the rows generated so far (each
/// input row repeated for each beam), the next-token logits, and appending (with beam reordering).
/// </summary>
internal interface IDecodingState
{
    /// <summary>[rows, length]: the prompt (or decoder start) then the tokens appended so far.</summary>
    Tensor Sequences { get; }
    /// <summary>Runs the model on what it has not seen yet; the last position's logits [rows, V].</summary>
    Tensor Step();
    /// <summary>Appends one token per row; <paramref name="sources"/> (beam search) reorders the rows and the cache first.</summary>
    void Append(Tensor tokens, Tensor? sources);
}

/// <summary>
/// Autoregressive decoding for a causal LM (GPT-2) with the key/value cache, as <c>transformers</c>'
/// <c>generate</c> does: a left-padded batch gets position ids <c>cumsum(mask) - 1</c> (pads 1) and masked
/// pads; an optional <c>prefix</c> (per-layer keys/values, e.g. from prefix tuning) stays in front of the
/// cache, visible to every token, and shifts positions by its length. Runs under no_grad; put the model in
/// eval() first (dropout is not switched off here).
/// </summary>
public static class Generation
{
    /// <summary>Greedy search or beam search, by <see cref="GenerationConfig.NumBeams"/>.</summary>
    public static GenerationResult Generate(ILanguageModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask = null, IReadOnlyList<KeyValue>? prefix = null) =>
        config.NumBeams > 1 ? BeamSearch(model, inputIds, config, attentionMask, prefix) : Greedy(model, inputIds, config, attentionMask, prefix);

    /// <summary>Greedy search: the arg-max token at each step.</summary>
    public static GenerationResult Greedy(ILanguageModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask = null, IReadOnlyList<KeyValue>? prefix = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return Greedy(DecodingState.Start(model, inputIds, config, attentionMask, prefix, 1), config);
    }

    /// <summary>
    /// The greedy loop over any decoding state (a causal LM's or an encoder-decoder's). Runs inside the caller's
    /// no_grad and dispose scope, and moves its result out of that scope.
    /// </summary>
    internal static GenerationResult Greedy(IDecodingState state, GenerationConfig config)
    {
        long batch = state.Sequences.shape[0];
        int? eos = config.EosTokenId;
        long pad = config.PadTokenId ?? config.EosTokenId ?? 0;
        var unfinished = ones(batch, dtype: ScalarType.Bool, device: state.Sequences.device);
        var scores = new List<Tensor>();
        for (int step = 0; step < config.MaxNewTokens; step++)
        {
            var logits = state.Step();
            if (config.ForcedEosTokenId is int forced && step == config.MaxNewTokens - 1) ForceToken(logits, forced);
            scores.Add(logits);
            var next = logits.argmax(-1);
            if (eos is not null)
            {
                next = where(unfinished, next, Scalars.With(pad, s => full_like(next, s)));
                unfinished = unfinished.logical_and(Scalars.With((long)eos.Value, s => next.ne(s)));
            }
            state.Append(next, null);
            if (eos is not null && !unfinished.any().item<bool>()) break;
        }
        var sequences = state.Sequences.MoveToOuterDisposeScope();
        return new GenerationResult(sequences, scores.Select(t => t.MoveToOuterDisposeScope()).ToList(), null);
    }

    /// <summary>
    /// Beam search as HF's <c>BeamSearchScorer</c> (length penalty on the length <see cref="GenerationConfig.BeamLength"/>
    /// counts, when a hypothesis is added and in the early-stop check; early stopping true/false; eos ends a
    /// hypothesis when among the top <c>num_beams</c> candidates); returns the best
    /// <see cref="GenerationConfig.NumReturnSequences"/> hypotheses per row, with eos appended when they
    /// ended early and pads to the longest.
    /// </summary>
    public static GenerationResult BeamSearch(ILanguageModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask = null, IReadOnlyList<KeyValue>? prefix = null)
    {
        CheckBeams(config);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return BeamSearch(DecodingState.Start(model, inputIds, config, attentionMask, prefix, config.NumBeams), config);
    }

    /// <summary>Checks <see cref="GenerationConfig.NumBeams"/> and <see cref="GenerationConfig.NumReturnSequences"/> (before a decoding state is built).</summary>
    internal static void CheckBeams(GenerationConfig config)
    {
        if (config.NumBeams < 1) throw new ArgumentException($"GenerationConfig.NumBeams must be at least 1, got {config.NumBeams}.");
        if (config.NumReturnSequences < 1 || config.NumReturnSequences > config.NumBeams)
            throw new ArgumentException($"GenerationConfig.NumReturnSequences must be in 1..NumBeams ({config.NumBeams}), got {config.NumReturnSequences}.");
    }

    /// <summary>
    /// The beam-search loop over any decoding state whose rows are each input row repeated
    /// <see cref="GenerationConfig.NumBeams"/> times; the prompt is the state's sequences at the start (an
    /// encoder-decoder's: the decoder start token). Runs inside the caller's no_grad and dispose scope, and moves
    /// its result out of that scope.
    /// </summary>
    internal static GenerationResult BeamSearch(IDecodingState state, GenerationConfig config)
    {
        int beams = config.NumBeams;
        long batch = state.Sequences.shape[0] / beams, promptLength = state.Sequences.shape[1];
        int? eos = config.EosTokenId;
        long pad = config.PadTokenId ?? config.EosTokenId ?? 0;
        var device = state.Sequences.device;
        var beamScores = zeros(batch, beams, dtype: ScalarType.Float32, device: device);
        beamScores[.., 1..] = tensor(-1e9f, device: device);
        beamScores = beamScores.view(-1);
        var hyps = Enumerable.Range(0, (int)batch).Select(_ => new BeamHypotheses(beams, config.LengthPenalty, config.EarlyStopping)).ToArray();
        var done = new bool[batch];
        int candidates = Math.Max(2, 1 + (eos is null ? 0 : 1)) * beams;

        for (int step = 0; step < config.MaxNewTokens; step++)
        {
            float[] scoreArr;
            long[] idArr;
            long vocab;
            using (var logits = state.Step())
            using (var stepScope = NewDisposeScope())
            {
                vocab = logits.shape[^1];
                var logProbs = logits.log_softmax(-1);
                if (config.ForcedEosTokenId is int forced && step == config.MaxNewTokens - 1) ForceToken(logProbs, forced);
                var next = logProbs.PlusInPlace(beamScores.unsqueeze(1)).view(batch, beams * vocab);
                var (topScores, topIds) = next.topk(candidates, 1);
                scoreArr = topScores.contiguous().cpu().data<float>().ToArray();
                idArr = topIds.contiguous().cpu().data<long>().ToArray();
            }
            long curLength = state.Sequences.shape[1];
            // HF's cur_len is the length once this step's token (an EOS too) is appended.
            long endedLength, checkLength;
            if (config.BeamLength == BeamLengthCount.GeneratedTokens) endedLength = checkLength = curLength + 1 - promptLength;
            else (endedLength, checkLength) = (curLength, curLength + 1);
            var sequences = state.Sequences.contiguous().cpu().data<long>().ToArray();

            var newScores = new float[batch * beams];
            var newTokens = new long[batch * beams];
            var newSources = new long[batch * beams];
            for (int b = 0; b < batch; b++)
            {
                if (done[b])
                {
                    for (int j = 0; j < beams; j++) { newTokens[b * beams + j] = pad; newSources[b * beams + j] = b * beams; }
                    continue;
                }
                int filled = 0;
                for (int rank = 0; rank < candidates && filled < beams; rank++)
                {
                    long flat = idArr[b * candidates + rank];
                    long token = flat % vocab, source = b * beams + flat / vocab;
                    float score = scoreArr[b * candidates + rank];
                    if (eos is not null && token == eos.Value)
                    {
                        if (rank >= beams) continue;
                        hyps[b].Add(sequences.AsSpan((int)(source * curLength), (int)curLength).ToArray(), score, endedLength);
                    }
                    else
                    {
                        newScores[b * beams + filled] = score;
                        newTokens[b * beams + filled] = token;
                        newSources[b * beams + filled] = source;
                        filled++;
                    }
                }
                float bestRunning = scoreArr.AsSpan(b * candidates, candidates).ToArray().Max();
                done[b] = hyps[b].IsDone(bestRunning, checkLength);
            }
            beamScores.Dispose();
            beamScores = tensor(newScores, device: device);
            state.Append(tensor(newTokens, device: device), tensor(newSources, device: device));
            if (done.All(d => d)) break;
        }

        var final = state.Sequences.contiguous().cpu().data<long>().ToArray();
        long finalLength = state.Sequences.shape[1];
        var finalScores = beamScores.cpu().data<float>().ToArray();
        for (int b = 0; b < batch; b++)
        {
            if (done[b]) continue;
            for (int j = 0; j < beams; j++)
            {
                long row = b * beams + j;
                hyps[b].Add(final.AsSpan((int)(row * finalLength), (int)finalLength).ToArray(), finalScores[row], config.BeamLength == BeamLengthCount.GeneratedTokens ? finalLength - promptLength : finalLength);
            }
        }

        int returned = config.NumReturnSequences;
        var best = hyps.SelectMany(h => h.Best(returned)).ToArray();
        long maxLength = promptLength + config.MaxNewTokens;
        long width = Math.Min(best.Max(h => h.Tokens.Length) + 1, maxLength);
        var output = new long[best.Length * width];
        Array.Fill(output, pad);
        for (int r = 0; r < best.Length; r++)
        {
            var tokens = best[r].Tokens;
            Array.Copy(tokens, 0, output, r * width, tokens.Length);
            if (tokens.Length < width && eos is not null) output[r * width + tokens.Length] = eos.Value;
        }
        var sequencesOut = tensor(output, new[] { best.Length, width }, device: device);
        var seqScores = tensor(best.Select(h => (float)h.Score).ToArray(), device: device);
        return new GenerationResult(sequencesOut.MoveToOuterDisposeScope(), null, seqScores.MoveToOuterDisposeScope());
    }

    /// <summary>HF's <c>ForcedEOSTokenLogitsProcessor</c> on scores [rows, V], in place: <paramref name="token"/> 0, every other -inf.</summary>
    static void ForceToken(Tensor scores, int token)
    {
        Scalars.With(double.NegativeInfinity, s => scores.fill_(s));
        scores[.., token] = tensor(0f, dtype: scores.dtype, device: scores.device);
    }

    /// <summary>The finished hypotheses of one row (HF <c>BeamHypotheses</c>): keeps the best <c>num_beams</c>.</summary>
    sealed class BeamHypotheses(int beams, double lengthPenalty, bool earlyStopping)
    {
        readonly List<(double Score, long[] Tokens)> _items = [];
        double _worst = 1e9;

        /// <summary>Adds a hypothesis scored sum_logprobs / length ^ length_penalty.</summary>
        public void Add(long[] tokens, double sumLogProbs, long length)
        {
            double score = sumLogProbs / Math.Pow(length, lengthPenalty);
            if (_items.Count < beams || score > _worst)
            {
                _items.Add((score, tokens));
                if (_items.Count > beams)
                {
                    int worstIndex = 0;
                    for (int i = 1; i < _items.Count; i++) if (_items[i].Score < _items[worstIndex].Score) worstIndex = i;
                    _items.RemoveAt(worstIndex);
                    _worst = _items.Min(h => h.Score);
                }
                else _worst = Math.Min(score, _worst);
            }
        }

        /// <summary>True when no running beam can beat the worst kept hypothesis (or, with early stopping, when full).</summary>
        public bool IsDone(double bestSumLogProbs, long length)
        {
            if (_items.Count < beams) return false;
            if (earlyStopping) return true;
            return _worst >= bestSumLogProbs / Math.Pow(length, lengthPenalty);
        }

        /// <summary>The <paramref name="count"/> best hypotheses, best first.</summary>
        public IEnumerable<(double Score, long[] Tokens)> Best(int count) => _items.OrderByDescending(h => h.Score).Take(count);
    }

    /// <summary>Sequences, mask and cache of a causal LM's decoding run; every row is repeated for each beam.</summary>
    sealed class DecodingState : IDecodingState
    {
        readonly ILanguageModel _model;
        readonly bool _useCache;
        Tensor _input;
        Tensor _mask;
        IReadOnlyList<KeyValue>? _past;
        public Tensor Sequences { get; private set; }

        DecodingState(ILanguageModel model, Tensor sequences, Tensor mask, IReadOnlyList<KeyValue>? past, bool useCache)
        {
            _model = model;
            _useCache = useCache;
            Sequences = sequences;
            _input = sequences;
            _mask = mask;
            _past = past;
        }

        public static DecodingState Start(ILanguageModel model, Tensor inputIds, GenerationConfig config, Tensor? attentionMask, IReadOnlyList<KeyValue>? prefix, int beams)
        {
            if (!model.Config.IsCausal)
                throw new ArgumentException($"Generation needs a causal LM (gpt2), got model_type '{model.Config.ModelType}'.");
            if (inputIds.dim() != 2 || inputIds.shape[1] == 0)
                throw new ArgumentException($"Generation input ids must be [batch, length > 0], got [{string.Join(", ", inputIds.shape)}].");
            if (config.MaxNewTokens < 0) throw new ArgumentException($"GenerationConfig.MaxNewTokens must be >= 0, got {config.MaxNewTokens}.");
            if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
                throw new ArgumentException($"Generation attention mask must be [{string.Join(", ", inputIds.shape)}] like the input ids, got [{string.Join(", ", attentionMask.shape)}].");
            long batch = inputIds.shape[0];
            // Fresh tensors throughout: the state disposes what it replaces, never the caller's tensors.
            var mask = attentionMask?.to_type(ScalarType.Int64).clone() ?? ones_like(inputIds, dtype: ScalarType.Int64);
            IReadOnlyList<KeyValue>? past = null;
            if (prefix is not null)
            {
                past = prefix.Select((kv, i) => new KeyValue(ExpandPrefix(kv.Key, batch, i), ExpandPrefix(kv.Value, batch, i))).ToList();
                long prefixLength = past.Count == 0 ? 0 : past[0].Key.shape[2];
                mask = cat(new[] { ones(batch, prefixLength, dtype: ScalarType.Int64, device: mask.device), mask }, 1);
            }
            var sequences = inputIds.to_type(ScalarType.Int64).clone();
            if (beams > 1)
            {
                sequences = sequences.repeat_interleave(beams, 0);
                mask = mask.repeat_interleave(beams, 0);
                past = past?.Select(kv => new KeyValue(kv.Key.repeat_interleave(beams, 0), kv.Value.repeat_interleave(beams, 0))).ToList();
            }
            return new DecodingState(model, sequences, mask, past, config.UseCache);
        }

        static Tensor ExpandPrefix(Tensor t, long batch, int layer)
        {
            if (t.dim() != 4 || (t.shape[0] != batch && t.shape[0] != 1))
                throw new ArgumentException($"Generation prefix layer {layer} must be [{batch} or 1, heads, prefix, head_dim], got [{string.Join(", ", t.shape)}].");
            return t.shape[0] == batch ? t.alias() : t.expand(batch, -1, -1, -1);
        }

        /// <summary>
        /// Runs the model on the tokens not yet in the cache (with the cache off: on the whole sequence,
        /// after the prefix alone); returns the last position's logits [rows, V].
        /// </summary>
        public Tensor Step()
        {
            using var scope = NewDisposeScope();
            var input = _useCache ? _input : Sequences;
            var positions = _mask.cumsum(-1).sub_(Scalars.One).masked_fill_(_mask.eq(Scalars.Zero), Scalars.One);
            positions = positions[.., (int)(positions.shape[1] - input.shape[1])..];
            var output = _model.Forward(new ForwardArgs
            {
                InputIds = input, AttentionMask = _mask, PastKeyValues = _past, PositionIds = positions, UseCache = _useCache,
            });
            if (_useCache)
            {
                var present = output.PresentKeyValues ?? throw new InvalidOperationException($"{_model.GetType().Name} returned no key/value cache.");
                Replace(ref _past, present);
            }
            return output.Logits![.., -1, ..].clone().MoveToOuterDisposeScope();
        }

        /// <summary>Appends one token per row; <paramref name="sources"/> (beam search) reorders rows and cache first.</summary>
        public void Append(Tensor tokens, Tensor? sources)
        {
            using var scope = NewDisposeScope();
            var rows = Sequences;
            var mask = _mask;
            if (sources is not null)
            {
                rows = rows.index_select(0, sources);
                mask = mask.index_select(0, sources);
                if (_past is not null) // null only without the cache and without a prefix
                    Replace(ref _past, _past.Select(kv => new KeyValue(kv.Key.index_select(0, sources), kv.Value.index_select(0, sources))).ToList());
            }
            var input = tokens.unsqueeze(1);
            var grown = cat(new[] { rows, input }, 1);
            var grownMask = cat(new[] { mask, ones(mask.shape[0], 1, dtype: ScalarType.Int64, device: mask.device) }, 1);
            var (oldSequences, oldInput, oldMask) = (Sequences, _input, _mask);
            Sequences = grown.MoveToOuterDisposeScope();
            _input = input.MoveToOuterDisposeScope();
            _mask = grownMask.MoveToOuterDisposeScope();
            oldSequences.Dispose();
            if (!ReferenceEquals(oldInput, oldSequences)) oldInput.Dispose();
            oldMask.Dispose();
        }

        static void Replace(ref IReadOnlyList<KeyValue>? current, IReadOnlyList<KeyValue> next)
        {
            foreach (var kv in next) { kv.Key.MoveToOuterDisposeScope(); kv.Value.MoveToOuterDisposeScope(); }
            if (current is not null) foreach (var kv in current) { kv.Key.Dispose(); kv.Value.Dispose(); }
            current = next;
        }
    }
}
