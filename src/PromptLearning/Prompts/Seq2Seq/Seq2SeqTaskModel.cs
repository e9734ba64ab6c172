using PromptLearning.Native;
using PromptLearning.Models;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using S2S = PromptLearning.Models.Seq2Seq;

namespace PromptLearning.Prompts.Seq2Seq;

/// <summary>
/// Soft prompts on a frozen encoder-decoder (<see cref="ISeq2SeqModel"/>: BART, T5) for text-to-text tasks: the source
/// goes into the encoder, the decoder is trained to produce the target (classification: the label word, as Lester et
/// al. do), loss = the decoder's token cross-entropy. The prompts enter where the contract takes them: soft tokens
/// in front of the encoder's input embeddings (mask widened), and per-layer key/value prefixes in front of the encoder
/// self-attention, the decoder self-attention and the cross-attention (<see cref="Seq2SeqForwardArgs"/>).
/// <para>
/// One batch may mix tasks, each row with its own task's prompts. The encoder runs once for the whole batch: soft
/// tokens of different lengths are followed by each row's tokens and padded at the end, and encoder prefixes of
/// different lengths are padded at their front and masked. The decoder runs once per group of rows whose tasks have
/// the same decoder and cross-attention prefix lengths (one pass when no task has such a prefix, or all the same
/// length): the contract has no mask for cross-attention prefix columns, and decoder positions start after the
/// decoder prefix, so padding those would change the rows. Each row's outputs are therefore those it has alone.
/// </para>
/// The backbone is the caller's, frozen (<c>requires_grad = false</c>, set once when the model is built) and never
/// disposed here. The fine-tuning baseline (<see cref="FineTuningConfig"/>) is the one exception, and says so: it
/// trains every weight of its own copy of the backbone (<see cref="Backbone"/> is then that copy, disposed with this
/// model), so the caller's backbone is never written to.
/// </summary>
public sealed class Seq2SeqTaskModel : nn.Module
{
    private readonly ModuleList<Seq2SeqTaskAdapter> tasks;
    // Held through a plain record so that RegisterComponents does not adopt the backbone's weights.
    private readonly Shared _backbone;
    private sealed record Shared(ISeq2SeqModel Model);
    // False for a Combine()d model: its task prompts belong to the models it was combined from.
    private readonly bool _ownsTasks;

    /// <summary>The frozen encoder-decoder (the caller's; not disposed with this model), or for fine-tuning this model's own trained copy.</summary>
    public ISeq2SeqModel Backbone => _backbone.Model;
    /// <summary>True for the fine-tuning baseline: the backbone is this model's own copy and is trained.</summary>
    public bool TrainsBackbone => Config.Method is FineTuningConfig;

    /// <summary>The device of the backbone's weights; the prompts are moved there when the model is built, and batches are made there (<see cref="Encode"/>).</summary>
    public Device Device => Devices.Of(Backbone.Module);
    /// <summary>Its tokenizer.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>The method and its settings.</summary>
    public Seq2SeqPromptConfig Config { get; }
    /// <summary>The tasks in task-index order.</summary>
    public IReadOnlyList<Seq2SeqTaskAdapter> Tasks => tasks.ToList();
    /// <summary>Fingerprint of the backbone as it was when this model was built (<see cref="BackboneFingerprint.Compute(ISeq2SeqModel)"/>).</summary>
    public string BackboneFingerprintValue { get; }

    /// <summary>Special tokens the tokenizer puts around a sequence (BART: <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>; T5: <c>&lt;/s&gt;</c>), which frame the labels too.</summary>
    private readonly int _targetFrame;
    /// <summary>The bos the labels (and so the generated text) start with, or null when the tokenizer frames without one (T5).</summary>
    private readonly int? _leadingBos;

    /// <summary>One task's prompts on <paramref name="backbone"/>, made by <paramref name="config"/>'s method.</summary>
    public Seq2SeqTaskModel(ISeq2SeqModel backbone, TextTokenizer tokenizer, TaskDefinition task, Seq2SeqPromptConfig config)
        : this(config.Validated().Method is FineTuningConfig ? Seq2SeqModelCopy.Of(backbone) : backbone,
               tokenizer, config, [Build(backbone, tokenizer, task, config)], fingerprint: null, ownsTasks: true) { }

