using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Checkpoints;

/// <summary>How <see cref="Pretrained.Load(string, PretrainedLoadOptions?)"/> builds and fills the model.</summary>
public sealed record PretrainedLoadOptions
{
    /// <summary>Where and how a hub id is fetched (null: defaults, see <see cref="HubOptions"/>).</summary>
    public HubOptions? Hub { get; init; }

    /// <summary>
    /// The model's floating-point type after loading: <see cref="ScalarType.Float32"/> (default),
    /// <see cref="ScalarType.Float16"/> or <see cref="ScalarType.BFloat16"/>. Weights stored as F32, F16
    /// or BF16 are read and converted to it, as <c>from_pretrained(torch_dtype=...)</c> does.
    /// </summary>
    public ScalarType Dtype { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Load the backbone only: the checkpoint's LM-head tensors are not read (reported as unused), the
    /// head's own tensors keep their fresh initialisation (reported as newly initialised, and in
    /// <see cref="ILanguageModel.UntrainedHead"/>, so methods that read the LM head refuse the model).
    /// GPT-2's head is the tied word-embedding matrix, so it has no tensors of its own unless untied.
    /// </summary>
    public bool BackboneOnly { get; init; }

    /// <summary>
    /// Keep a <c>*ForSequenceClassification</c> checkpoint's <c>classifier.*</c> tensors (instead of
    /// reporting them as unused) in <see cref="PretrainedModel.Classifier"/>, to be copied into a
    /// classification head with <see cref="Prompts.TaskModel.LoadClassifier"/> when the shapes fit.
    /// </summary>
    public bool LoadClassifier { get; init; }

    /// <summary>
    /// Where the model's weights (and the kept classifier tensors) are put after loading; everything
    /// built on the model (prompts, heads, batches, optimizer state) follows them. Null (default):
    /// the CPU. A CUDA device (<c>new torch.Device("cuda")</c>, <c>"cuda:1"</c>, or <c>torch.CUDA</c>) needs
    /// the TorchSharp-cuda package in place of TorchSharp-cpu; without it, loading fails with an error
    /// naming this option (<c>torch.CUDA</c> itself already throws TorchSharp's own error there). Weights are always read on the CPU and moved once, so every device starts
    /// from the same numbers.
    /// </summary>
    public Device? Device { get; init; }
}

/// <summary>A loaded checkpoint: its config, the model with its weights (in eval mode), its tokenizer, and the folder it came from.</summary>
public sealed record PretrainedModel(TransformerConfig Config, ILanguageModel Model, TextTokenizer Tokenizer, string Folder) : IDisposable
{
    /// <summary>What loading the weights did: tensors loaded (the pooler included when the checkpoint had one), checkpoint tensors not used, model tensors newly initialised (null for a model not loaded by <see cref="Pretrained.Load(string, PretrainedLoadOptions?)"/>).</summary>
    public StateDictLoadReport? LoadReport { get; init; }

    /// <summary>
    /// The checkpoint's classifier tensors (<c>classifier.weight</c>, <c>classifier.bias</c>, or RoBERTa's
    /// <c>classifier.dense.*</c> / <c>classifier.out_proj.*</c>) when loaded with
    /// <see cref="PretrainedLoadOptions.LoadClassifier"/>; empty otherwise. Owned (disposed) with the model.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Classifier { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>Writes config, weights (pooler included) and tokenizer files into <paramref name="folder"/> (see <see cref="Pretrained.Save"/>).</summary>
    public void Save(string folder) => Pretrained.Save(Model, Tokenizer, folder);

    /// <summary>Frees the model's weights and the kept classifier tensors.</summary>
    public void Dispose()
    {
        Model.Dispose();
        foreach (var t in Classifier.Values) t.Dispose();
    }
}

/// <summary>
/// Loads BERT, RoBERTa and GPT-2 checkpoints in the Hugging Face layout (<c>config.json</c>,
/// <c>model.safetensors</c>, tokenizer files) by folder or by hub name, and saves them the same way.
/// Encoder-decoders (BART, T5) load with <see cref="LoadSeq2Seq"/>.
/// </summary>
public static partial class Pretrained
{
    /// <summary>Loads with default options and the given hub settings (see <see cref="Load(string, PretrainedLoadOptions?)"/>).</summary>
    public static PretrainedModel Load(string nameOrFolder, HubOptions hub) => Load(nameOrFolder, new PretrainedLoadOptions { Hub = hub });

