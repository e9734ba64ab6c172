using System.Text.Json.Nodes;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using static TorchSharp.torch;
using P = PromptLearning.Prompts.PromptCheckpoint;

namespace PromptLearning.Prompts.Seq2Seq;

/// <summary>
/// Saves and loads a <see cref="Seq2SeqTaskModel"/>'s prompts alone, next to their backbone, in
/// <see cref="PromptCheckpoint"/>'s folder layout and as one unit (<c>prompt.safetensors</c>, <c>prompt.json</c>,
/// <c>prompt.manifest.json</c>): per task <c>{task}.prompt</c> [n, d_model] and the collapsed prefixes
/// <c>{task}.encoder_prefix</c>, <c>{task}.decoder_prefix</c>, <c>{task}.cross_attention_prefix</c> [layers, 2, heads, n,
/// head_dim]; the description holds the config, the tasks and the fingerprints of the backbone and the tokenizer's
/// vocabulary, and its format (<c>plearn-seq2seq-prompt/1</c>) keeps the two kinds of saved prompts apart.
/// </summary>
public static class Seq2SeqPromptCheckpoint
{
    /// <summary>The description's format.</summary>
    internal const string Format = "plearn-seq2seq-prompt/1";

    /// <summary>The prefix sets with their tensor and JSON names.</summary>
    internal static readonly (PrefixSets Set, string Key)[] PrefixKeys =
        [(PrefixSets.Encoder, "encoder_prefix"), (PrefixSets.Decoder, "decoder_prefix"), (PrefixSets.CrossAttention, "cross_attention_prefix")];