    internal Seq2SeqTaskModel(ISeq2SeqModel backbone, TextTokenizer tokenizer, Seq2SeqPromptConfig config,
        IEnumerable<Seq2SeqTaskAdapter> taskPrompts, string? fingerprint, bool ownsTasks) : base(nameof(Seq2SeqTaskModel))
    {
        _backbone = new Shared(backbone ?? throw new ArgumentNullException(nameof(backbone)));
        Tokenizer = tokenizer;
        Config = config;
        _ownsTasks = ownsTasks;
        tasks = new ModuleList<Seq2SeqTaskAdapter>(taskPrompts.ToArray());
        if (tasks.Count == 0) throw new ArgumentException("a prompt model needs at least one task");
        var names = tasks.Select(t => t.Task.Name).ToList();
        if (names.Distinct().Count() != names.Count) throw new ArgumentException($"task names must be distinct: {string.Join(", ", names)}");
        if (tokenizer.EosTokenId is null) throw new ArgumentException("the tokenizer has no eos token; text-to-text targets end with it");
        var frame = tokenizer.BuildInputs([]);
        _targetFrame = frame.Count;
        _leadingBos = frame is [var first, ..] && first == tokenizer.BosTokenId ? first : null;
        Devices.MoveTo(tasks, Devices.Of(backbone.Module));
        RegisterComponents();
        BackboneFingerprintValue = fingerprint ?? BackboneFingerprint.Compute(backbone);
        foreach (var p in backbone.Module.parameters()) p.requires_grad = TrainsBackbone;
        foreach (var p in tasks.parameters()) p.requires_grad = true;
    }

    /// <summary>
    /// One model serving every task of <paramref name="models"/> (same backbone instance), the prefix-tuning paper's
    /// "one batch, many users"; the tasks' prompts are shared with the given models, not copied.
    /// </summary>
    public static Seq2SeqTaskModel Combine(params Seq2SeqTaskModel[] models)
    {
        if (models.Length == 0) throw new ArgumentException("nothing to combine");
        var first = models[0];
        if (models.Any(m => m.TrainsBackbone)) throw new ArgumentException("a fine-tuned model has its own backbone and cannot be combined with others");
        if (models.Any(m => !ReferenceEquals(m.Backbone, first.Backbone))) throw new ArgumentException("combined prompt models must share one backbone instance");
        return new Seq2SeqTaskModel(first.Backbone, first.Tokenizer, first.Config, models.SelectMany(m => m.Tasks), first.BackboneFingerprintValue, ownsTasks: false);
    }

    private static Seq2SeqTaskAdapter Build(ISeq2SeqModel backbone, TextTokenizer tokenizer, TaskDefinition task, Seq2SeqPromptConfig config)
    {
        var d = backbone.Dimensions;
        var sets = config.PrefixSetsInUse;
        PrefixPrompt? Set(PrefixSets set, AttentionLayout layout, int seedOffset, int length, bool mlp, int mid, double initStd, int seed) =>
            (sets & set) == 0 ? null : new PrefixEncoder(length, layout.Layers, layout.Heads, layout.HeadDim, mlp, mid, initStd, seed + seedOffset);
        Seq2SeqTaskAdapter Prefixes(int length, bool mlp, int mid, double initStd, int seed, double dropout) => new(task, null,
            Set(PrefixSets.Encoder, d.Encoder, 0, length, mlp, mid, initStd, seed),
            Set(PrefixSets.Decoder, d.Decoder, 1, length, mlp, mid, initStd, seed),
            Set(PrefixSets.CrossAttention, d.Decoder, 2, length, mlp, mid, initStd, seed), dropout);
        return config.Method switch
        {
            PromptTuningConfig c => new Seq2SeqTaskAdapter(task,
                new PromptTable(PromptTuningModel.InitialEmbeddings(ids => Embed(backbone, ids), d.HiddenSize, tokenizer, task, c)), null, null, null),
            PrefixTuningConfig c => Prefixes(c.Length, c.Reparameterize, c.HiddenSize, 1.0, c.Seed, c.PrefixDropout),
            PTuningV2Config c => Prefixes(c.Length, c.Reparameterize, c.HiddenSize, c.InitStd, c.Seed, c.PrefixDropout),
            FineTuningConfig => new Seq2SeqTaskAdapter(task, null, null, null, null),
            var other => throw new ArgumentException($"Seq2SeqPromptConfig.Method: '{other.Method}' has no encoder-decoder form here."),
        };
    }