    /// <summary>
    /// Loads config, model and tokenizer. <paramref name="nameOrFolder"/> is (a) a local folder in the
    /// Hugging Face layout, or a hub id (<c>gpt2</c>, <c>ORG/NAME</c>) found (b) in the Hugging Face
    /// cache (<c>HF_HUB_CACHE</c> / <c>HF_HOME</c> / <c>~/.cache/huggingface/hub</c>) or else (c)
    /// downloaded from the hub (<c>HF_ENDPOINT</c>) into that cache. The model is in eval mode.
    /// A BERT/RoBERTa checkpoint that holds a pooler (<c>pooler.dense.*</c>, with or without the base
    /// prefix) gets one (<see cref="BertForMaskedLM.Pooler"/>), loaded like every other tensor.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, the model the config describes would not fit in memory, or the weights do not fit the config (all names listed).</exception>
    /// <exception cref="FileNotFoundException">A needed file is absent (named).</exception>
    /// <exception cref="ArgumentException"><see cref="PretrainedLoadOptions.Dtype"/> is not F32, F16 or BF16, or <see cref="PretrainedLoadOptions.Device"/> is not available.</exception>
    public static PretrainedModel Load(string nameOrFolder, PretrainedLoadOptions? options = null)
    {
        options ??= new PretrainedLoadOptions();
        if (options.Dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"PretrainedLoadOptions.Dtype must be Float32, Float16 or BFloat16, not {options.Dtype}.", nameof(options));
        var device = Devices.Check(options.Device ?? CPU, "PretrainedLoadOptions.Device");
        var folder = Resolve(nameOrFolder, options.Hub);
        var configPath = Path.Combine(folder, "config.json");
        RefuseSeq2Seq(configPath);
        var config = ConfigFile.Read(configPath);
        ConfigFile.CheckFits(config, configPath);
        var tokenizer = TokenizerFactory.FromFolder(folder, config.ModelType);
        using var tensors = CheckpointTensors.Open(folder);
        var model = CreateModel(config, addPoolingLayer: !config.IsCausal && HasPooler(config, tensors.Names));
        var classifier = new Dictionary<string, Tensor>();
        StateDictLoadReport report;
        try
        {
            var loadOptions = TiedWeights.OptionsFor(model);
            if (options.BackboneOnly) loadOptions = loadOptions with { Skip = [HeadPattern(config)] };
            if (options.LoadClassifier)
            {
                foreach (var name in tensors.Names.Where(n => n.StartsWith(ClassifierPrefix, StringComparison.Ordinal)))
                    classifier[name] = tensors.Read(name).to_type(options.Dtype).to(device);
                var kept = classifier.Keys.ToHashSet();
                report = StateDictLoader.Load(model.Module, tensors.Names.Where(n => !kept.Contains(n)).ToList(), tensors.ShapeOf, tensors.Read, tensors.Source, loadOptions)
                    with { KeptForClassifier = kept.Order(StringComparer.Ordinal).ToList() };
            }
            else report = StateDictLoader.Load(model.Module, tensors.Names, tensors.ShapeOf, tensors.Read, tensors.Source, loadOptions);
            model.UntrainedHead = report.NewlyInitialised;
            if (report.Describe(model.Module.GetName(), folder) is { Length: > 0 } warning) Console.Error.WriteLine(warning);
            if (options.Dtype != ScalarType.Float32) model.Module.to(options.Dtype);
            if (device.type != DeviceType.CPU) model.Module.to(device);
            model.Module.eval();
        }
        catch
        {
            model.Dispose();
            foreach (var t in classifier.Values) t.Dispose();
            throw;
        }
        return new PretrainedModel(config, model, tokenizer, folder) { LoadReport = report, Classifier = classifier };
    }

