using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Checkpoints;

/// <summary>How a checkpoint's tensor names are matched to a module's state dict.</summary>
public sealed record StateDictLoadOptions
{
    /// <summary>
    /// Tied weights: alias name -> source name (e.g. GPT-2 <c>lm_head.weight</c> ->
    /// <c>transformer.wte.weight</c>). An alias missing from the file is filled from its source (and
    /// the other way round); an alias stored in the file that the module does not have is accepted.
    /// </summary>
    public IReadOnlyDictionary<string, string> TiedAliases { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Regular expressions for checkpoint tensors the module may ignore (e.g. <c>^bert\.pooler\.</c>,
    /// <c>\.attn\.masked_bias$</c>); anything else the module lacks is an error.
    /// </summary>
    public IReadOnlyList<string> IgnoreUnexpected { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The base model's prefix (<c>bert.</c>, <c>roberta.</c>, <c>transformer.</c>). A checkpoint of
    /// the bare base model (names without it, as in the original <c>gpt2</c> files) is then loaded
    /// into the model with a head by adding it.
    /// </summary>
    public string? BaseModelPrefix { get; init; }

    /// <summary>
    /// Regular expressions for module tensors the checkpoint may lack (the LM head of an encoder-only
    /// checkpoint): they keep their fresh initialisation and are listed in
    /// <see cref="StateDictLoadReport.NewlyInitialised"/>, as <c>transformers</c> warns.
    /// </summary>
    public IReadOnlyList<string> AllowMissing { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Regular expressions for tensors not to load (e.g. <c>^cls\.</c> for a backbone-only load): module
    /// tensors that match keep their fresh initialisation (listed in <see cref="StateDictLoadReport.NewlyInitialised"/>),
    /// checkpoint tensors that match are listed in <see cref="StateDictLoadReport.Ignored"/>.
    /// </summary>
    public IReadOnlyList<string> Skip { get; init; } = Array.Empty<string>();
}

/// <summary>What <see cref="StateDictLoader"/> did.</summary>
/// <param name="Loaded">Module tensors filled, each with the checkpoint name it came from.</param>
/// <param name="Ignored">Checkpoint tensors skipped (unused): tied aliases the module does not hold, or matched by <see cref="StateDictLoadOptions.IgnoreUnexpected"/> (e.g. a pooler).</param>
/// <param name="NewlyInitialised">Module tensors the checkpoint did not hold, left at their fresh initialisation (see <see cref="StateDictLoadOptions.AllowMissing"/>).</param>
public sealed record StateDictLoadReport(IReadOnlyDictionary<string, string> Loaded, IReadOnlyList<string> Ignored, IReadOnlyList<string> NewlyInitialised)
{
    /// <summary>Checkpoint tensors kept aside for a classification head (<see cref="PretrainedLoadOptions.LoadClassifier"/>), neither loaded into the model nor unused.</summary>
    public IReadOnlyList<string> KeptForClassifier { get; init; } = [];

    /// <summary>The report as <c>transformers</c> words its load warnings (empty when nothing was new or unused).</summary>
    public string Describe(string model, string source)
    {
        var lines = new List<string>();
        if (NewlyInitialised.Count > 0)
            lines.Add($"Some weights of {model} were not initialized from the checkpoint at {source} and are newly initialized: [{string.Join(", ", NewlyInitialised)}]");
        if (Ignored.Count > 0)
            lines.Add($"Some weights of the checkpoint at {source} were not used when initializing {model}: [{string.Join(", ", Ignored)}]");
        return string.Join("\n", lines);
    }
}

/// <summary>The tied weights of the supported architectures (as in <c>transformers</c>).</summary>
public static class TiedWeights
{
    /// <summary>BERT: decoder weight = word embeddings, decoder bias = <c>cls.predictions.bias</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> Bert = new Dictionary<string, string>
    {
        ["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight",
        ["cls.predictions.decoder.bias"] = "cls.predictions.bias",
    };

    /// <summary>RoBERTa: decoder weight = word embeddings, decoder bias = <c>lm_head.bias</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> Roberta = new Dictionary<string, string>
    {
        ["lm_head.decoder.weight"] = "roberta.embeddings.word_embeddings.weight",
        ["lm_head.decoder.bias"] = "lm_head.bias",
    };

    /// <summary>GPT-2: <c>lm_head.weight</c> = <c>transformer.wte.weight</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> Gpt2 = new Dictionary<string, string>
    {
        ["lm_head.weight"] = "transformer.wte.weight",
    };

    /// <summary>Load options for <paramref name="model"/>: those of its <c>model_type</c> with the model's own tied aliases.</summary>
    public static StateDictLoadOptions OptionsFor(PromptLearning.Models.ILanguageModel model) =>
        OptionsFor(model.Config.ModelType) with { TiedAliases = model.TiedWeights };

    /// <summary>Load options for a <c>model_type</c> (<c>bert</c>, <c>roberta</c>, <c>gpt2</c>): tied aliases, base prefix, and the tensors <c>transformers</c> also ignores.</summary>
    public static StateDictLoadOptions OptionsFor(string modelType) => modelType switch
    {
        "bert" => new()
        {
            TiedAliases = Bert, BaseModelPrefix = "bert.",
            IgnoreUnexpected = new[] { @"^bert\.pooler\.", @"^cls\.seq_relationship\.", @"^bert\.embeddings\.position_ids$", @"^classifier\.", @"^dropout\." },
            AllowMissing = new[] { @"^cls\.predictions\." },
        },
        "roberta" or "xlm-roberta" => new()
        {
            TiedAliases = Roberta, BaseModelPrefix = "roberta.",
            IgnoreUnexpected = new[] { @"^roberta\.pooler\.", @"^roberta\.embeddings\.position_ids$", @"^classifier\." },
            AllowMissing = new[] { @"^lm_head\." },
        },
        "gpt2" => new()
        {
            TiedAliases = Gpt2, BaseModelPrefix = "transformer.",
            IgnoreUnexpected = new[] { @"\.attn\.masked_bias$", @"\.attn\.bias$" },
        },
        _ => throw new NotSupportedException($"Unknown model_type '{modelType}' (expected bert, roberta or gpt2)."),
    };
}

/// <summary>
/// Copies checkpoint tensors into a module's parameters and buffers by name. Every mismatch is
/// collected first and reported in one <see cref="InvalidDataException"/> that lists all missing
/// tensors, all unexpected tensors and all shape mismatches (with both shapes).
/// </summary>
public static class StateDictLoader
{
    /// <summary>Loads a <c>model.safetensors</c> file into <paramref name="module"/>, reading one tensor at a time.</summary>
    public static StateDictLoadReport Load(nn.Module module, string safetensorsPath, StateDictLoadOptions? options = null)
    {
        using var reader = SafetensorsReader.Open(safetensorsPath);
        return Load(module, reader.Names.ToList(), n => reader.Entry(n).Shape, reader.Read, $"'{safetensorsPath}'", options);
    }

    /// <summary>
    /// Loads a checkpoint split over several safetensors files (a sharded checkpoint) into
    /// <paramref name="module"/>; a tensor stored in two shards is an error.
    /// </summary>
    public static StateDictLoadReport Load(nn.Module module, IReadOnlyList<string> safetensorsPaths, StateDictLoadOptions? options = null)
    {
        if (safetensorsPaths.Count == 1) return Load(module, safetensorsPaths[0], options);
        var readers = new List<SafetensorsReader>();
        try
        {
            var owner = new Dictionary<string, SafetensorsReader>();
            foreach (var path in safetensorsPaths)
            {
                var reader = SafetensorsReader.Open(path);
                readers.Add(reader);
                foreach (var name in reader.Names)
                    if (!owner.TryAdd(name, reader))
                        throw new InvalidDataException($"Tensor '{name}' is stored in two shards: '{owner[name].Path}' and '{path}'.");
            }
            var source = string.Join(", ", safetensorsPaths.Select(p => $"'{p}'"));
            return Load(module, owner.Keys.ToList(), n => owner[n].Entry(n).Shape, n => owner[n].Read(n), source, options);
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
    }

    /// <summary>Loads in-memory tensors (name -> tensor) into <paramref name="module"/>; <paramref name="source"/> names them in errors.</summary>
    public static StateDictLoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source, StateDictLoadOptions? options = null) =>
        Load(module, tensors.Keys.ToList(), n => tensors[n].shape, n => tensors[n].detach(), source, options);

    /// <summary>
    /// Loads the checkpoint tensors <paramref name="fileNames"/> into <paramref name="module"/>, asking
    /// <paramref name="shapeOf"/> for their shapes and <paramref name="read"/> for their values (read one at a
    /// time, after every check passed); <paramref name="source"/> names the checkpoint in errors.
    /// </summary>
    public static StateDictLoadReport Load(nn.Module module, IReadOnlyList<string> fileNames, Func<string, long[]> shapeOf, Func<string, Tensor> read, string source, StateDictLoadOptions? options)
    {
        options ??= new StateDictLoadOptions();
        var target = module.state_dict();
        var aliases = options.TiedAliases;

        // Checkpoint name as the module would call it -> name in the file.
        var byModelName = new Dictionary<string, string>();
        string? prefix = options.BaseModelPrefix;
        bool addPrefix = prefix is not null && fileNames.Count > 0
            && !fileNames.Any(n => n.StartsWith(prefix, StringComparison.Ordinal))
            && target.Keys.Any(n => n.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var n in fileNames)
            byModelName[addPrefix && !target.ContainsKey(n) && !aliases.ContainsKey(n) ? prefix + n : n] = n;

        var plan = new Dictionary<string, string>();
        var missing = new List<string>();
        var allowMissing = options.AllowMissing.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToList();
        var skip = options.Skip.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToList();
        var fresh = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, tensor) in target)
        {
            if (skip.Any(p => p.IsMatch(name))) { fresh.Add(name); continue; }
            string? from = byModelName.ContainsKey(name) ? name
                : aliases.TryGetValue(name, out var src) && byModelName.ContainsKey(src) ? src
                : aliases.FirstOrDefault(a => a.Value == name && byModelName.ContainsKey(a.Key)).Key;
            if (from is null) { (allowMissing.Any(p => p.IsMatch(name)) ? fresh : missing).Add(name); continue; }
            var fileShape = shapeOf(byModelName[from]);
            if (!fileShape.SequenceEqual(tensor.shape))
                mismatched.Add($"{name}: checkpoint [{string.Join(", ", fileShape)}] vs model [{string.Join(", ", tensor.shape)}]");
            else
                plan[name] = byModelName[from];
        }

        var patterns = options.IgnoreUnexpected.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToList();
        var unexpected = new List<string>();
        var ignored = new List<string>();
        foreach (var (modelName, fileName) in byModelName)
        {
            if (skip.Any(p => p.IsMatch(modelName))) { ignored.Add(fileName); continue; }
            if (target.ContainsKey(modelName)) continue;
            if (aliases.ContainsKey(modelName) || aliases.Values.Contains(modelName) || patterns.Any(p => p.IsMatch(modelName) || p.IsMatch(fileName)))
                ignored.Add(fileName);
            else
                unexpected.Add(fileName);
        }

        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var sb = new StringBuilder($"Checkpoint {source} does not fit {module.GetType().Name}:");
            void List(string what, List<string> items)
            {
                if (items.Count == 0) return;
                items.Sort(StringComparer.Ordinal);
                sb.Append($"\n  {what} ({items.Count}): {string.Join(", ", items)}");
            }
            List("missing tensors", missing);
            List("unexpected tensors", unexpected);
            List("shape mismatches", mismatched);
            throw new InvalidDataException(sb.ToString());
        }

        using (no_grad())
        {
            foreach (var (name, fileName) in plan)
            {
                using var value = read(fileName);
                target[name].copy_(value);
            }
        }
        fresh.Sort(StringComparer.Ordinal);
        return new StateDictLoadReport(plan, ignored, fresh);
    }

    /// <summary>
    /// The module's state dict without tied aliases that equal their source (what
    /// <c>save_pretrained</c> writes). An alias whose values differ (untied weights) is kept.
    /// </summary>
    public static Dictionary<string, Tensor> Export(nn.Module module, IReadOnlyDictionary<string, string>? tiedAliases = null)
    {
        var sd = module.state_dict();
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, t) in sd)
        {
            if (tiedAliases is not null && tiedAliases.TryGetValue(name, out var src) && sd.TryGetValue(src, out var s)
                && s.shape.SequenceEqual(t.shape) && s.dtype == t.dtype && s.allclose(t, 0, 0))
                continue;
            result[name] = t;
        }
        return result;
    }

    /// <summary>Writes the module's weights to a <c>model.safetensors</c> file (atomically), leaving out tied aliases.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? tiedAliases = null) =>
        Safetensors.Save(path, Export(module, tiedAliases));
}
