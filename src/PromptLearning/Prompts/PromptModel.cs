using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PromptLearning.Prompts;

/// <summary>
/// A backbone plus one or more tasks' soft prompts and heads: the shared base of every method.
/// Virtual input tokens are written into the word embeddings at their template slots; key/value
/// prefixes are handed to every layer as <see cref="ForwardArgs.PastKeyValues"/> with the attention
/// mask extended over them. Each example uses its own task's prompt, so one batch may mix tasks
/// (prompts of different lengths are padded and masked; position ids follow each example's own
/// prefix length, so a row's outputs do not depend on its neighbours).
/// The caller's backbone is never changed behind its back: a method that trains backbone weights
/// (fine-tuning, P-tuning with <c>TrainBackbone</c>) runs on its own copy (<see cref="LanguageModelCopy"/>),
/// which it owns and disposes; every other method shares the caller's backbone, frozen
/// (<c>requires_grad = false</c>, set once when the model is built), and leaves it alone when disposed.
/// </summary>
public class PromptModel : nn.Module
{
    private readonly ModuleList<TaskPrompt> tasks;
    private BatchBuilder _builder;

    /// <summary>
    /// The pretrained model the prompts run on: the caller's (shared and frozen) or, when
    /// <see cref="TrainsBackbone"/>, the model's own copy (disposed with it). Never a registered submodule.
    /// </summary>
    public ILanguageModel Backbone => _backbone.Model;
    // Held through a plain record so that RegisterComponents does not adopt the backbone as a child
    // module (which would put its weights into this model's parameters() and dispose them with it).
    private readonly Shared _backbone;
    private sealed record Shared(ILanguageModel Model);

    /// <summary>
    /// The backbone a method's model runs on, chosen once at the start of its constructor chain (before
    /// its heads are built on it): the caller's, or its own copy (<see cref="LanguageModelCopy.Of"/>)
    /// when the method trains backbone weights.
    /// </summary>
    protected sealed record RunsOn(ILanguageModel Model)
    {
        public static RunsOn For(ILanguageModel backbone, bool trainsBackbone) => new(trainsBackbone ? LanguageModelCopy.Of(backbone) : backbone);
    }
    // False for a Combine()d model: its task prompts belong to the models it was combined from.
    private readonly bool _ownsTasks = true;
    /// <summary>Its tokenizer.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>The method and its settings.</summary>
    public PromptMethodConfig Config { get; }
    /// <summary>The tasks in task-id order.</summary>
    public IReadOnlyList<TaskPrompt> Tasks => tasks.ToList();
    /// <summary>True when the backbone's weights are trained too (fine-tuning; P-tuning with backbone tuning): <see cref="Backbone"/> is then the model's own copy.</summary>
    public bool TrainsBackbone { get; }
    /// <summary>Fingerprint of the backbone as it was when this model was built (<see cref="BackboneFingerprint"/>).</summary>
    public string BackboneFingerprintValue { get; }
    /// <summary>Longest input sequence the model builds.</summary>
    public int MaxLength => _builder.MaxLength;

    /// <summary>A model over <paramref name="backbone"/> with the given tasks' prompts and heads.</summary>
    /// <param name="backbone">The backbone the tasks' heads were built on.</param>
    /// <param name="trainBackbone">
    /// The model trains <paramref name="backbone"/>'s weights and takes ownership of it (disposes it):
    /// pass a copy made for this model (<see cref="LanguageModelCopy.Of"/>, before building the heads on
    /// it), as <see cref="Baselines.FineTuningModel"/> and <see cref="PTuning.PTuningModel"/> do. False:
    /// the backbone stays the caller's and is frozen.
    /// </param>
    /// <param name="tokenizer">The backbone's tokenizer.</param>
    /// <param name="config">The method and its settings.</param>
    /// <param name="taskPrompts">The tasks' prompts and heads (owned by the model).</param>
    /// <param name="fingerprint">The backbone's fingerprint when known (a copy has its source's); computed otherwise.</param>
    public PromptModel(ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config,
        IEnumerable<TaskPrompt> taskPrompts, bool trainBackbone, string? fingerprint = null)
        : this(backbone, tokenizer, config, taskPrompts, trainBackbone, fingerprint, ownsTasks: true) { }

