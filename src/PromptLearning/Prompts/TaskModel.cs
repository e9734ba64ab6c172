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
/// <para>
/// One file per responsibility: this one builds, freezes and stores the model;
/// <c>TaskModel.Forward.cs</c> injects the prompts into the backbone call;
/// <c>TaskModel.Predict.cs</c> runs the heads (scores, losses, labels, tags);
/// <c>TaskModel.Generate.cs</c> decodes generation tasks.
/// </para>
/// </summary>
public partial class TaskModel : nn.Module
{
    private readonly ModuleList<TaskAdapter> tasks;
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
    public IReadOnlyList<TaskAdapter> Tasks => tasks.ToList();
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
    public TaskModel(ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config,
        IEnumerable<TaskAdapter> taskPrompts, bool trainBackbone, string? fingerprint = null)
        : this(backbone, tokenizer, config, taskPrompts, trainBackbone, fingerprint, ownsTasks: true) { }

    private TaskModel(ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config,
        IEnumerable<TaskAdapter> taskPrompts, bool trainBackbone, string? fingerprint, bool ownsTasks)
        : base(nameof(TaskModel))
    {
        _ownsTasks = ownsTasks;
        _backbone = new Shared(backbone ?? throw new ArgumentNullException(nameof(backbone)));
        Tokenizer = tokenizer;
        Config = config;
        TrainsBackbone = trainBackbone;
        tasks = new ModuleList<TaskAdapter>(taskPrompts.ToArray());
        if (tasks.Count == 0) throw new ArgumentException("a prompt model needs at least one task");
        var names = tasks.Select(t => t.Task.Name).ToList();
        if (names.Distinct().Count() != names.Count) throw new ArgumentException($"task names must be distinct: {string.Join(", ", names)}");
        foreach (var t in tasks) CheckFits(t);
        foreach (var t in tasks)
            if (t.Head.Kind is HeadKind.Cloze or HeadKind.LanguageModel) PretrainedHead.Require(backbone, $"method '{config.Method}' (task '{t.Task.Name}', {t.Head.Kind} head)");
        Devices.MoveTo(tasks, Devices.Of(backbone.Module));
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
    public static TaskModel Combine(params TaskModel[] models)
    {
        if (models.Length == 0) throw new ArgumentException("nothing to combine");
        var first = models[0];
        foreach (var m in models)
        {
            if (!ReferenceEquals(m.Backbone, first.Backbone)) throw new ArgumentException("combined prompt models must share one backbone instance");
            if (m.TrainsBackbone) throw new ArgumentException($"method '{m.Config.Method}' changes the backbone's weights; its tasks cannot share a batch with others");
        }
        return new TaskModel(first.Backbone, first.Tokenizer, first.Config, models.SelectMany(m => m.Tasks), false, first.BackboneFingerprintValue, ownsTasks: false);
    }

    private void CheckFits(TaskAdapter t)
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

    /// <summary>The device of the backbone's weights; the prompts and heads are moved there when the model is built, and batches are made there (<see cref="Encode"/>).</summary>
    public Device Device => Devices.Of(Backbone.Module);

    /// <summary>Lays out examples for this model on its <see cref="Device"/> (see <see cref="BatchBuilder.Build"/>).</summary>
    public PromptBatch Encode(IReadOnlyList<PromptExample> examples, bool withTargets = true) => _builder.Build(examples, withTargets, Device);

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