    /// <summary>The prefix of a sequence-classification checkpoint's head tensors.</summary>
    public const string ClassifierPrefix = "classifier.";

    /// <summary>Whether a BERT/RoBERTa checkpoint's tensor names include a pooler (with or without the base prefix).</summary>
    static bool HasPooler(TransformerConfig config, IReadOnlyList<string> names)
    {
        var prefix = config.IsRoberta ? "roberta." : "bert.";
        return names.Contains(prefix + "pooler.dense.weight") || names.Contains("pooler.dense.weight");
    }

    /// <summary>The LM head's keys as a pattern: <c>cls.</c> (BERT), <c>lm_head.</c> (RoBERTa, GPT-2).</summary>
    static string HeadPattern(TransformerConfig config) => config.ModelType == "bert" ? @"^cls\." : @"^lm_head\.";

    /// <summary>The local folder <paramref name="nameOrFolder"/> stands for: itself when it is a folder, else the hub model's cached (or freshly downloaded) snapshot.</summary>
    public static string Resolve(string nameOrFolder, HubOptions? hub = null)
    {
        if (Directory.Exists(nameOrFolder))
        {
            if (!File.Exists(Path.Combine(nameOrFolder, "config.json")))
                throw new FileNotFoundException($"Model folder '{nameOrFolder}' has no config.json.", Path.Combine(nameOrFolder, "config.json"));
            return Path.GetFullPath(nameOrFolder);
        }
        if (!HfCache.IsRepoId(nameOrFolder))
            throw new DirectoryNotFoundException($"'{nameOrFolder}' is neither an existing folder nor a hub model id (NAME or ORG/NAME).");
        using var client = new HubClient(hub);
        return client.DownloadModel(nameOrFolder);
    }

    /// <summary>
    /// A freshly initialised model for <paramref name="config"/>: <c>BertForMaskedLM</c> for bert/roberta
    /// (with a pooler when <paramref name="addPoolingLayer"/>), <c>GPT2LMHeadModel</c> for gpt2 (no pooler).
    /// </summary>
    public static ILanguageModel CreateModel(TransformerConfig config, bool addPoolingLayer = false) =>
        config.IsCausal
            ? (addPoolingLayer ? throw new ArgumentException("GPT-2 has no pooler.", nameof(addPoolingLayer)) : new GPT2LMHeadModel(config))
            : new BertForMaskedLM(config, addPoolingLayer);

    /// <summary>
    /// Loads the weights of <paramref name="folder"/> into <paramref name="model"/>: <c>model.safetensors</c>,
    /// or the shards a <c>model.safetensors.index.json</c> lists (tied weights and HF's ignorable tensors accepted).
    /// </summary>
    /// <remarks>Without safetensors files, <c>pytorch_model.bin</c> (or the shards its index lists) is read with the restricted reader of <see cref="PyTorchCheckpoint"/>; safetensors is preferred when both exist, as in <c>transformers</c>.</remarks>
    public static StateDictLoadReport LoadWeights(ILanguageModel model, string folder)
    {
        using var tensors = CheckpointTensors.Open(folder);
        return StateDictLoader.Load(model.Module, tensors.Names, tensors.ShapeOf, tensors.Read, tensors.Source, TiedWeights.OptionsFor(model));
    }

    /// <summary>A folder's checkpoint tensors by name, from safetensors (read one at a time) or from <c>pytorch_model.bin</c> (read at once).</summary>
    private sealed class CheckpointTensors : IDisposable
    {
        readonly List<SafetensorsReader> _readers = [];
        readonly Dictionary<string, SafetensorsReader> _owner = [];
        readonly Dictionary<string, Tensor> _pickled = [];

        public IReadOnlyList<string> Names { get; private set; } = [];
        public string Source { get; private set; } = "";

        public long[] ShapeOf(string name) => _owner.TryGetValue(name, out var r) ? r.Entry(name).Shape : _pickled[name].shape;
        public Tensor Read(string name) => _owner.TryGetValue(name, out var r) ? r.Read(name) : _pickled[name].detach();

