using System.Text.Json;
using System.Text.Json.Serialization;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;

namespace PromptLearning.Prompts;

/// <summary>
/// What every method's config shares: the template and head (null = the method's default for the
/// task and backbone), the longest sequence, and the paper's training hyperparameters (read by the CLI
/// and notebooks when building a trainer). Serialised with its <c>method</c> name as discriminator.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "method")]
[JsonDerivedType(typeof(PromptTuningConfig), PromptMethods.PromptTuning)]
[JsonDerivedType(typeof(PTuningConfig), PromptMethods.PTuning)]
[JsonDerivedType(typeof(PrefixTuningConfig), PromptMethods.PrefixTuning)]
[JsonDerivedType(typeof(PTuningV2Config), PromptMethods.PTuningV2)]
[JsonDerivedType(typeof(FineTuningConfig), PromptMethods.FineTuning)]
[JsonDerivedType(typeof(HeadOnlyConfig), PromptMethods.HeadOnly)]
[JsonDerivedType(typeof(ZeroShotClozeConfig), PromptMethods.ZeroShot)]
public abstract record PromptMethodConfig
{
    /// <summary>The method's CLI name (<see cref="PromptMethods"/>).</summary>
    [JsonIgnore] public abstract string Method { get; }
    /// <summary>Template with <c>[P]</c> slots, <c>{x}</c> and <c>[MASK]</c>; null = the method's default.</summary>
    public string? Template { get; init; }
    /// <summary>Head; null = the method's default for the task and backbone.</summary>
    public HeadKind? Head { get; init; }
    /// <summary>Longest input sequence in tokens (prompt and special tokens included).</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>Dropout before a classification/token head.</summary>
    public double HeadDropout { get; init; } = 0.1;
    /// <summary>Paper's optimizer: <c>adamw</c> or <c>adafactor</c>.</summary>
    public string Optimizer { get; init; } = "adamw";
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.0;
    public int BatchSize { get; init; } = 16;
    public double WarmupRatio { get; init; } = 0.06;
    /// <summary>Learning-rate schedule after the warm-up: linear decay to 0 (default) or constant.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Training.ScheduleKind>))]
    public Training.ScheduleKind Schedule { get; init; } = Training.ScheduleKind.LinearWarmupDecay;
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Random seed for the prompt's initialisation (and the run).</summary>
    public int Seed { get; init; } = 42;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The config as JSON, with its <c>method</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a config written by <see cref="ToJson"/>.</summary>
    public static PromptMethodConfig FromJson(JsonElement e)
    {
        // Configs saved with the earlier spelling "zeroshot" still load.
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String
            && m.GetString() is { } name && PromptMethods.Normalize(name) != name)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(e.GetRawText())!.AsObject();
            node["method"] = PromptMethods.Normalize(name);
            e = JsonSerializer.Deserialize<JsonElement>(node.ToJsonString());
        }
        return e.Deserialize<PromptMethodConfig>(Json) ?? throw new InvalidDataException("prompt config JSON is null");
    }

    /// <summary>The default config of a method by CLI name.</summary>
    public static PromptMethodConfig Default(string method) => PromptMethods.Normalize(method) switch
    {
        PromptMethods.PromptTuning => new PromptTuningConfig(),
        PromptMethods.PTuning => new PTuningConfig(),
        PromptMethods.PrefixTuning => new PrefixTuningConfig(),
        PromptMethods.PTuningV2 => new PTuningV2Config(),
        PromptMethods.FineTuning => new FineTuningConfig(),
        PromptMethods.HeadOnly => new HeadOnlyConfig(),
        PromptMethods.ZeroShot => new ZeroShotClozeConfig(),
        _ => throw new ArgumentException($"unknown method '{method}' (known: {string.Join(", ", PromptMethods.All)})"),
    };
}

/// <summary>The methods' names as the CLI and saved prompts spell them.</summary>
public static class PromptMethods
{
    public const string PromptTuning = "prompt";
    public const string PTuning = "ptuning";
    public const string PrefixTuning = "prefix";
    public const string PTuningV2 = "ptuning2";
    public const string FineTuning = "finetune";
    public const string HeadOnly = "head";
    /// <summary>Zero-shot cloze, spelled as everywhere else in the library (<see cref="Pet.FewShotMethods.ZeroShot"/> too).</summary>
    public const string ZeroShot = "zero-shot";

    public static readonly IReadOnlyList<string> All = [PromptTuning, PTuning, PrefixTuning, PTuningV2, FineTuning, HeadOnly, ZeroShot];

    /// <summary>The name <paramref name="method"/> stands for: <c>zeroshot</c> (the earlier spelling, still accepted) is <see cref="ZeroShot"/>; other names are returned as given.</summary>
    public static string Normalize(string method) => method == "zeroshot" ? ZeroShot : method;

    /// <summary>
    /// The method's name as a reader knows it, for tables, charts and verdicts (e.g. <c>ptuning</c> is
    /// "P-tuning v1", <c>prefix</c> "prefix tuning"); a name the library does not know is returned as given.
    /// </summary>
    public static string DisplayName(string method) => Normalize(method) switch
    {
        PromptTuning => "prompt tuning",
        PTuning => "P-tuning v1",
        PrefixTuning => "prefix tuning",
        PTuningV2 => "P-tuning v2",
        FineTuning => "full fine-tuning",
        HeadOnly => "head only",
        ZeroShot => "zero-shot cloze",
        _ => method,
    };
}
