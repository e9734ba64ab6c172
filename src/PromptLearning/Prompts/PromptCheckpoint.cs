using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// Saves and loads a prompt alone, next to (not inside) its backbone: a folder with
/// <c>prompt.safetensors</c> (each task's collapsed prompt <c>{task}.prompt</c> [n, H] or
/// <c>{task}.prefix</c> [layers, 2, heads, n, head_dim], its head's weights <c>{task}.head.*</c>, and
/// <c>backbone.*</c> only for methods that train the backbone), <c>prompt.json</c> (method, config,
/// tasks, templates, and the fingerprints of the backbone and of the tokenizer's vocabulary) and
/// <c>prompt.manifest.json</c> (the SHA-256 of the other two). Loading onto a backbone or a
/// vocabulary with another fingerprint fails with a message that says so.
/// </summary>
/// <remarks>
/// The two files are saved as one unit. <see cref="Save"/> writes them as <c>prompt.json.new</c> and
/// <c>prompt.safetensors.new</c>, then the manifest (the commit point, written atomically), then
/// renames them into place. <see cref="Load"/> takes, for each file, the copy whose hash the manifest
/// lists, so a save killed at any moment leaves a folder that loads as the previous save (killed
/// before the manifest) or the new one (killed after); never a mix. Folders saved before the manifest
/// existed (and prompts without a vocabulary fingerprint) still load.
/// </remarks>
public static class PromptCheckpoint
{
    /// <summary>The tensors' file name.</summary>
    public const string TensorFile = "prompt.safetensors";
    /// <summary>The description's file name.</summary>
    public const string ConfigFile = "prompt.json";
    /// <summary>The manifest's file name: the hashes of <see cref="TensorFile"/> and <see cref="ConfigFile"/> of the current save.</summary>
    public const string ManifestFile = "prompt.manifest.json";
    /// <summary>The description's format.</summary>
    internal const string Format = "plearn-prompt/1";
    private const string ManifestFormat = "plearn-prompt-manifest/1";
    private const string Pending = ".new";

