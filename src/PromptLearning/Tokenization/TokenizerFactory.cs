using System.Text.Json;

namespace PromptLearning.Tokenization;

/// <summary>Picks and builds the right <see cref="TextTokenizer"/> for a model folder.</summary>
public static class TokenizerFactory
{
    /// <summary>
    /// Loads the tokenizer of <paramref name="folder"/>. The kind comes from
    /// <paramref name="modelType"/> when given, else <c>config.json</c>'s <c>model_type</c>, else
    /// <c>tokenizer_config.json</c>'s <c>tokenizer_class</c>, else the files present:
    /// <c>vocab.txt</c> = BERT WordPiece; <c>vocab.json</c> + <c>merges.txt</c> = RoBERTa (BART's is the same) when the
    /// vocabulary has <c>&lt;s&gt;</c> and <c>&lt;mask&gt;</c>, GPT-2 otherwise; <c>spiece.model</c> = T5 SentencePiece.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="FileNotFoundException">A vocabulary file the kind needs is absent (named).</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or the kind cannot be told.</exception>
    public static TextTokenizer FromFolder(string folder, string? modelType = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Tokenizer folder '{folder}' does not exist.");
        var settings = TokenizerConfig.Read(folder);
        var kind = modelType ?? ModelTypeFromConfig(folder) ?? KindFromClass(settings.TokenizerClass) ?? KindFromFiles(folder);
        string Need(string name)
        {
            var p = Path.Combine(folder, name);
            return File.Exists(p) ? p : throw new FileNotFoundException($"Tokenizer file '{p}' is missing (needed for a {kind} tokenizer).", p);
        }
        return kind switch
        {
            "bert" => new WordPieceTextTokenizer(Need("vocab.txt"), settings),
            "roberta" or "xlm-roberta" or "bart" => new ByteLevelBpeTextTokenizer(Need("vocab.json"), Need("merges.txt"), ByteLevelStyle.Roberta, settings),
            "gpt2" => new ByteLevelBpeTextTokenizer(Need("vocab.json"), Need("merges.txt"), ByteLevelStyle.Gpt2, settings),
            "t5" => new T5TextTokenizer(Need("spiece.model"), settings, T5TextTokenizer.ReadExtraIds(folder)),
            _ => throw new InvalidDataException($"Tokenizer folder '{folder}': model type '{kind}' has no tokenizer here (supported: bert, roberta, gpt2, bart, t5)."),
        };
    }

    static string? ModelTypeFromConfig(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString() : null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Config file '{path}': malformed JSON: {ex.Message}", ex);
        }
    }

    static string? KindFromClass(string? tokenizerClass) => tokenizerClass?.Replace("Fast", "") switch
    {
        "BertTokenizer" or "DistilBertTokenizer" => "bert",
        "RobertaTokenizer" or "BartTokenizer" => "roberta",
        "GPT2Tokenizer" => "gpt2",
        "T5Tokenizer" => "t5",
        _ => null,
    };

    static string KindFromFiles(string folder)
    {
        if (File.Exists(Path.Combine(folder, "vocab.txt"))) return "bert";
        if (File.Exists(Path.Combine(folder, "spiece.model"))) return "t5";
        var vocab = Path.Combine(folder, "vocab.json");
        if (File.Exists(vocab))
        {
            var text = File.ReadAllText(vocab);
            return text.Contains("\"<s>\"") && text.Contains("\"<mask>\"") ? "roberta" : "gpt2";
        }
        throw new FileNotFoundException($"Tokenizer folder '{folder}' has neither vocab.txt (WordPiece), vocab.json + merges.txt (byte-level BPE) nor spiece.model (T5 SentencePiece).");
    }
}