    /// <summary>Writes <paramref name="model"/>'s prompts, collapsed to plain tables, into <paramref name="folder"/> (created if needed).</summary>
    public static void Save(Seq2SeqTaskModel model, string folder)
    {
        if (model.TrainsBackbone)
            throw new ArgumentException($"a fine-tuned model ({model.Config.Method.Method}) has no prompts to save: what it trained is the whole backbone (Seq2SeqTaskModel.Backbone)", nameof(model));
        var tensors = model.PromptTensors();
        try
        {
            P.SaveUnit(folder, tensors, model.Config.Method.Method, Describe(model));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    private static JsonObject Describe(Seq2SeqTaskModel model)
    {
        var d = model.Backbone.Dimensions;
        return new JsonObject
        {
            ["format"] = Format,
            ["method"] = model.Config.Method.Method,
            ["config"] = JsonNode.Parse(model.Config.ToJson()),
            ["backbone"] = new JsonObject
            {
                ["model_type"] = model.Backbone.ModelType,
                ["hidden_size"] = d.HiddenSize,
                ["encoder_layers"] = d.Encoder.Layers,
                ["decoder_layers"] = d.Decoder.Layers,
                ["fingerprint"] = model.BackboneFingerprintValue,
                ["tokenizer"] = BackboneFingerprint.Vocabulary(model.Tokenizer),
            },
            ["trainable_parameters"] = model.TrainableParameterCount,
            ["tasks"] = new JsonArray(model.Tasks.Select(t =>
            {
                var node = new JsonObject
                {
                    ["name"] = t.Task.Name,
                    ["kind"] = t.Task.Kind.ToString(),
                    ["labels"] = new JsonArray(t.Task.Labels.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
                    ["verbalizer"] = t.Task.Verbalizer is null ? null : P.VerbalizerNode(t.Task.Verbalizer),
                    ["prompt_length"] = t.InputLength,
                    ["prefix_dropout"] = t.PrefixDropout,
                };
                foreach (var (set, key) in PrefixKeys) node[$"{key}_length"] = t.Prefix(set)?.Length ?? 0;
                return (JsonNode)node;
            }).ToArray()),
        };
    }

    /// <summary>
    /// Loads the prompts in <paramref name="folder"/> onto <paramref name="backbone"/> as plain tables (inference form,
    /// eval mode). The backbone is frozen, never changed otherwise.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no saved prompt.</exception>
    /// <exception cref="InvalidDataException">
    /// A file is missing or malformed (the message names the file and the field), the folder holds a prompt for a
    /// single-stack backbone, or the backbone or the tokenizer is not the one the prompt was trained with (the message
    /// names <c>prompt.json</c> and both fingerprints).
    /// </exception>
    public static Seq2SeqTaskModel Load(string folder, ISeq2SeqModel backbone, TextTokenizer tokenizer)
    {
        var (root, path) = P.ReadJson(folder);
        return P.Named(path, () =>
        {
            var format = P.Str(root, "format", path);
            if (format == P.Format)
                throw new InvalidDataException($"{path}: a prompt for an encoder-only or decoder-only backbone ({format}); load it with PromptCheckpoint.Load.");
            if (format != Format) throw new InvalidDataException($"{path}: format '{format}' is not '{Format}'");
            var method = P.Str(root, "method", path);
            var bb = P.Obj(root, "backbone", path);
            var expected = P.Str(bb, "fingerprint", path);
            var actual = BackboneFingerprint.Compute(backbone);
            var d = backbone.Dimensions;
            if (expected != actual)
                throw new InvalidDataException(
                    $"{path}: this {method} prompt was trained on a different backbone ({bb["model_type"]}, d_model {bb["hidden_size"]}, " +
                    $"{bb["encoder_layers"]}+{bb["decoder_layers"]} layers, fingerprint {expected}); the given backbone is {backbone.ModelType}, " +
                    $"d_model {d.HiddenSize}, {d.Encoder.Layers}+{d.Decoder.Layers} layers, fingerprint {actual}. Load the backbone it was trained on.");
            var vocab = P.Str(bb, "tokenizer", path);
            var given = BackboneFingerprint.Vocabulary(tokenizer);
            if (vocab != given)
                throw new InvalidDataException(
                    $"{path}: this {method} prompt was trained with another tokenizer (vocabulary fingerprint {vocab}); the given one " +
                    $"({tokenizer.VocabSize} tokens) has fingerprint {given}. Load the tokenizer saved with its backbone.");
            var config = Seq2SeqPromptConfig.FromJson(P.Obj(root, "config", path).ToJsonString());
            if (config.Method.Method != method) throw new InvalidDataException($"{path}: config is for '{config.Method.Method}' but method says '{method}'");
            var taskNodes = root["tasks"] as JsonArray ?? throw new InvalidDataException($"{path}: 'tasks' is missing or not an array");

            var tensorPath = P.Current(folder, P.TensorFile);
            var tensors = Safetensors.Load(tensorPath);
            var used = new HashSet<string>(StringComparer.Ordinal);
            var prompts = new List<Seq2SeqTaskAdapter>();
            try
            {
                for (int i = 0; i < taskNodes.Count; i++)
                    prompts.Add(LoadTask(taskNodes[i] as JsonObject ?? throw new InvalidDataException($"{path}: tasks[{i}] is not an object"),
                        tensors, used, d, path, tensorPath));
                var unused = tensors.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
                if (unused.Count > 0)
                    throw new InvalidDataException($"{tensorPath}: tensor{(unused.Count > 1 ? "s" : "")} {string.Join(", ", unused.Select(u => $"'{u}'"))} belong to no task of {path}");
                var model = new Seq2SeqTaskModel(backbone, tokenizer, config, prompts, expected, ownsTasks: true);
                model.eval();
                return model;
            }
            catch
            {
                foreach (var t in prompts) t.Dispose();
                throw;
            }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
        });
    }

    private static Seq2SeqTaskAdapter LoadTask(JsonObject node, Dictionary<string, Tensor> tensors, HashSet<string> used, Seq2SeqDimensions d, string path, string tensorPath)
    {
        var name = P.Str(node, "name", path);
        var labels = node["labels"] is null ? [] : P.Strings(node, "labels", path);
        var task = new TaskDefinition
        {
            Name = name,
            Kind = P.EnumValue<TaskKind>(node, "kind", path),
            Labels = labels,
            Verbalizer = P.ReadVerbalizer(node, labels, path),
        };
        int Length(string key)
        {
            int n = P.Value<int>(node, key, path);
            return n >= 0 ? n : throw new InvalidDataException($"{path}: task '{name}': '{key}' must be >= 0, found {n}");
        }
        int promptLength = Length("prompt_length");
        var prompt = promptLength == 0 ? null : new PromptTable(P.Shaped(tensors, used, $"{name}.prompt", [promptLength, d.HiddenSize], tensorPath));
        PrefixTable? Prefix(PrefixSets set, string key)
        {
            int n = Length($"{key}_length");
            var layout = set == PrefixSets.Encoder ? d.Encoder : d.Decoder;
            return n == 0 ? null : new PrefixTable(P.Shaped(tensors, used, $"{name}.{key}", [layout.Layers, 2, layout.Heads, n, layout.HeadDim], tensorPath));
        }
        var prefixes = PrefixKeys.Select(k => Prefix(k.Set, k.Key)).ToArray();
        return new Seq2SeqTaskAdapter(task, prompt, prefixes[0], prefixes[1], prefixes[2], P.Value<double>(node, "prefix_dropout", path));
    }
}
