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
/// <c>backbone.*</c> only for methods that train the backbone) and <c>prompt.json</c> (method, config,
/// tasks, templates, and the backbone's fingerprint). Loading onto a backbone with another
/// fingerprint fails with a message that says so.
/// </summary>
public static class PromptCheckpoint
{
    public const string TensorFile = "prompt.safetensors";
    public const string ConfigFile = "prompt.json";
    private const string Format = "plearn-prompt/1";

    /// <summary>Writes <paramref name="model"/>'s prompts into <paramref name="folder"/> (created if needed; files written atomically).</summary>
    public static void Save(PromptModel model, string folder)
    {
        Directory.CreateDirectory(folder);
        var tensors = model.PromptTensors();
        if (model.TrainsBackbone)
            using (no_grad())
                foreach (var (name, t) in model.Backbone.Module.state_dict())
                    tensors["backbone." + name] = t.detach().clone();
        try
        {
            Safetensors.Save(Path.Combine(folder, TensorFile), tensors, new Dictionary<string, string> { ["format"] = "pt", ["method"] = model.Config.Method });
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }

        var c = model.Backbone.Config;
        var json = new JsonObject
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
            },
            ["trains_backbone"] = model.TrainsBackbone,
            ["trainable_parameters"] = model.TrainableParameterCount,
            ["tasks"] = new JsonArray(model.Tasks.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Task.Name,
                ["kind"] = t.Task.Kind.ToString(),
                ["labels"] = new JsonArray(t.Task.Labels.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
                ["verbalizer"] = t.Task.Verbalizer is null ? null : new JsonArray(t.Task.Verbalizer.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
                ["template"] = t.Template.Text,
                ["head"] = t.Head.Kind.ToString(),
                ["prompt"] = t.Prompt switch { InputPrompt => "input", PrefixPrompt => "prefix", _ => null },
                ["length"] = t.Prompt?.Length ?? 0,
                ["prefix_dropout"] = t.PrefixDropout,
            }).ToArray()),
        };
        AtomicFile.WriteText(Path.Combine(folder, ConfigFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads the method name and backbone fingerprint recorded in <paramref name="folder"/> without loading tensors.</summary>
    public static (string Method, string Fingerprint) Peek(string folder)
    {
        var root = ReadJson(folder);
        return (Str(root, "method", folder), Str(root["backbone"]!, "fingerprint", folder));
    }

    /// <summary>
    /// Loads the prompt in <paramref name="folder"/> onto <paramref name="backbone"/>: the prompts
    /// come back as plain tables (inference form). For methods that trained the backbone its weights
    /// are copied into <paramref name="backbone"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Files missing or malformed, or the backbone is not the one the prompt was trained on.</exception>
    public static PromptModel Load(string folder, ILanguageModel backbone, TextTokenizer tokenizer)
    {
        var root = ReadJson(folder);
        var format = root["format"]?.GetValue<string>();
        if (format != Format) throw new InvalidDataException($"{Path.Combine(folder, ConfigFile)}: format '{format}' is not '{Format}'");
        var method = Str(root, "method", folder);
        var bb = root["backbone"] ?? throw new InvalidDataException($"{Path.Combine(folder, ConfigFile)}: no 'backbone' section");
        var expected = Str(bb, "fingerprint", folder);
        var actual = BackboneFingerprint.Compute(backbone);
        if (expected != actual)
            throw new InvalidDataException(
                $"{folder}: this {method} prompt was trained on a different backbone ({bb["model_type"]}, hidden {bb["hidden_size"]}, " +
                $"{bb["num_hidden_layers"]} layers, fingerprint {expected}); the given backbone is {backbone.Config.ModelType}, hidden " +
                $"{backbone.Config.HiddenSize}, {backbone.Config.NumHiddenLayers} layers, fingerprint {actual}. Load the backbone it was trained on.");
        var config = PromptMethodConfig.FromJson(JsonSerializer.Deserialize<JsonElement>(root["config"]!.ToJsonString()));
        if (config.Method != method) throw new InvalidDataException($"{folder}: config is for '{config.Method}' but method says '{method}'");
        bool trainsBackbone = root["trains_backbone"]?.GetValue<bool>() ?? false;

        var tensorPath = Path.Combine(folder, TensorFile);
        if (!File.Exists(tensorPath)) throw new InvalidDataException($"{folder}: {TensorFile} is missing");
        var tensors = Safetensors.Load(tensorPath);
        try
        {
            var taskPrompts = new List<TaskPrompt>();
            foreach (var node in root["tasks"]?.AsArray() ?? throw new InvalidDataException($"{folder}: no 'tasks'"))
                taskPrompts.Add(LoadTask(node!, tensors, backbone, tokenizer, config, folder));
            if (trainsBackbone) LoadBackbone(backbone, tensors, folder);
            var model = new PromptModel(backbone, tokenizer, config, taskPrompts, trainsBackbone, expected);
            model.eval();
            return model;
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    private static TaskPrompt LoadTask(JsonNode node, Dictionary<string, Tensor> tensors, ILanguageModel backbone, TextTokenizer tokenizer, PromptMethodConfig config, string folder)
    {
        var task = new PromptTask
        {
            Name = Str(node, "name", folder),
            Kind = Enum.Parse<TaskKind>(Str(node, "kind", folder)),
            Labels = node["labels"]?.AsArray().Select(l => l!.GetValue<string>()).ToArray() ?? [],
            Verbalizer = node["verbalizer"]?.AsArray().Select(l => l!.GetValue<string>()).ToArray(),
        };
        var template = PromptTemplate.Parse(Str(node, "template", folder));
        var headKind = Enum.Parse<HeadKind>(Str(node, "head", folder));
        SoftPrompt? prompt = node["prompt"]?.GetValue<string>() switch
        {
            "input" => new PromptTable(Need(tensors, $"{task.Name}.prompt", folder)),
            "prefix" => new PrefixTable(Need(tensors, $"{task.Name}.prefix", folder)),
            null => null,
            var other => throw new InvalidDataException($"{folder}: task '{task.Name}' has unknown prompt kind '{other}'"),
        };
        var head = PromptHeads.Create(headKind, backbone.Config, tokenizer, task, config.HeadDropout);
        using (no_grad())
            foreach (var (name, p) in head.named_parameters())
            {
                var src = Need(tensors, $"{task.Name}.head.{name}", folder);
                if (!src.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{folder}: tensor '{task.Name}.head.{name}' is [{string.Join(", ", src.shape)}], the head needs [{string.Join(", ", p.shape)}]");
                p.copy_(src);
            }
        return new TaskPrompt(task, template, prompt, head, node["prefix_dropout"]?.GetValue<double>() ?? 0.0);
    }

    private static void LoadBackbone(ILanguageModel backbone, Dictionary<string, Tensor> tensors, string folder)
    {
        using var _ = no_grad();
        foreach (var (name, t) in backbone.Module.state_dict())
        {
            var src = Need(tensors, "backbone." + name, folder);
            if (!src.shape.SequenceEqual(t.shape)) throw new InvalidDataException($"{folder}: tensor 'backbone.{name}' has shape [{string.Join(", ", src.shape)}], the backbone has [{string.Join(", ", t.shape)}]");
            t.copy_(src);
        }
    }

    private static Tensor Need(Dictionary<string, Tensor> tensors, string name, string folder)
        => tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{Path.Combine(folder, TensorFile)}: tensor '{name}' is missing");

    private static JsonNode ReadJson(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: not a saved prompt folder", path);
        try { return JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty JSON"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON: {e.Message}"); }
    }

    private static string Str(JsonNode node, string key, string folder)
        => node[key]?.GetValue<string>() ?? throw new InvalidDataException($"{Path.Combine(folder, ConfigFile)}: missing '{key}'");
}
