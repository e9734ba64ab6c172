using System.Text.Json;
using System.Text.Json.Serialization;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Prompts.PTuningV2;

namespace PromptLearning.Prompts.Seq2Seq;

/// <summary>
/// The attention sets of an encoder-decoder that can carry a key/value prefix (Li &amp; Liang's BART setting uses
/// all three; switching sets off is the ablation of where the prefix sits).
/// </summary>
[Flags]
[JsonConverter(typeof(JsonStringEnumConverter<PrefixSets>))]
public enum PrefixSets
{
    /// <summary>No prefix (prompt tuning).</summary>
    None = 0,
    /// <summary>In front of the encoder self-attention's keys/values.</summary>
    Encoder = 1,
    /// <summary>In front of the decoder self-attention's keys/values.</summary>
    Decoder = 2,
    /// <summary>In front of the cross-attention's keys/values (computed from the encoder output).</summary>
    CrossAttention = 4,
    /// <summary>All three (prefix tuning's default).</summary>
    All = Encoder | Decoder | CrossAttention,
}

/// <summary>
/// A prompt method on a frozen encoder-decoder for text-to-text tasks. <see cref="Method"/> is the method's own
/// config, reused as it is: <see cref="PromptTuningConfig"/> (Lester et al.: soft tokens in front of the encoder input,
/// <see cref="PromptTuningConfig.Init"/> as there), <see cref="PrefixTuningConfig"/> (Li &amp; Liang: a prefix in the
/// encoder, decoder and cross-attention, each through its own MLP when <see cref="PrefixTuningConfig.Reparameterize"/>)
/// or <see cref="PTuningV2Config"/> (Liu et al.: deep prompts in the encoder self-attention, no MLP by default), and
/// the baseline <see cref="FineTuningConfig"/> (no prompt; every weight of a copy of the backbone is trained). Its
/// <see cref="PromptMethodConfig.MaxLength"/> bounds the encoder input (soft tokens included) and its training
/// settings go to <see cref="PromptTraining.TrainerConfigFor"/>; <see cref="PromptMethodConfig.Template"/> and
/// <see cref="PromptMethodConfig.Head"/> must stay null (the output is the decoder's text).
/// </summary>
public sealed record Seq2SeqPromptConfig
{
    /// <summary>The method and its settings.</summary>
    public required PromptMethodConfig Method { get; init; }
    /// <summary>Where the prefixes sit; null = the method's default (<see cref="PrefixSets.All"/> for prefix tuning, <see cref="PrefixSets.Encoder"/> for P-tuning v2).</summary>
    public PrefixSets? Prefixes { get; init; }
    /// <summary>Longest label sequence in tokens, the tokenizer's frame included (BART: <c>&lt;s&gt;</c> and <c>&lt;/s&gt;</c>; T5: <c>&lt;/s&gt;</c>); longer targets are cut.</summary>
    public int MaxTargetLength { get; init; } = 64;

    /// <summary>The prefix sets in use: <see cref="Prefixes"/> or the method's default.</summary>
    [JsonIgnore]
    public PrefixSets PrefixSetsInUse => Prefixes ?? Method switch
    {
        PrefixTuningConfig => PrefixSets.All,
        PTuningV2Config => PrefixSets.Encoder,
        _ => PrefixSets.None,
    };

    /// <summary>Checks the settings against each other; throws naming the field.</summary>
    public Seq2SeqPromptConfig Validated()
    {
        string name = Method.Method;
        if (Method is not (PromptTuningConfig or PrefixTuningConfig or PTuningV2Config or FineTuningConfig))
            throw new ArgumentException($"Seq2SeqPromptConfig.Method: '{name}' has no encoder-decoder form here (supported: {PromptMethods.PromptTuning}, {PromptMethods.PrefixTuning}, {PromptMethods.PTuningV2}, {PromptMethods.FineTuning}).");
        if (Method.Template is not null || Method.Head is not null)
            throw new ArgumentException($"Seq2SeqPromptConfig.Method ({name}): Template and Head must be null; a text-to-text task's output is the decoder's text.");
        if (Method is PrefixTuningConfig { InitText: not null })
            throw new ArgumentException($"Seq2SeqPromptConfig.Method ({name}): PrefixTuningConfig.InitText (real-word prefixes) is not supported on encoder-decoders.");
        if (Method is PromptTuningConfig or FineTuningConfig && PrefixSetsInUse != PrefixSets.None)
            throw new ArgumentException($"Seq2SeqPromptConfig.Prefixes is {Prefixes}, but {name} puts no prefix anywhere; leave it null.");
        if (Method is not (PromptTuningConfig or FineTuningConfig) && PrefixSetsInUse == PrefixSets.None)
            throw new ArgumentException($"Seq2SeqPromptConfig.Prefixes: {name} needs at least one prefix set.");
        if ((PrefixSetsInUse & ~PrefixSets.All) != 0)
            throw new ArgumentException($"Seq2SeqPromptConfig.Prefixes: {Prefixes} is not a combination of Encoder, Decoder and CrossAttention.");
        if (MaxTargetLength < 3) throw new ArgumentException($"Seq2SeqPromptConfig.MaxTargetLength must be >= 3 (a token and the tokenizer's frame), got {MaxTargetLength}.");
        return this;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The config as JSON (the method's config under <c>Method</c>, with its <c>method</c> name).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a config written by <see cref="ToJson"/>.</summary>
    public static Seq2SeqPromptConfig FromJson(string json) =>
        (JsonSerializer.Deserialize<Seq2SeqPromptConfig>(json, Json) ?? throw new InvalidDataException("Seq2SeqPromptConfig JSON is null")).Validated();
}