    private PromptModel(ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config,
        IEnumerable<TaskPrompt> taskPrompts, bool trainBackbone, string? fingerprint, bool ownsTasks)
        : base(nameof(PromptModel))
    {
        _ownsTasks = ownsTasks;
        _backbone = new Shared(backbone ?? throw new ArgumentNullException(nameof(backbone)));
        Tokenizer = tokenizer;
        Config = config;
        TrainsBackbone = trainBackbone;
        tasks = new ModuleList<TaskPrompt>(taskPrompts.ToArray());
        if (tasks.Count == 0) throw new ArgumentException("a prompt model needs at least one task");
        var names = tasks.Select(t => t.Task.Name).ToList();
        if (names.Distinct().Count() != names.Count) throw new ArgumentException($"task names must be distinct: {string.Join(", ", names)}");
        foreach (var t in tasks) CheckFits(t);
        foreach (var t in tasks)
            if (t.Head.Kind is HeadKind.Cloze or HeadKind.LanguageModel) PretrainedHead.Require(backbone, $"method '{config.Method}' (task '{t.Task.Name}', {t.Head.Kind} head)");
        RegisterComponents();
        BackboneFingerprintValue = fingerprint ?? BackboneFingerprint.Compute(backbone);
        _builder = MakeBuilder();
        Freeze();
    }

    /// <summary>
    /// One model serving every task of <paramref name="models"/> (same backbone instance, frozen): the
    /// prefix-tuning paper's "one batch, many users". The tasks' prompts and heads are shared with the
    /// given models, not copied.
    /// </summary>
    public static PromptModel Combine(params PromptModel[] models)
    {
        if (models.Length == 0) throw new ArgumentException("nothing to combine");
        var first = models[0];
        foreach (var m in models)
        {
            if (!ReferenceEquals(m.Backbone, first.Backbone)) throw new ArgumentException("combined prompt models must share one backbone instance");
            if (m.TrainsBackbone) throw new ArgumentException($"method '{m.Config.Method}' changes the backbone's weights; its tasks cannot share a batch with others");
        }
        return new PromptModel(first.Backbone, first.Tokenizer, first.Config, models.SelectMany(m => m.Tasks), false, first.BackboneFingerprintValue, ownsTasks: false);
    }

    private void CheckFits(TaskPrompt t)
    {
        var c = Backbone.Config;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (t.Prompt is InputPrompt ip)
        {
            var e = ip.Embeddings();
            if (e.shape[1] != c.HiddenSize) throw new ArgumentException($"task '{t.Task.Name}': prompt width {e.shape[1]} != backbone hidden size {c.HiddenSize}");
        }
        if (t.Prompt is PrefixPrompt pp)
        {
            var kv = pp.KeyValues();
            var want = new long[] { c.NumHiddenLayers, 2, c.NumAttentionHeads, pp.Length, c.HeadDim };
            if (!kv.shape.SequenceEqual(want))
                throw new ArgumentException($"task '{t.Task.Name}': prefix shape [{string.Join(", ", kv.shape)}] does not fit the backbone ([{string.Join(", ", want)}] expected)");
        }
        if (t.Head.Kind == HeadKind.LanguageModel && !c.IsCausal) throw new ArgumentException($"task '{t.Task.Name}': generation needs a causal LM (GPT-2), got {c.ModelType}");
        if (t.Head.Kind == HeadKind.Cloze && c.IsCausal) throw new ArgumentException($"task '{t.Task.Name}': a cloze head needs a masked LM, got {c.ModelType}");
    }

