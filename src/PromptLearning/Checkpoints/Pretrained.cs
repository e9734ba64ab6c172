using PromptLearning.Models;
using PromptLearning.Tokenization;

namespace PromptLearning.Checkpoints;

/// <summary>A loaded checkpoint: its config, the model with its weights (in eval mode), its tokenizer, and the folder it came from.</summary>
public sealed record PretrainedModel(TransformerConfig Config, ILanguageModel Model, TextTokenizer Tokenizer, string Folder) : IDisposable
{
    /// <summary>What loading the weights did: tensors loaded, checkpoint tensors not used, model tensors newly initialised (null for a model not loaded by <see cref="Pretrained.Load"/>).</summary>
    public StateDictLoadReport? LoadReport { get; init; }

    /// <summary>Writes config, weights and tokenizer files into <paramref name="folder"/> (see <see cref="Pretrained.Save"/>).</summary>
    public void Save(string folder) => Pretrained.Save(Model, Tokenizer, folder);

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Loads BERT, RoBERTa and GPT-2 checkpoints in the Hugging Face layout (<c>config.json</c>,
/// <c>model.safetensors</c>, tokenizer files) by folder or by hub name, and saves them the same way.
/// </summary>
public static class Pretrained
{
    /// <summary>
    /// Loads config, model and tokenizer. <paramref name="nameOrFolder"/> is (a) a local folder in the
    /// Hugging Face layout, or a hub id (<c>gpt2</c>, <c>ORG/NAME</c>) found (b) in the Hugging Face
    /// cache (<c>HF_HUB_CACHE</c> / <c>HF_HOME</c> / <c>~/.cache/huggingface/hub</c>) or else (c)
    /// downloaded from the hub (<c>HF_ENDPOINT</c>) into that cache. The model is in eval mode.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, the model the config describes would not fit in memory, or the weights do not fit the config (all names listed).</exception>
    /// <exception cref="FileNotFoundException">A needed file is absent (named).</exception>
    public static PretrainedModel Load(string nameOrFolder, HubOptions? hub = null)
    {
        var folder = Resolve(nameOrFolder, hub);
        var configPath = Path.Combine(folder, "config.json");
        var config = ConfigFile.Read(configPath);
        ConfigFile.CheckFits(config, configPath);
        var tokenizer = TokenizerFactory.FromFolder(folder, config.ModelType);
        var model = CreateModel(config);
        StateDictLoadReport report;
        try
        {
            report = LoadWeights(model, folder);
            model.UntrainedHead = report.NewlyInitialised;
            if (report.Describe(model.Module.GetName(), folder) is { Length: > 0 } warning) Console.Error.WriteLine(warning);
            model.Module.eval();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new PretrainedModel(config, model, tokenizer, folder) { LoadReport = report };
    }

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

    /// <summary>A freshly initialised model for <paramref name="config"/>: <c>BertForMaskedLM</c> for bert/roberta, <c>GPT2LMHeadModel</c> for gpt2.</summary>
    public static ILanguageModel CreateModel(TransformerConfig config) =>
        config.IsCausal ? new GPT2LMHeadModel(config) : new BertForMaskedLM(config);

    /// <summary>
    /// Loads the weights of <paramref name="folder"/> into <paramref name="model"/>: <c>model.safetensors</c>,
    /// or the shards a <c>model.safetensors.index.json</c> lists (tied weights and HF's ignorable tensors accepted).
    /// </summary>
    /// <remarks>Without safetensors files, <c>pytorch_model.bin</c> (or the shards its index lists) is read with the restricted reader of <see cref="PyTorchCheckpoint"/>; safetensors is preferred when both exist, as in <c>transformers</c>.</remarks>
    public static StateDictLoadReport LoadWeights(ILanguageModel model, string folder)
    {
        var pickles = PickleFiles(folder);
        if (pickles is null) return StateDictLoader.Load(model.Module, WeightFiles(folder), TiedWeights.OptionsFor(model));
        var tensors = new Dictionary<string, TorchSharp.torch.Tensor>();
        try
        {
            foreach (var file in pickles)
                foreach (var (name, t) in PyTorchCheckpoint.Read(file))
                    if (!tensors.TryAdd(name, t)) { t.Dispose(); throw new InvalidDataException($"Tensor '{name}' is stored in two shards of '{folder}' (second: '{file}')."); }
            return StateDictLoader.Load(model.Module, tensors, string.Join(", ", pickles.Select(p => $"'{p}'")), TiedWeights.OptionsFor(model));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
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