    /// <summary>The encoder's input embeddings of <paramref name="ids"/> (scaled as the encoder scales them), [n, hidden], detached.</summary>
    private static Tensor Embed(ISeq2SeqModel backbone, long[] ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return backbone.EmbedTokens(tensor(ids, device: Devices.Of(backbone.Module)).unsqueeze(0))[0].Times(backbone.Dimensions.EmbeddingScale).detach().clone().MoveToOuterDisposeScope();
    }

    /// <summary>Train/eval mode for the prompts and the backbone (dropout).</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        Backbone.Module.train(on);
    }

    /// <summary>
    /// Every trainable tensor with a name: <c>tasks.{i}.prompt.*</c> and <c>tasks.{i}.{encoder,decoder,cross_attention}_prefix.*</c>;
    /// for fine-tuning, the backbone copy's weights under their <c>transformers</c> names (tied weights once).
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters() => TrainsBackbone
        ? Pet.PvpTrainer.TrainableParameters(Backbone.Module).ToList()
        : tasks.named_parameters().Select(p => ("tasks." + p.name, p.parameter)).ToList();

    /// <summary>Number of trainable scalars (prefix MLPs at their training size).</summary>
    public long TrainableParameterCount => TrainableParameters().Sum(p => p.Parameter.numel());

    /// <summary>
    /// A trainer for the prompts with <see cref="Loss(IReadOnlyList{PromptExample})"/>; <paramref name="config"/> from
    /// <see cref="PromptTraining.TrainerConfigFor"/> with <see cref="Seq2SeqPromptConfig.Method"/> gives the paper's settings;
    /// <paramref name="evaluate"/> (optional, e.g. <c>() => PromptEvaluation.Evaluate(model, dev)</c>) gives the dev metrics.
    /// </summary>
    public Trainer<PromptExample> CreateTrainer(TrainerConfig config, Func<TaskMetrics>? evaluate = null) =>
        new(config, TrainableParameters(), Loss, evaluate is null ? null : () => evaluate().ToDictionary(), this);

    private int TaskId(string? name)
    {
        if (name is null) return 0;
        for (int i = 0; i < tasks.Count; i++) if (tasks[i].Task.Name == name) return i;
        throw new ArgumentException($"no task '{name}' in this model (tasks: {string.Join(", ", tasks.Select(t => t.Task.Name))})");
    }

    /// <summary>
    /// Tokenises examples: source = the tokenizer's special tokens around <see cref="PromptExample.A"/> (and
    /// <see cref="PromptExample.B"/>), cut so that the task's soft tokens and the source fit
    /// <see cref="PromptMethodConfig.MaxLength"/>; with targets, labels = the target framed as the tokenizer frames a
    /// sequence (BART: <c>&lt;s&gt; target &lt;/s&gt;</c>, as <c>BartTokenizer</c> encodes a <c>text_target</c> and as BART
    /// was pretrained; T5: <c>target &lt;/s&gt;</c>), the words cut so that the labels fit
    /// <see cref="Seq2SeqPromptConfig.MaxTargetLength"/>; decoder input = labels shifted right. A null
    /// <see cref="PromptExample.Task"/> means the first task.
    /// </summary>
    public Seq2SeqPromptBatch Encode(IReadOnlyList<PromptExample> examples, bool withTargets = true)
    {
        var device = Device;
        if (examples.Count == 0) throw new ArgumentException("no examples to encode", nameof(examples));
        var taskIndex = examples.Select(e => TaskId(e.Task)).ToArray();
        var sources = examples.Select((e, i) => Source(e, Config.Method.MaxLength - tasks[taskIndex[i]].InputLength)).ToList();
        var (inputIds, mask) = Padded(sources, Tokenizer.PadTokenId, device);
        Tensor? labels = null, decoderIds = null;
        if (withTargets)
        {
            var targets = examples.Select((e, i) => Tokenizer.BuildInputs(
                Tokenizer.Encode(TargetText(tasks[taskIndex[i]], e)).Take(Config.MaxTargetLength - _targetFrame).ToList()).ToList()).ToList();
            (labels, var targetMask) = Padded(targets, -100, device);
            targetMask.Dispose();
            decoderIds = S2S.ShiftTokensRight(labels, Tokenizer.PadTokenId, Backbone.DecoderStartTokenId);
        }
        return new Seq2SeqPromptBatch
        {
            InputIds = inputIds, AttentionMask = mask, SourceLengths = sources.Select(s => s.Count).ToArray(), TaskIndex = taskIndex,
            Labels = labels, DecoderInputIds = decoderIds,
        };
    }

    /// <summary>
    /// The target text to tokenise: <see cref="Seq2SeqTaskAdapter.TargetOf"/>, with a label word written as it stands in
    /// running text (after a space) on a byte-level BPE, where a word at the very start of a text is another token
    /// (<c>great</c> vs <c>Ġgreat</c>) that a small vocabulary may only have in pieces.
    /// </summary>
    private string TargetText(Seq2SeqTaskAdapter task, PromptExample e) =>
        e.Target is null && Tokenizer.IsByteLevel ? " " + task.TargetOf(e) : task.TargetOf(e);

    private List<int> Source(PromptExample e, int budget)
    {
        var a = Tokenizer.Encode(e.A).ToList();
        var b = e.B is null ? null : Tokenizer.Encode(e.B).ToList();
        int room = budget - Tokenizer.BuildInputs([], b is null ? null : []).Count;
        if (room < 1) throw new ArgumentException($"MaxLength {Config.Method.MaxLength} leaves no room for the source after the soft tokens and special tokens");
        if (a.Count + (b?.Count ?? 0) > room)
        {
            a = a.Take(Math.Max(1, room - (b?.Count ?? 0))).ToList();
            b = b?.Take(room - a.Count).ToList();
        }
        return Tokenizer.BuildInputs(a, b).ToList();
    }

    private static (Tensor Ids, Tensor Mask) Padded(List<List<int>> rows, long pad, Device device)
    {
        int width = rows.Max(r => r.Count);
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        Array.Fill(ids, pad);
        for (int r = 0; r < rows.Count; r++)
            for (int j = 0; j < rows[r].Count; j++) { ids[r * width + j] = rows[r][j]; mask[r * width + j] = 1; }
        return (tensor(ids, new long[] { rows.Count, width }, device: device), tensor(mask, new long[] { rows.Count, width }, device: device));
    }

    /// <summary>The decoder's logits [B, T, V] for a batch with targets, each row with its own task's prompts.</summary>
    public Tensor Forward(Seq2SeqPromptBatch batch)
    {
        var decoderIds = batch.DecoderInputIds ?? throw new ArgumentException("Seq2SeqTaskModel.Forward: the batch has no DecoderInputIds (encode it with targets)", nameof(batch));
        using var scope = NewDisposeScope();
        var (encoderArgs, tokenMask) = EncoderInputs(batch, Enumerable.Range(0, batch.Count).ToArray());
        var encoder = Backbone.Encode(encoderArgs);
        var groups = DecoderGroups(batch.TaskIndex);
        var parts = groups.Select(rows =>
        {
            var idx = tensor(rows.Select(r => (long)r).ToArray(), device: decoderIds.device);
            return Backbone.Forward(new Seq2SeqForwardArgs
            {
                EncoderLastHiddenState = encoder.index_select(0, idx), AttentionMask = tokenMask.index_select(0, idx),
                DecoderInputIds = decoderIds.index_select(0, idx),
                DecoderPrefix = Prefixes(rows.Select(r => batch.TaskIndex[r]).ToArray(), PrefixSets.Decoder).PerLayer,
                CrossAttentionPrefix = Prefixes(rows.Select(r => batch.TaskIndex[r]).ToArray(), PrefixSets.CrossAttention).PerLayer,
            }).Logits!;
        }).ToList();
        if (parts.Count == 1) return parts[0].MoveToOuterDisposeScope();
        var order = groups.SelectMany(g => g).ToArray();
        var inverse = new long[order.Length];
        for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return cat(parts, 0).index_select(0, tensor(inverse, device: decoderIds.device)).MoveToOuterDisposeScope();
    }

    /// <summary>Rows that can share a decoder pass: the same decoder and cross-attention prefix lengths (in order of first appearance).</summary>
    private List<int[]> DecoderGroups(int[] taskIndex) =>
        Enumerable.Range(0, taskIndex.Length)
            .GroupBy(r => (tasks[taskIndex[r]].DecoderPrefix?.Length ?? 0, tasks[taskIndex[r]].CrossAttentionPrefix?.Length ?? 0))
            .Select(g => g.ToArray()).ToList();

    /// <summary>
    /// The encoder side of <paramref name="rows"/> of <paramref name="batch"/>: input ids, or (when a row's task has soft
    /// tokens) input embeddings with each row's soft tokens in front of its tokens, padded at the end; the encoder
    /// prefixes, padded at their front and masked. Also returns the mask over the encoder's outputs.
    /// </summary>
    private (Seq2SeqForwardArgs Args, Tensor TokenMask) EncoderInputs(Seq2SeqPromptBatch batch, int[] rows)
    {
        var taskOf = rows.Select(r => batch.TaskIndex[r]).ToArray();
        var device = batch.InputIds.device;
        var idx = tensor(rows.Select(r => (long)r).ToArray(), device: device);
        var ids = batch.InputIds.index_select(0, idx);
        Tensor? embeds = null;
        var mask = batch.AttentionMask.index_select(0, idx);
        if (taskOf.Any(t => tasks[t].InputPrompt is not null))
        {
            var tokens = Backbone.EmbedTokens(ids).Times(Backbone.Dimensions.EmbeddingScale);
            var lengths = rows.Select((r, i) => tasks[taskOf[i]].InputLength + batch.SourceLengths[r]).ToArray();
            int width = lengths.Max();
            embeds = stack(rows.Select((r, i) =>
            {
                var row = tokens[i, ..batch.SourceLengths[r]];
                if (tasks[taskOf[i]].InputPrompt is { } prompt) row = cat([prompt.Embeddings().to_type(row.dtype), row], 0);
                return F.pad(row, [0, 0, 0, width - lengths[i]]);
            }).ToList(), 0);
            mask = Scalars.Arange(width, device: device).unsqueeze(0).lt(tensor(lengths, device: device).unsqueeze(1)).to_type(mask.dtype);
        }
        var (prefix, prefixMask) = Prefixes(taskOf, PrefixSets.Encoder);
        return (new Seq2SeqForwardArgs
        {
            InputIds = embeds is null ? ids : null,
            InputsEmbeds = embeds,
            AttentionMask = prefixMask is null ? mask : cat([prefixMask.to_type(mask.dtype), mask], 1),
            EncoderPrefix = prefix,
        }, mask);
    }

    /// <summary>
    /// Per layer, the rows' keys/values of one prefix set, [rows, heads, P, head_dim] with P the longest of them (shorter
    /// ones, and rows whose task has none, padded at the front), and the mask over them [rows, P]; nulls when no row's
    /// task has that set. In training, each row's prefixes go through its task's dropout.
    /// </summary>
    private (IReadOnlyList<KeyValue>? PerLayer, Tensor? Mask) Prefixes(int[] taskOf, PrefixSets set)
    {
        var lengths = taskOf.Select(t => (long)(tasks[t].Prefix(set)?.Length ?? 0)).ToArray();
        long p = lengths.Max();
        if (p == 0) return (null, null);
        var used = taskOf.Distinct().ToArray();
        var layout = set == PrefixSets.Encoder ? Backbone.Dimensions.Encoder : Backbone.Dimensions.Decoder;
        var device = Device;
        var padded = used.Select(t => tasks[t].Prefix(set) is { } prefix
            ? F.pad(prefix.KeyValues(), [0, 0, p - prefix.Length, 0])
            : zeros(new long[] { layout.Layers, 2, layout.Heads, p, layout.HeadDim }, device: device)).ToList();
        var slot = taskOf.Select(t => (long)Array.IndexOf(used, t)).ToArray();
        var kv = stack(padded, 0).index_select(0, tensor(slot, device: device)).permute(1, 2, 0, 3, 4, 5); // [layers, 2, rows, heads, P, head_dim]
        var rates = taskOf.Select(t => tasks[t].PrefixDropout).ToArray();
        if (training && rates.Any(r => r > 0))
        {
            var keep = tensor(rates.Select(r => (float)(1 - r)).ToArray(), device: device).to_type(kv.dtype).view(1, 1, -1, 1, 1, 1);
            kv = kv * bernoulli(keep.expand(kv.shape)).div_(keep);
        }
        var mask = Scalars.Arange(p, device: device).unsqueeze(0).ge(tensor(lengths, device: device).neg().Plus(p).unsqueeze(1)).to_type(ScalarType.Int64);
        return (Enumerable.Range(0, layout.Layers).Select(l => new KeyValue(kv[l, 0], kv[l, 1])).ToList(), mask);
    }

    /// <summary>Mean decoder token cross-entropy of a batch with targets (-100 ignored).</summary>
    public Tensor Loss(Seq2SeqPromptBatch batch)
    {
        var labels = batch.Labels ?? throw new ArgumentException("Seq2SeqTaskModel.Loss: the batch has no Labels (encode it with targets)", nameof(batch));
        using var scope = NewDisposeScope();
        return S2S.Loss(Forward(batch), labels).MoveToOuterDisposeScope();
    }

    /// <summary>Loss of examples with targets: the delegate a <see cref="Trainer{TExample}"/> calls.</summary>
    public Tensor Loss(IReadOnlyList<PromptExample> examples)
    {
        using var batch = Encode(examples);
        return Loss(batch);
    }

    /// <summary>
    /// Generated token ids per example (decoder start, a leading bos and everything from eos on removed), greedy or beam search by
    /// <paramref name="generation"/> (default: the backbone's <see cref="ISeq2SeqModel.GenerationDefaults"/> for 40
    /// tokens), each row with its task's prompts: soft tokens and encoder prefixes in the encoder input, decoder and
    /// cross-attention prefixes kept in front of the keys/values at every step. Eval mode, no gradients.
    /// </summary>
    public List<int[]> GenerateIds(IReadOnlyList<PromptExample> examples, GenerationConfig? generation = null, int batchSize = 16)
    {
        generation ??= Backbone.GenerationDefaults(40);
        if (generation.NumReturnSequences != 1) throw new ArgumentException($"GenerationConfig.NumReturnSequences must be 1 here, got {generation.NumReturnSequences}");
        bool was = training;
        eval();
        try
        {
            var results = new int[examples.Count][];
            using var all = Encode(examples, withTargets: false);
            foreach (var group in DecoderGroups(all.TaskIndex))
                for (int start = 0; start < group.Length; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    var rows = group.Skip(start).Take(batchSize).ToArray();
                    var taskOf = rows.Select(r => all.TaskIndex[r]).ToArray();
                    var (args, _) = EncoderInputs(all, rows);
                    using var result = Seq2SeqGeneration.Generate(Backbone, args with
                    {
                        DecoderPrefix = Prefixes(taskOf, PrefixSets.Decoder).PerLayer,
                        CrossAttentionPrefix = Prefixes(taskOf, PrefixSets.CrossAttention).PerLayer,
                    }, generation);
                    for (int i = 0; i < rows.Length; i++)
                    {
                        var ids = result.Sequences[i].cpu().data<long>().Skip(1).Select(t => (int)t).TakeWhile(t => t != generation.EosTokenId).ToArray();
                        results[rows[i]] = ids.Length > 0 && ids[0] == _leadingBos ? ids[1..] : ids;
                    }
                }
            return results.ToList();
        }
        finally { train(was); }
    }

    /// <summary>Generated text per example (<see cref="GenerateIds"/>, decoded without special tokens).</summary>
    public List<string> Generate(IReadOnlyList<PromptExample> examples, GenerationConfig? generation = null, int batchSize = 16) =>
        GenerateIds(examples, generation, batchSize).Select(ids => Tokenizer.Decode(ids).Trim()).ToList();

    /// <summary>Every prompt tensor, collapsed to plain tables for storage: <c>{task}.prompt</c>, <c>{task}.encoder_prefix</c>, <c>{task}.decoder_prefix</c>, <c>{task}.cross_attention_prefix</c>.</summary>
    internal Dictionary<string, Tensor> PromptTensors()
    {
        var d = new Dictionary<string, Tensor>();
        using var _ = no_grad();
        foreach (var t in tasks)
        {
            if (t.InputPrompt is { } ip) d[$"{t.Task.Name}.prompt"] = ip.Embeddings().detach().clone();
            foreach (var (set, key) in Seq2SeqPromptCheckpoint.PrefixKeys)
                if (t.Prefix(set) is { } prefix) d[$"{t.Task.Name}.{key}"] = prefix.KeyValues().detach().clone();
        }
        return d;
    }

    /// <summary>Frees the prompts (a combined model leaves them to the models it came from); never the caller's backbone (a fine-tuned copy, yes).</summary>
    protected override void Dispose(bool disposing)
    {
        if (_ownsTasks) base.Dispose(disposing);
        if (disposing && TrainsBackbone) Backbone.Dispose();
    }
}