    private BatchBuilder MakeBuilder()
    {
        var c = Backbone.Config;
        int prefix = tasks.Select(t => t.Prompt is PrefixPrompt p ? p.Length : 0).Max();
        int positions = c.MaxPositionEmbeddings - (c.IsRoberta ? (c.PadTokenId ?? 1) + 1 : 0) - prefix;
        int max = Math.Min(Config.MaxLength, positions);
        if (max < 4) throw new ArgumentException($"backbone has {c.MaxPositionEmbeddings} positions; a prefix of {prefix} leaves too few for the input");
        return new BatchBuilder(Tokenizer, tasks.Select(t => (t.Task, t.Template)).ToList(), max, c.IsCausal);
    }

    /// <summary>Sets <c>requires_grad</c> once, when the model is built: backbone trained only if the method says so (then on its own copy); prompts and heads always.</summary>
    private void Freeze()
    {
        foreach (var p in Backbone.Module.parameters()) p.requires_grad = TrainsBackbone;
        foreach (var p in tasks.parameters()) p.requires_grad = true;
    }

    /// <summary>Train/eval mode for the prompts, heads and the backbone.</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        Backbone.Module.train(on);
    }

    /// <summary>Every trainable tensor with a name: <c>tasks.{i}.prompt.*</c>, <c>tasks.{i}.head.*</c>, and <c>backbone.*</c> when trained.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters()
    {
        var list = tasks.named_parameters().Select(p => ("tasks." + p.name, p.parameter)).ToList();
        if (TrainsBackbone) list.AddRange(Backbone.Module.named_parameters().Select(p => ("backbone." + p.name, p.parameter)));
        return list;
    }

    /// <summary>
    /// Copies a sequence-classification checkpoint's head (<see cref="Checkpoints.PretrainedModel.Classifier"/>,
    /// loaded with <see cref="Checkpoints.PretrainedLoadOptions.LoadClassifier"/>) into the head of
    /// <paramref name="task"/> (null: the only task). BERT's <c>classifier.weight</c> [C, H] and
    /// <c>classifier.bias</c> [C] go into the linear layer of a <see cref="ClassificationHead"/> or
    /// <see cref="PooledClassificationHead"/>; RoBERTa's <c>classifier.dense.*</c> and <c>classifier.out_proj.*</c>
    /// (<c>RobertaClassificationHead</c>: dense + tanh + linear on &lt;s&gt;) go into a pooled head's own pooler and
    /// its linear layer.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected, or its shape does not fit the head (both shapes named).</exception>
    /// <exception cref="ArgumentException">The task is unknown or its head has no classifier to fill.</exception>
    public void LoadClassifier(IReadOnlyDictionary<string, Tensor> classifier, string? task = null)
    {
        if (classifier.Count == 0) throw new ArgumentException("no classifier tensors given (load the checkpoint with PretrainedLoadOptions.LoadClassifier = true)", nameof(classifier));
        var t = task is null
            ? (tasks.Count == 1 ? tasks[0] : throw new ArgumentException($"the model has {tasks.Count} tasks; name the one whose head gets the classifier", nameof(task)))
            : tasks.FirstOrDefault(x => x.Task.Name == task) ?? throw new ArgumentException($"no task '{task}' in this model", nameof(task));
        var targets = new Dictionary<string, Tensor>();
        bool roberta = classifier.ContainsKey("classifier.out_proj.weight");
        switch (t.Head)
        {
            case PooledClassificationHead pooled when roberta:
                if (pooled.NewlyInitialised.Count == 0)
                    throw new ArgumentException($"task '{t.Task.Name}': RoBERTa's classifier.dense would replace the backbone's own pooler; use a backbone without a pooler");
                targets["classifier.dense.weight"] = pooled.Pooler.Dense.weight!;
                targets["classifier.dense.bias"] = pooled.Pooler.Dense.bias!;
                targets["classifier.out_proj.weight"] = pooled.Classifier.weight!;
                targets["classifier.out_proj.bias"] = pooled.Classifier.bias!;
                break;
            case ClassificationHead or PooledClassificationHead when !roberta:
                var linear = t.Head is ClassificationHead c ? c.Classifier : ((PooledClassificationHead)t.Head).Classifier;
                targets["classifier.weight"] = linear.weight!;
                targets["classifier.bias"] = linear.bias!;
                break;
            default:
                throw new ArgumentException($"task '{t.Task.Name}': a {t.Head.Kind} head cannot take {(roberta ? "RoBERTa's classifier.dense/out_proj (use a PooledClassification head)" : "a linear classifier (use a Classification or PooledClassification head)")}");
        }
        var problems = new List<string>();
        foreach (var (name, target) in targets)
            if (!classifier.TryGetValue(name, out var value)) problems.Add($"{name} is missing");
            else if (!value.shape.SequenceEqual(target.shape)) problems.Add($"{name}: checkpoint [{string.Join(", ", value.shape)}] vs head [{string.Join(", ", target.shape)}]");
        problems.AddRange(classifier.Keys.Where(k => !targets.ContainsKey(k)).Select(k => $"{k} is unexpected"));
        if (problems.Count > 0)
            throw new InvalidDataException($"task '{t.Task.Name}': the checkpoint's classifier does not fit the {t.Head.Kind} head ({t.Task.Labels.Count} labels, hidden {Backbone.Config.HiddenSize}): {string.Join("; ", problems.Order(StringComparer.Ordinal))}");
        using var _ = no_grad();
        foreach (var (name, target) in targets) target.copy_(classifier[name]);
    }

    /// <summary>Number of trainable scalars (prompt encoders at their training size, heads, and the backbone when trained).</summary>
    public long TrainableParameterCount => TrainableParameters().Sum(p => p.Parameter.numel());

    /// <summary>Number of scalars in the backbone.</summary>
    public long BackboneParameterCount => Backbone.Module.parameters().Sum(p => p.numel());

    /// <summary>Trainable scalars as a share of the backbone's.</summary>
    public double TrainableShare => (double)TrainableParameterCount / BackboneParameterCount;

    /// <summary>Lays out examples for this model (see <see cref="BatchBuilder.Build"/>).</summary>
    public PromptBatch Encode(IReadOnlyList<PromptExample> examples, bool withTargets = true) => _builder.Build(examples, withTargets);

    /// <summary>
    /// Runs the backbone with each example's prompt. <paramref name="lmLogits"/>: force (or skip) the
    /// LM head; by default it runs when a task's head needs it. <paramref name="useCache"/> returns the
    /// keys/values (GPT-2) for incremental decoding.
    /// </summary>
    public ForwardOutput Forward(PromptBatch batch, bool? lmLogits = null, bool useCache = false)
    {
        var c = Backbone.Config;
        int B = batch.Count;
        long L = batch.InputIds.shape[1];
        var used = batch.TaskIndex.Distinct().OrderBy(t => t).ToArray();
        foreach (var t in used)
            if (t < 0 || t >= tasks.Count) throw new ArgumentException($"batch uses task id {t}; this model has {tasks.Count} task(s)");
        bool needLm = lmLogits ?? used.Any(t => tasks[t].Head.NeedsLmLogits);
        // Cloze heads read the vocabulary scores at the [MASK] only: project just that position.
        bool maskOnly = lmLogits is null && used.All(t => tasks[t].Head is ClozeHead);

        // Virtual tokens at the input: write each example's own task's prompt rows into its slots.
        Tensor? embeds = null;
        var inputTasks = used.Where(t => tasks[t].Prompt is InputPrompt).ToArray();
        if (inputTasks.Length > 0)
        {
            embeds = Backbone.EmbedTokens(batch.InputIds);
            var offsets = new long[tasks.Count];
            var tables = new List<Tensor>();
            long off = 0;
            foreach (var t in inputTasks)
            {
                offsets[t] = off;
                var e = ((InputPrompt)tasks[t].Prompt!).Embeddings();
                tables.Add(e);
                off += e.shape[0];
            }
            var table = tables.Count == 1 ? tables[0] : cat(tables, 0);
            var isSlot = batch.Slots.ge(0);
            var rowOffset = tensor(offsets).index_select(0, batch.TaskIds).unsqueeze(1);
            var index = where(isSlot, batch.Slots + rowOffset, zeros_like(batch.Slots)).flatten();
            var rows = table.index_select(0, index).view(B, L, -1);
            embeds = where(isSlot.unsqueeze(-1), rows.to_type(embeds.dtype), embeds);
        }
        else if (batch.Slots.ge(0).any().item<bool>())
            throw new ArgumentException("batch has virtual-token slots but none of its tasks has an input prompt");

        // Key/value prefixes in every layer.
        IReadOnlyList<KeyValue>? past = null;
        Tensor mask = batch.AttentionMask;
        Tensor? positions = null;
        var prefixTasks = used.Where(t => tasks[t].Prompt is PrefixPrompt).ToArray();
        if (prefixTasks.Length > 0)
        {
            int layers = c.NumHiddenLayers;
            Tensor kv; // [layers, 2, B, heads, P, head_dim]
            Tensor prefixMask; // [B, P]
            if (used.Length == 1)
            {
                var tp = tasks[used[0]];
                var one = ((PrefixPrompt)tp.Prompt!).KeyValues();
                int n = (int)one.shape[3];
                kv = one.unsqueeze(2).expand(layers, 2, B, one.shape[2], n, one.shape[4]);
                prefixMask = ones(B, n, dtype: mask.dtype);
            }
            else
            {
                int P = used.Max(t => tasks[t].Prompt is PrefixPrompt p ? p.Length : 0);
                var stacked = new List<Tensor>();
                var lengths = new long[tasks.Count];
                var slotOf = new long[tasks.Count];
                foreach (var t in used)
                {
                    slotOf[t] = stacked.Count;
                    if (tasks[t].Prompt is PrefixPrompt)
                    {
                        var one = ((PrefixPrompt)tasks[t].Prompt!).KeyValues();
                        lengths[t] = one.shape[3];
                        stacked.Add(one.shape[3] == P ? one : F.pad(one, [0, 0, 0, P - one.shape[3]]));
                    }
                    else stacked.Add(zeros(new long[] { layers, 2, c.NumAttentionHeads, P, c.HeadDim }));
                }
                var all = stack(stacked, 0); // [T, layers, 2, heads, P, hd]
                var pick = tensor(slotOf).index_select(0, batch.TaskIds);
                kv = all.index_select(0, pick).permute(1, 2, 0, 3, 4, 5);
                var n = tensor(lengths).index_select(0, batch.TaskIds); // [B]
                prefixMask = arange(P).unsqueeze(0).lt(n.unsqueeze(1)).to_type(mask.dtype);
                positions = c.IsRoberta
                    ? (batch.AttentionMask.cumsum(1) + n.unsqueeze(1)) * batch.AttentionMask + (c.PadTokenId ?? 1)
                    : arange(L).unsqueeze(0) + n.unsqueeze(1);
            }
            kv = PrefixDropout(kv, batch);
            var list = new List<KeyValue>(layers);
            for (int l = 0; l < layers; l++) list.Add(new KeyValue(kv[l, 0], kv[l, 1]));
            past = list;
            mask = cat([prefixMask, mask], 1);
        }

        return Backbone.Forward(new ForwardArgs
        {
            InputIds = embeds is null ? batch.InputIds : null,
            InputsEmbeds = embeds,
            AttentionMask = mask,
            TokenTypeIds = c.IsCausal ? null : batch.TokenTypeIds,
            PositionIds = positions,
            PastKeyValues = past,
            UseCache = useCache,
            SkipLmHead = !needLm,
            LogitsPositions = needLm && maskOnly ? batch.MaskPositions.unsqueeze(1) : null,
        });
    }

    /// <summary>
    /// Training-mode dropout on the batch's prefixes [layers, 2, B, heads, P, head_dim], after they were
    /// expanded to the batch, so every example draws its own mask (P-tuning v2's <c>get_prompt</c>); each
    /// row at its own task's <see cref="TaskPrompt.PrefixDropout"/>.
    /// </summary>
    private Tensor PrefixDropout(Tensor kv, PromptBatch batch)
    {
        if (!training) return kv;
        var rates = batch.TaskIndex.Select(t => tasks[t].PrefixDropout).ToArray();
        if (rates.All(r => r <= 0)) return kv;
        if (rates.Distinct().Count() == 1) return F.dropout(kv, rates[0], true);
        var keep = tensor(rates.Select(r => (float)(1 - r)).ToArray()).to_type(kv.dtype).view(1, 1, -1, 1, 1, 1);
        return kv * bernoulli(keep.expand(kv.shape)).div_(keep);
    }

    /// <summary>Scores of task <paramref name="task"/>'s rows (see <see cref="PromptHead.Scores"/>).</summary>
    public Tensor Scores(ForwardOutput output, PromptBatch batch, int task)
        => tasks[task].Head.Scores(output, batch, RowsOf(batch, task));

    private static Tensor RowsOf(PromptBatch batch, int task)
        => tensor(Enumerable.Range(0, batch.Count).Where(i => batch.TaskIndex[i] == task).Select(i => (long)i).ToArray());

    /// <summary>Mean training loss of a labelled batch (each task's head on its own rows, weighted by row count).</summary>
    public Tensor Loss(PromptBatch batch)
    {
        var labels = batch.Labels ?? throw new ArgumentException("Loss needs a labelled batch");
        var output = Forward(batch);
        Tensor? total = null;
        foreach (var t in batch.TaskIndex.Distinct())
        {
            var rows = RowsOf(batch, t);
            var head = tasks[t].Head;
            var loss = head.Loss(head.Scores(output, batch, rows), labels.index_select(0, rows));
            var weighted = loss * (rows.shape[0] / (double)batch.Count);
            total = total is null ? weighted : total + weighted;
        }
        return total!;
    }

    /// <summary>Loss of labelled examples: the delegate a <c>Trainer</c> calls.</summary>
    public Tensor Loss(IReadOnlyList<PromptExample> examples)
    {
        using var batch = Encode(examples);
        return Loss(batch);
    }

    /// <summary>Class index per example (classification tasks), in batches of <paramref name="batchSize"/>, eval mode, no gradients.</summary>
    public int[] PredictLabels(IReadOnlyList<PromptExample> examples, int batchSize = 32)
        => Inference(examples, batchSize, (output, batch) =>
        {
            var result = new int[batch.Count];
            foreach (var t in batch.TaskIndex.Distinct())
            {
                var rows = RowsOf(batch, t).data<long>().ToArray();
                var best = Scores(output, batch, t).argmax(1).data<long>().ToArray();
                for (int i = 0; i < rows.Length; i++) result[rows[i]] = (int)best[i];
            }
            return result;
        });

    /// <summary>Tag index per word (tagging tasks); words cut off by truncation get tag 0.</summary>
    public int[][] PredictTags(IReadOnlyList<PromptExample> examples, int batchSize = 32)
    {
        var tags = Inference(examples, batchSize, (output, batch) =>
        {
            var result = new int[batch.Count][];
            foreach (var t in batch.TaskIndex.Distinct())
            {
                var rows = RowsOf(batch, t).data<long>().ToArray();
                using var best = Scores(output, batch, t).argmax(2);
                for (int i = 0; i < rows.Length; i++)
                {
                    var starts = batch.WordStarts![(int)rows[i]];
                    var row = best[i].data<long>().ToArray();
                    result[rows[i]] = starts.Select(p => (int)row[p]).ToArray();
                }
            }
            return result;
        });
        for (int i = 0; i < tags.Length; i++)
        {
            int words = examples[i].A.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            if (tags[i].Length < words) tags[i] = tags[i].Concat(Enumerable.Repeat(0, words - tags[i].Length)).ToArray();
        }
        return tags;
    }

    private T[] Inference<T>(IReadOnlyList<PromptExample> examples, int batchSize, Func<ForwardOutput, PromptBatch, T[]> read)
    {
        bool was = training;
        eval();
        try
        {
            var all = new List<T>(examples.Count);
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var chunk = examples.Skip(start).Take(batchSize).ToList();
                using var batch = Encode(chunk, withTargets: false);
                var got = read(Forward(batch), batch);
                all.AddRange(got);
            }
            return all.ToArray();
        }
        finally { if (was) train(); }
    }

    /// <summary>
    /// Generates each example's continuation after its source (GPT-2, generation tasks): greedy when
    /// <paramref name="beams"/> is 1, else beam search, stopping at eos. Key/value prefixes go to the
    /// decoder as its prefix; virtual input tokens that all precede the text are first turned into
    /// the same prefix (GPT-2 is causal, so this is exact); templates with virtual tokens after the
    /// text are decoded one example at a time from the source's cache.
    /// </summary>
    public List<string> Generate(IReadOnlyList<PromptExample> examples, int maxNewTokens = 40, int beams = 1, int batchSize = 16)
    {
        var c = Backbone.Config;
        if (!c.IsCausal) throw new InvalidOperationException($"generation needs GPT-2; this backbone is {c.ModelType}");
        bool was = training;
        eval();
        try
        {
            var results = new string[examples.Count];
            var groups = Enumerable.Range(0, examples.Count).GroupBy(i => _builder.TaskId(examples[i].Task));
            foreach (var group in groups)
            {
                var tp = tasks[group.Key];
                var idx = group.ToList();
                bool leadingSlots = tp.Prompt is InputPrompt && _builder.LeadingSpecialTokens == 0 && tp.Template.Parts.TakeWhile(p => p.Kind == TemplatePartKind.Slot).Count() == tp.Template.SlotCount;
                int step = tp.Prompt is InputPrompt && !leadingSlots ? 1 : batchSize;
                for (int start = 0; start < idx.Count; start += step)
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    var rows = idx.Skip(start).Take(step).ToList();
                    var texts = GenerateRows(tp, rows.Select(i => examples[i]).ToList(), leadingSlots, maxNewTokens, beams);
                    for (int r = 0; r < rows.Count; r++) results[rows[r]] = texts[r];
                }
            }
            return results.ToList();
        }
        finally { if (was) train(); }
    }

    private string[] GenerateRows(TaskPrompt tp, List<PromptExample> rows, bool leadingSlots, int maxNewTokens, int beams)
    {
        var c = Backbone.Config;
        using var batch = Encode(rows, withTargets: false);
        int n = batch.Count;
        var config = GenerationConfig.From(c, maxNewTokens, beams) with { EosTokenId = Tokenizer.EosTokenId, PadTokenId = Tokenizer.PadTokenId };
        int skip = tp.Prompt is InputPrompt && leadingSlots ? tp.Prompt.Length : 0;
        IReadOnlyList<KeyValue>? prefix = null;
        Tensor ids, mask;
        if (tp.Prompt is InputPrompt && !leadingSlots)
        {
            // One example: cache the source up to its last token, then decode from that token.
            int len = batch.Lengths[0];
            var head = new PromptBatch
            {
                InputIds = batch.InputIds.narrow(1, 0, len - 1), AttentionMask = batch.AttentionMask.narrow(1, 0, len - 1),
                TokenTypeIds = batch.TokenTypeIds.narrow(1, 0, len - 1), Slots = batch.Slots.narrow(1, 0, len - 1),
                TaskIds = batch.TaskIds, PoolPositions = batch.PoolPositions, MaskPositions = batch.MaskPositions,
                TaskIndex = batch.TaskIndex, Lengths = [len - 1],
            };
            prefix = Forward(head, lmLogits: false, useCache: true).PresentKeyValues;
            ids = batch.InputIds.narrow(1, len - 1, 1);
            mask = ones_like(ids);
            skip = 0;
        }
        else
        {
            if (tp.Prompt is InputPrompt ip)
            {
                var embeds = ip.Embeddings().unsqueeze(0);
                prefix = Backbone.Forward(new ForwardArgs { InputsEmbeds = embeds, UseCache = true, SkipLmHead = true }).PresentKeyValues;
            }
            else if (tp.Prompt is PrefixPrompt pp)
            {
                var kv = pp.KeyValues();
                prefix = Enumerable.Range(0, c.NumHiddenLayers).Select(l => new KeyValue(kv[l, 0].unsqueeze(0), kv[l, 1].unsqueeze(0))).ToList();
            }
            // Left-pad the sources (real tokens only; input-prompt slots are in the prefix now).
            int width = batch.Lengths.Max() - skip;
            var left = new long[n * width];
            var leftMask = new long[n * width];
            Array.Fill(left, Tokenizer.PadTokenId);
            var host = batch.InputIds.data<long>().ToArray();
            long L = batch.InputIds.shape[1];
            for (int r = 0; r < n; r++)
            {
                int real = batch.Lengths[r] - skip, off = width - real;
                for (int j = 0; j < real; j++) { left[r * width + off + j] = host[r * L + skip + j]; leftMask[r * width + off + j] = 1; }
            }
            ids = tensor(left, new long[] { n, width });
            mask = tensor(leftMask, new long[] { n, width });
        }
        // Never decode past the backbone's positions: the prefix (or cached source) and the source come first.
        long used = (prefix is { Count: > 0 } ? prefix[0].Key.shape[2] : 0) + ids.shape[1];
        int room = (int)(c.MaxPositionEmbeddings - used);
        if (room < 1) throw new ArgumentException($"task '{tp.Task.Name}': prompt and source take {used} of the backbone's {c.MaxPositionEmbeddings} positions; nothing is left to generate");
        if (config.MaxNewTokens > room) config = config with { MaxNewTokens = room };
        using var result = Generation.Generate(Backbone, ids, config, mask, prefix);
        var seqs = result.Sequences;
        long inputLength = ids.shape[1];
        var texts = new string[n];
        for (int r = 0; r < n; r++)
        {
            var tokens = seqs[r].data<long>().Skip((int)inputLength).Select(t => (int)t).TakeWhile(t => t != Tokenizer.EosTokenId).ToList();
            texts[r] = Tokenizer.Decode(tokens).Trim();
        }
        return texts;
    }

    /// <summary>Every tensor that defines this model's tasks, collapsed for storage: <c>{task}.prompt</c> and <c>{task}.head.*</c>.</summary>
    internal Dictionary<string, Tensor> PromptTensors()
    {
        var d = new Dictionary<string, Tensor>();
        using var _ = no_grad();
        foreach (var t in tasks)
        {
            if (t.Prompt is InputPrompt ip) d[$"{t.Task.Name}.prompt"] = ip.Embeddings().detach().clone();
            if (t.Prompt is PrefixPrompt pp) d[$"{t.Task.Name}.prefix"] = pp.KeyValues().detach().clone();
            foreach (var (name, p) in t.Head.named_parameters()) d[$"{t.Task.Name}.head.{name}"] = p.detach().clone();
        }
        return d;
    }

    /// <summary>
    /// Frees the prompts and heads, and the backbone when it is the model's own copy
    /// (<see cref="TrainsBackbone"/>); the caller's backbone is never disposed here, and a combined
    /// model leaves its parts to the models it came from.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (_ownsTasks) base.Dispose(disposing);
        if (disposing && TrainsBackbone && _ownsTasks) Backbone.Dispose();
    }
}