        public static CheckpointTensors Open(string folder)
        {
            var result = new CheckpointTensors();
            try
            {
                var pickles = PickleFiles(folder);
                var names = new List<string>();
                if (pickles is null)
                {
                    var files = WeightFiles(folder);
                    foreach (var path in files)
                    {
                        var reader = SafetensorsReader.Open(path);
                        result._readers.Add(reader);
                        foreach (var name in reader.Names)
                        {
                            if (!result._owner.TryAdd(name, reader))
                                throw new InvalidDataException($"Tensor '{name}' is stored in two shards: '{result._owner[name].Path}' and '{path}'.");
                            names.Add(name);
                        }
                    }
                    result.Source = string.Join(", ", files.Select(p => $"'{p}'"));
                }
                else
                {
                    foreach (var file in pickles)
                        foreach (var (name, t) in PyTorchCheckpoint.Read(file))
                        {
                            if (!result._pickled.TryAdd(name, t)) { t.Dispose(); throw new InvalidDataException($"Tensor '{name}' is stored in two shards of '{folder}' (second: '{file}')."); }
                            names.Add(name);
                        }
                    result.Source = string.Join(", ", pickles.Select(p => $"'{p}'"));
                }
                result.Names = names;
                return result;
            }
            catch
            {
                result.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (var r in _readers) r.Dispose();
            foreach (var t in _pickled.Values) t.Dispose();
        }
    }

    /// <summary>The <c>pytorch_model.bin</c> file(s) of a folder that has no safetensors weights, or null (safetensors present, or no pickle either).</summary>
    private static IReadOnlyList<string>? PickleFiles(string folder)
    {
        if (File.Exists(Path.Combine(folder, SafetensorsIndex.SingleFile)) || File.Exists(Path.Combine(folder, SafetensorsIndex.IndexFile))) return null;
        var single = Path.Combine(folder, PyTorchCheckpoint.SingleFile);
        if (File.Exists(single)) return [single];
        var index = Path.Combine(folder, PyTorchCheckpoint.IndexFile);
        if (!File.Exists(index)) return null;
        var shards = SafetensorsIndex.Shards(index).Select(s => Path.Combine(folder, s)).ToList();
        foreach (var s in shards)
            if (!File.Exists(s)) throw new FileNotFoundException($"Shard '{s}' listed in '{index}' is missing.", s);
        return shards;
    }

    /// <summary>The safetensors files holding a folder's weights: <c>model.safetensors</c>, or the shards named by <c>model.safetensors.index.json</c>.</summary>
    /// <exception cref="FileNotFoundException">No weights in safetensors format (the message says what is there instead).</exception>
    /// <exception cref="InvalidDataException">A malformed index.</exception>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        var single = Path.Combine(folder, SafetensorsIndex.SingleFile);
        if (File.Exists(single)) return [single];
        var index = Path.Combine(folder, SafetensorsIndex.IndexFile);
        if (File.Exists(index))
        {
            var shards = SafetensorsIndex.Shards(index).Select(s => Path.Combine(folder, s)).ToList();
            foreach (var s in shards)
                if (!File.Exists(s)) throw new FileNotFoundException($"Shard '{s}' listed in '{index}' is missing.", s);
            return shards;
        }
        throw new FileNotFoundException($"Model folder '{folder}' has no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json.", single);
    }

    /// <summary>
    /// Writes <c>config.json</c>, <c>model.safetensors</c> (tied aliases left out, as
    /// <c>save_pretrained</c>) and, when given, the tokenizer files into <paramref name="folder"/>;
    /// each file is written atomically (temp file + rename), the weights before the config.
    /// </summary>
    public static void Save(ILanguageModel model, TextTokenizer? tokenizer, string folder)
    {
        Directory.CreateDirectory(folder);
        StateDictLoader.Save(model.Module, Path.Combine(folder, "model.safetensors"), model.TiedWeights);
        tokenizer?.Save(folder);
        ConfigFile.Write(model.Config, Path.Combine(folder, "config.json"));
    }
}