    /// <summary>Writes <paramref name="model"/>'s prompts into <paramref name="folder"/> (created if needed) as one unit (see the remarks).</summary>
    public static void Save(TaskModel model, string folder)
    {
        var tensors = model.PromptTensors();
        try
        {
            if (model.TrainsBackbone)
                using (no_grad())
                    foreach (var (name, t) in model.Backbone.Module.state_dict())
                        tensors["backbone." + name] = t.detach().clone();
            SaveUnit(folder, tensors, model.Config.Method, Describe(model));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> and <paramref name="description"/> into <paramref name="folder"/> (created if
    /// needed) as one unit (see the remarks); also used by <see cref="Seq2Seq.Seq2SeqPromptCheckpoint"/>.
    /// </summary>
    internal static void SaveUnit(string folder, Dictionary<string, Tensor> tensors, string method, JsonObject description)
    {
        Directory.CreateDirectory(folder);
        Settle(folder);
        Safetensors.Save(Path.Combine(folder, TensorFile + Pending), tensors, new Dictionary<string, string> { ["format"] = "pt", ["method"] = method });
        AtomicFile.WriteText(Path.Combine(folder, ConfigFile + Pending), description.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var manifest = new JsonObject
        {
            ["format"] = ManifestFormat,
            ["files"] = new JsonObject
            {
                [TensorFile] = Sha256(Path.Combine(folder, TensorFile + Pending)),
                [ConfigFile] = Sha256(Path.Combine(folder, ConfigFile + Pending)),
            },
        };
        AtomicFile.WriteText(Path.Combine(folder, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Settle(folder);
    }

    private static JsonObject Describe(TaskModel model)
    {
        var c = model.Backbone.Config;
        return new JsonObject
        {
            ["format"] = Format,
            ["method"] = model.Config.Method,
            ["config"] = JsonNode.Parse(model.Config.ToJson()),
            ["backbone"] = new JsonObject
            {
                ["model_type"] = c.ModelType,
                ["hidden_size"] = c.HiddenSize,
                ["num_hidden_layers"] = c.NumHiddenLayers,
                ["num_attention_heads"] = c.NumAttentionHeads,
                ["vocab_size"] = c.VocabSize,
                ["fingerprint"] = model.BackboneFingerprintValue,
                ["tokenizer"] = BackboneFingerprint.Vocabulary(model.Tokenizer),
            },
            ["trains_backbone"] = model.TrainsBackbone,
            ["trainable_parameters"] = model.TrainableParameterCount,
            ["tasks"] = new JsonArray(model.Tasks.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Task.Name,
                ["kind"] = t.Task.Kind.ToString(),
                ["labels"] = new JsonArray(t.Task.Labels.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
                ["verbalizer"] = t.Task.Verbalizer is null ? null : VerbalizerNode(t.Task.Verbalizer),
                ["template"] = t.Template.Text,
                ["head"] = t.Head.Kind.ToString(),
                ["prompt"] = t.Prompt switch { InputPrompt => "input", PrefixPrompt => "prefix", _ => null },
                ["length"] = t.Prompt?.Length ?? 0,
                ["prefix_dropout"] = t.PrefixDropout,
            }).ToArray()),
        };
    }

    /// <summary>
    /// Finishes or forgets an interrupted save: pending files the manifest lists are moved into
    /// place, other pending files and the temp files of killed writers are deleted.
    /// </summary>
    private static void Settle(string folder)
    {
        var manifest = ReadManifest(folder);
        foreach (var file in new[] { TensorFile, ConfigFile })
        {
            var path = Path.Combine(folder, file);
            var pending = path + Pending;
            if (File.Exists(pending))
            {
                if (manifest is not null && manifest[file] == Sha256(pending) && (!File.Exists(path) || Sha256(path) != manifest[file]))
                    File.Move(pending, path, overwrite: true);
                else File.Delete(pending);
            }
            AtomicFile.RemoveLeftovers(path);
            AtomicFile.RemoveLeftovers(pending);
        }
        AtomicFile.RemoveLeftovers(Path.Combine(folder, ManifestFile));
    }

    /// <summary>
    /// The copy of <paramref name="file"/> that belongs to the folder's current save: the file itself
    /// when there is no manifest (older saves) or its hash matches, else its pending copy when that
    /// matches (a save killed after its commit point).
    /// </summary>
    internal static string Current(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        var manifest = ReadManifest(folder);
        if (manifest is null) return path;
        if (!manifest.TryGetValue(file, out var hash))
            throw new InvalidDataException($"{Path.Combine(folder, ManifestFile)}: no hash for '{file}'");
        if (File.Exists(path) && Sha256(path) == hash) return path;
        if (File.Exists(path + Pending) && Sha256(path + Pending) == hash) return path + Pending;
        if (!File.Exists(path) && !File.Exists(path + Pending))
            throw new InvalidDataException($"{folder}: {file} is missing");
        throw new InvalidDataException($"{path}: its content does not match the hash in {ManifestFile} (the file was changed or damaged after it was saved; to load a file edited on purpose, delete {ManifestFile})");
    }

    private static Dictionary<string, string>? ReadManifest(string folder)
    {
        var path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) return null;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path, StrictUtf8)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
            if (root["format"] is not JsonValue f || !f.TryGetValue<string>(out var format) || format != ManifestFormat)
                throw new InvalidDataException($"{path}: 'format' is not '{ManifestFormat}'");
            if (root["files"] is not JsonObject files) throw new InvalidDataException($"{path}: no 'files' object");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in files)
                result[name] = value is JsonValue v && v.TryGetValue<string>(out var h) ? h : throw new InvalidDataException($"{path}: the hash of '{name}' is not a string");
            return result;
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Loads the prompt in <paramref name="folder"/> onto <paramref name="backbone"/>: the prompts
    /// come back as plain tables (inference form). For methods that trained the backbone, the saved
    /// weights go into the model's own copy of <paramref name="backbone"/> (disposed with the model);
    /// <paramref name="backbone"/> itself is never changed.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no saved prompt.</exception>
    /// <exception cref="InvalidDataException">Files missing or malformed (the message names the file and the field), or the backbone or the tokenizer is not the one the prompt was trained with.</exception>
    public static TaskModel Load(string folder, ILanguageModel backbone, TextTokenizer tokenizer)
    {
        var (root, path) = ReadJson(folder);
        return Named(path, () =>
        {
            var format = Str(root, "format", path);
            if (format == Seq2Seq.Seq2SeqPromptCheckpoint.Format)
                throw new InvalidDataException($"{path}: a prompt for an encoder-decoder ({format}); load it with Seq2SeqPromptCheckpoint.Load.");
            if (format != Format) throw new InvalidDataException($"{path}: format '{format}' is not '{Format}'");
            var method = PromptMethods.Normalize(Str(root, "method", path));
            var bb = Obj(root, "backbone", path);
            var expected = Str(bb, "fingerprint", path);
            var actual = BackboneFingerprint.Compute(backbone);
            if (expected != actual)
                throw new InvalidDataException(
                    $"{folder}: this {method} prompt was trained on a different backbone ({bb["model_type"]}, hidden {bb["hidden_size"]}, " +
                    $"{bb["num_hidden_layers"]} layers, fingerprint {expected}); the given backbone is {backbone.Config.ModelType}, hidden " +
                    $"{backbone.Config.HiddenSize}, {backbone.Config.NumHiddenLayers} layers, fingerprint {actual}. Load the backbone it was trained on.");
            if (bb["tokenizer"] is not null)
            {
                var vocab = Str(bb, "tokenizer", path);
                var given = BackboneFingerprint.Vocabulary(tokenizer);
                if (vocab != given)
                    throw new InvalidDataException(
                        $"{folder}: this {method} prompt was trained with another tokenizer (vocabulary fingerprint {vocab}); the given one " +
                        $"({tokenizer.VocabSize} tokens) has fingerprint {given}. Load the tokenizer saved with its backbone.");
            }
            var config = PromptMethodConfig.FromJson(JsonSerializer.Deserialize<JsonElement>(Obj(root, "config", path).ToJsonString()));
            if (config.Method != method) throw new InvalidDataException($"{path}: config is for '{config.Method}' but method says '{method}'");
            bool trainsBackbone = root["trains_backbone"] is null ? false : Value<bool>(root, "trains_backbone", path);
            var taskNodes = root["tasks"] as JsonArray ?? throw new InvalidDataException($"{path}: 'tasks' is missing or not an array");

            var tensorPath = Current(folder, TensorFile);
            var tensors = Safetensors.Load(tensorPath);
            var used = new HashSet<string>(StringComparer.Ordinal);
            var taskPrompts = new List<TaskAdapter>();
            var target = trainsBackbone ? LanguageModelCopy.Of(backbone) : backbone;
            try
            {
                for (int i = 0; i < taskNodes.Count; i++)
                    taskPrompts.Add(LoadTask(taskNodes[i] as JsonObject ?? throw new InvalidDataException($"{path}: tasks[{i}] is not an object"),
                        tensors, used, target, tokenizer, config, path, tensorPath));
                if (trainsBackbone) LoadBackbone(target, tensors, used, tensorPath);
                var unused = tensors.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
                if (unused.Count > 0)
                    throw new InvalidDataException($"{tensorPath}: tensor{(unused.Count > 1 ? "s" : "")} {string.Join(", ", unused.Take(5).Select(u => $"'{u}'"))}{(unused.Count > 5 ? $" and {unused.Count - 5} more" : "")} belong to no task of {path}");
                var model = new TaskModel(target, tokenizer, config, taskPrompts, trainsBackbone, expected);
                model.eval();
                return model;
            }
            catch
            {
                foreach (var t in taskPrompts) t.Dispose();
                if (trainsBackbone) target.Dispose();
                throw;
            }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
        });
    }

    private static TaskAdapter LoadTask(JsonObject node, Dictionary<string, Tensor> tensors, HashSet<string> used, ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config, string path, string tensorPath)
    {
        var name = Str(node, "name", path);
        var labels = node["labels"] is null ? [] : Strings(node, "labels", path);
        var task = new TaskDefinition
        {
            Name = name,
            Kind = EnumValue<TaskKind>(node, "kind", path),
            Labels = labels,
            Verbalizer = ReadVerbalizer(node, labels, path),
        };
        var template = PromptTemplate.Parse(Str(node, "template", path));
        var headKind = EnumValue<HeadKind>(node, "head", path);
        var c = backbone.Config;
        int length = node["length"] is null ? 0 : Value<int>(node, "length", path);
        SoftPrompt? prompt = (node["prompt"] is null ? null : Str(node, "prompt", path)) switch
        {
            "input" => new PromptTable(Shaped(tensors, used, $"{name}.prompt", [length, c.HiddenSize], tensorPath)),
            "prefix" => new PrefixTable(Shaped(tensors, used, $"{name}.prefix", [c.NumHiddenLayers, 2, c.NumAttentionHeads, length, c.HeadDim], tensorPath)),
            null => null,
            var other => throw new InvalidDataException($"{path}: task '{name}' has unknown prompt kind '{other}' (input, prefix or null)"),
        };
        var head = PromptHeads.Create(headKind, backbone, tokenizer, task, config.HeadDropout, config.Seed);
        using (no_grad())
            foreach (var (param, p) in head.named_parameters())
                p.copy_(Shaped(tensors, used, $"{name}.head.{param}", p.shape, tensorPath));
        double prefixDropout = node["prefix_dropout"] is null ? 0.0 : Value<double>(node, "prefix_dropout", path);
        if (!(prefixDropout >= 0 && prefixDropout < 1)) throw new InvalidDataException($"{path}: task '{name}': 'prefix_dropout' must be in [0, 1), found {prefixDropout}");
        return new TaskAdapter(task, template, prompt, head, prefixDropout);
    }

    private static void LoadBackbone(ILanguageModel backbone, Dictionary<string, Tensor> tensors, HashSet<string> used, string tensorPath)
    {
        using var _ = no_grad();
        foreach (var (name, t) in backbone.Module.state_dict())
            t.copy_(Shaped(tensors, used, "backbone." + name, t.shape, tensorPath));
    }

    /// <summary>The float tensor <paramref name="name"/>, which must have <paramref name="shape"/>; its name is added to <paramref name="used"/>.</summary>
    internal static Tensor Shaped(Dictionary<string, Tensor> tensors, HashSet<string> used, string name, long[] shape, string tensorPath)
    {
        used.Add(name);
        var t = tensors.TryGetValue(name, out var found) ? found : throw new InvalidDataException($"{tensorPath}: tensor '{name}' is missing");
        if (!t.shape.SequenceEqual(shape))
            throw new InvalidDataException($"{tensorPath}: tensor '{name}' is [{string.Join(", ", t.shape)}], the model needs [{string.Join(", ", shape)}]");
        if (!t.is_floating_point())
            throw new InvalidDataException($"{tensorPath}: tensor '{name}' is {t.dtype}, the model needs floating-point values");
        return t;
    }

    /// <summary>Runs <paramref name="read"/>, turning the exceptions a malformed description provokes into an <see cref="InvalidDataException"/> naming <paramref name="path"/>.</summary>
    internal static T Named<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    internal static (JsonObject Root, string Path) ReadJson(string folder)
    {
        var plain = Path.Combine(folder, ConfigFile);
        if (!File.Exists(plain) && !File.Exists(Path.Combine(folder, ManifestFile)))
            throw new FileNotFoundException($"{plain} not found: not a saved prompt folder", plain);
        var path = Current(folder, ConfigFile);
        try
        {
            return (JsonNode.Parse(File.ReadAllText(path, StrictUtf8)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"), path);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
    }

    internal static JsonObject Obj(JsonObject node, string key, string path)
        => node[key] as JsonObject ?? throw new InvalidDataException($"{path}: '{key}' is missing or not an object");

    internal static string Str(JsonObject node, string key, string path) => Value<string>(node, key, path);

    internal static T Value<T>(JsonObject node, string key, string path)
    {
        if (node[key] is not JsonValue v) throw new InvalidDataException($"{path}: '{key}' is missing or not a {typeof(T).Name}");
        return v.TryGetValue<T>(out var value) && value is not null ? value : throw new InvalidDataException($"{path}: '{key}' must be a {typeof(T).Name}, found {v.ToJsonString()}");
    }

    /// <summary>
    /// A verbalizer in a checkpoint: per label its word (a string) or words (an array); a reduction other than the mean
    /// makes it <c>{"words": [...], "reduction": "Sum"}</c>.
    /// </summary>
    internal static JsonNode VerbalizerNode(Verbalizer v)
    {
        var words = new JsonArray(v.Words.Select(ws => ws.Count == 1
            ? (JsonNode)JsonValue.Create(ws[0])!
            : new JsonArray(ws.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray())).ToArray());
        return v.Reduction == VerbalizerReduction.Mean ? words : new JsonObject { ["words"] = words, ["reduction"] = v.Reduction.ToString() };
    }

    /// <summary>Reads <see cref="VerbalizerNode"/>'s form under key <c>verbalizer</c>, or null without one.</summary>
    internal static Verbalizer? ReadVerbalizer(JsonObject node, IReadOnlyList<string> labels, string path)
    {
        var reduction = VerbalizerReduction.Mean;
        var value = node["verbalizer"];
        if (value is null) return null;
        if (value is JsonObject withReduction)
        {
            reduction = EnumValue<VerbalizerReduction>(withReduction, "reduction", path);
            value = withReduction["words"];
        }
        var entries = value as JsonArray ?? throw new InvalidDataException($"{path}: 'verbalizer' must be an array (a word or an array of words per label)");
        if (entries.Count != labels.Count) throw new InvalidDataException($"{path}: 'verbalizer' has {entries.Count} entries for {labels.Count} labels");
        var words = entries.Select((n, i) => n switch
        {
            JsonValue v when v.TryGetValue<string>(out var w) => (IReadOnlyList<string>)[w],
            JsonArray a => a.Select((x, j) => x is JsonValue xv && xv.TryGetValue<string>(out var w) ? w
                : throw new InvalidDataException($"{path}: 'verbalizer'[{i}][{j}] must be a string")).ToArray(),
            _ => throw new InvalidDataException($"{path}: 'verbalizer'[{i}] must be a string or an array of strings"),
        }).ToList();
        return new Verbalizer(labels.Select((l, i) => (l, words[i])), reduction);
    }

    internal static string[] Strings(JsonObject node, string key, string path)
        => (node[key] as JsonArray ?? throw new InvalidDataException($"{path}: '{key}' must be an array of strings"))
            .Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidDataException($"{path}: '{key}'[{i}] must be a string"))
            .ToArray();

    internal static T EnumValue<T>(JsonObject node, string key, string path) where T : struct, Enum
    {
        var s = Str(node, key, path);
        return Enum.GetNames<T>().Contains(s)
            ? Enum.Parse<T>(s)
            : throw new InvalidDataException($"{path}: '{key}' is '{s}', not one of {string.Join(", ", Enum.GetNames<T>())}");
    }
}
