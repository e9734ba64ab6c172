using PromptLearning.Models;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Checkpoints;

/// <summary>A loaded encoder-decoder checkpoint: the model with its weights (in eval mode), its tokenizer, the folder and the load report.</summary>
public sealed record PretrainedSeq2SeqModel(ISeq2SeqModel Model, TextTokenizer Tokenizer, string Folder, StateDictLoadReport LoadReport) : IDisposable
{
    /// <summary>Frees the model's weights.</summary>
    public void Dispose() => Model.Dispose();
}

public static partial class Pretrained
{
    /// <summary>
    /// Loads an encoder-decoder checkpoint (<c>model_type</c> <c>t5</c>) by folder or hub id, like
    /// <see cref="Load(string, PretrainedLoadOptions?)"/>: config, tokenizer, and the weights from safetensors
    /// or <c>pytorch_model.bin</c>, with missing, unexpected and mismatched tensors reported by name. A
    /// sibling of <see cref="Load(string, PretrainedLoadOptions?)"/> because an encoder-decoder does not fit
    /// <see cref="ILanguageModel"/> (one stack, one <see cref="TransformerConfig"/>, <see cref="ForwardArgs"/>):
    /// it implements <see cref="ISeq2SeqModel"/> instead. The model is in eval mode.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed file, a <c>model_type</c> that is not an encoder-decoder known here, or weights that do not fit (all names listed).</exception>
    /// <exception cref="FileNotFoundException">A needed file is absent (named).</exception>
    public static PretrainedSeq2SeqModel LoadSeq2Seq(string nameOrFolder, HubOptions? hub = null)
    {
        var folder = Resolve(nameOrFolder, hub);
        var configPath = Path.Combine(folder, "config.json");
        var modelType = ModelTypeOf(configPath);
        var (model, options) = modelType switch
        {
            "t5" => CreateT5(T5Config.Read(configPath)),
            _ => throw new InvalidDataException($"Config file '{configPath}': model_type '{modelType}' is not an encoder-decoder model loaded here (supported: t5); use Pretrained.Load for bert, roberta and gpt2."),
        };
        try
        {
            var tokenizer = TokenizerFactory.FromFolder(folder, modelType);
            using var tensors = CheckpointTensors.Open(folder);
            var report = StateDictLoader.Load(model.Module, tensors.Names, tensors.ShapeOf, tensors.Read, tensors.Source, options);
            if (report.Describe(model.Module.GetName(), folder) is { Length: > 0 } warning) Console.Error.WriteLine(warning);
            model.Module.eval();
            return new PretrainedSeq2SeqModel(model, tokenizer, folder, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Load options for a T5 model: its tied aliases (the stacks' <c>embed_tokens</c>, a tied <c>lm_head</c>)
    /// and the tensor <c>transformers</c> also ignores (a cross-attention position bias that old checkpoints hold).
    /// </summary>
    public static StateDictLoadOptions T5LoadOptions(T5ForConditionalGeneration model) => new()
    {
        TiedAliases = model.TiedWeights,
        IgnoreUnexpected = [@"^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$"],
    };

    static (ISeq2SeqModel, StateDictLoadOptions) CreateT5(T5Config config)
    {
        var model = new T5ForConditionalGeneration(config);
        return (model, T5LoadOptions(model));
    }

    static string ModelTypeOf(string configPath)
    {
        if (!File.Exists(configPath)) throw new FileNotFoundException($"Config file '{configPath}' does not exist.", configPath);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.String
                ? t.GetString()! : throw new InvalidDataException($"Config file '{configPath}': required field 'model_type' is missing.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidDataException($"Config file '{configPath}': malformed JSON: {ex.Message}", ex);
        }
    }
}
