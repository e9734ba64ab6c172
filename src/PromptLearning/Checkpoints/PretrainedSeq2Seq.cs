using System.Text.Json;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Checkpoints;

/// <summary>A loaded encoder-decoder checkpoint: the model with its weights (in eval mode), its tokenizer, the folder it came from and the load report.</summary>
public sealed record PretrainedSeq2SeqModel(ISeq2SeqModel Model, TextTokenizer Tokenizer, string Folder, StateDictLoadReport LoadReport) : IDisposable
{
    /// <summary>Frees the model's weights.</summary>
    public void Dispose() => Model.Dispose();
}

public static partial class Pretrained
{
    /// <summary>The <c>model_type</c>s <see cref="LoadSeq2Seq"/> loads.</summary>
    public static IReadOnlyList<string> Seq2SeqModelTypes { get; } = ["bart", "t5"];

    /// <summary>
    /// Loads an encoder-decoder checkpoint (<c>model_type</c> <c>bart</c>: <see cref="BartForConditionalGeneration"/>;
    /// <c>t5</c>: <see cref="T5ForConditionalGeneration"/>) with
    /// its tokenizer, from a folder or a hub id as <see cref="Load(string, PretrainedLoadOptions?)"/>. A sibling of
    /// <see cref="Load(string, PretrainedLoadOptions?)"/> because <see cref="ILanguageModel"/>'s single-stack forward
    /// contract does not fit an encoder-decoder; the model implements <see cref="ISeq2SeqModel"/> instead. BART's tied
    /// weights (the encoder's and decoder's <c>embed_tokens</c> and <c>lm_head</c>, all <c>model.shared.weight</c>)
    /// are filled from their source whether the file stores them or not; a checkpoint of the bare <c>BartModel</c>
    /// (names without <c>model.</c>) loads too, its absent <c>final_logits_bias</c> left at zero and reported as newly
    /// initialised. T5's tied aliases are <c>encoder.embed_tokens</c>, <c>decoder.embed_tokens</c> and (when tied)
    /// <c>lm_head</c>, all <c>shared.weight</c>; the cross-attention position bias that old T5 checkpoints hold (and
    /// <c>transformers</c> ignores) is ignored. Missing, unexpected and mis-shaped tensors are reported as by <see cref="StateDictLoader"/>.
    /// Of <paramref name="options"/>, <see cref="PretrainedLoadOptions.Hub"/>, <see cref="PretrainedLoadOptions.Dtype"/> and <see cref="PretrainedLoadOptions.Device"/> apply.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, the <c>model_type</c> is not an encoder-decoder supported here, or the weights do not fit the config (all names listed).</exception>
    /// <exception cref="FileNotFoundException">A needed file is absent (named).</exception>
    /// <exception cref="ArgumentException"><see cref="PretrainedLoadOptions.BackboneOnly"/> or <see cref="PretrainedLoadOptions.LoadClassifier"/> is set, the dtype is not F32, F16 or BF16, or the device is not available.</exception>
    public static PretrainedSeq2SeqModel LoadSeq2Seq(string nameOrFolder, PretrainedLoadOptions? options = null)
    {
        options ??= new PretrainedLoadOptions();
        if (options.BackboneOnly || options.LoadClassifier)
            throw new ArgumentException("Pretrained.LoadSeq2Seq: PretrainedLoadOptions.BackboneOnly and LoadClassifier apply to Pretrained.Load only.", nameof(options));
        if (options.Dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"PretrainedLoadOptions.Dtype must be Float32, Float16 or BFloat16, not {options.Dtype}.", nameof(options));
        var device = Devices.Check(options.Device ?? CPU, "PretrainedLoadOptions.Device");
        var folder = Resolve(nameOrFolder, options.Hub);
        var configPath = Path.Combine(folder, "config.json");
        var modelType = PeekModelType(configPath);
        var (model, loadOptions) = modelType switch
        {
            "bart" => CreateBart(BartConfig.Read(configPath)),
            "t5" => CreateT5(T5Config.Read(configPath)),
            _ => throw new InvalidDataException($"Config file '{configPath}': model_type '{modelType}' is not an encoder-decoder loaded here (supported: {string.Join(", ", Seq2SeqModelTypes)}); use Pretrained.Load for bert, roberta and gpt2."),
        };
        try
        {
            var tokenizer = TokenizerFactory.FromFolder(folder, modelType);
            using var tensors = CheckpointTensors.Open(folder);
            var report = StateDictLoader.Load(model.Module, tensors.Names, tensors.ShapeOf, tensors.Read, tensors.Source, loadOptions);
            if (report.Describe(model.Module.GetName(), folder) is { Length: > 0 } warning) Console.Error.WriteLine(warning);
            if (options.Dtype != ScalarType.Float32) model.Module.to(options.Dtype);
            if (device.type != DeviceType.CPU) model.Module.to(device);
            model.Module.eval();
            return new PretrainedSeq2SeqModel(model, tokenizer, folder, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    static (ISeq2SeqModel, StateDictLoadOptions) CreateBart(BartConfig config)
    {
        var model = new BartForConditionalGeneration(config);
        return (model, new StateDictLoadOptions
        {
            TiedAliases = model.TiedWeights, BaseModelPrefix = "model.", AllowMissing = [@"^final_logits_bias$"],
        });
    }

    static (ISeq2SeqModel, StateDictLoadOptions) CreateT5(T5Config config)
    {
        var model = new T5ForConditionalGeneration(config);
        return (model, new StateDictLoadOptions
        {
            TiedAliases = model.TiedWeights,
            IgnoreUnexpected = [@"^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$"],
        });
    }

    /// <summary>Sends an encoder-decoder's config to <see cref="LoadSeq2Seq"/> with a clear error (malformed files are left to <see cref="ConfigFile"/>).</summary>
    static void RefuseSeq2Seq(string configPath)
    {
        string? modelType;
        try
        {
            modelType = PeekModelType(configPath);
        }
        catch (InvalidDataException)
        {
            return;
        }
        if (modelType is not null && Seq2SeqModelTypes.Contains(modelType))
            throw new InvalidDataException($"Config file '{configPath}': model_type '{modelType}' is an encoder-decoder; load it with Pretrained.LoadSeq2Seq.");
    }

    /// <summary>The <c>model_type</c> of a <c>config.json</c>, or null when it has none.</summary>
    internal static string? PeekModelType(string configPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString() : null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Config file '{configPath}': malformed JSON: {ex.Message}", ex);
        }
    }
}
