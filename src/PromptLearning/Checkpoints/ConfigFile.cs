using System.Text;
using System.Text.Json;
using PromptLearning.Models;

namespace PromptLearning.Checkpoints;

/// <summary>
/// Reads and writes a Hugging Face <c>config.json</c> as a <see cref="TransformerConfig"/>. BERT and
/// RoBERTa use their own key names; GPT-2's (<c>n_embd</c>, <c>n_layer</c>, <c>n_head</c>,
/// <c>n_inner</c>, <c>n_positions</c>, <c>layer_norm_epsilon</c>, <c>activation_function</c>,
/// <c>resid_pdrop</c>, <c>attn_pdrop</c>) are mapped onto the same record.
/// </summary>
public static class ConfigFile
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Malformed JSON, or a required field missing or of the wrong type; the message names the file and the field.</exception>
    public static TransformerConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        string json;
        try
        {
            json = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"Config file '{path}': not valid UTF-8 (byte {ex.Index}).", ex);
        }
        return Parse(json, path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names it in errors.</summary>
    public static TransformerConfig Parse(string json, string source = "config.json")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Config file '{source}': malformed JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"Config file '{source}': expected a JSON object, found {root.ValueKind}.");
            var f = new Fields(root, source);
            string modelType = f.String("model_type") ?? throw f.Missing("model_type");
            var c = modelType switch
            {
                "gpt2" => ReadGpt2(f),
                "bert" or "roberta" or "xlm-roberta" => ReadBert(f, modelType),
                _ => throw new InvalidDataException($"Config file '{source}': field 'model_type' is '{modelType}'; supported: bert, roberta, gpt2."),
            };
            if (c.VocabSize <= 0) throw f.Invalid("vocab_size", "must be positive");
            if (c.HiddenSize <= 0) throw f.Invalid(c.IsCausal ? "n_embd" : "hidden_size", "must be positive");
            if (c.NumHiddenLayers <= 0) throw f.Invalid(c.IsCausal ? "n_layer" : "num_hidden_layers", "must be positive");
            if (c.NumAttentionHeads <= 0 || c.HiddenSize % c.NumAttentionHeads != 0)
                throw f.Invalid(c.IsCausal ? "n_head" : "num_attention_heads", $"must be positive and divide the hidden size {c.HiddenSize}");
            if (c.IntermediateSize <= 0) throw f.Invalid(c.IsCausal ? "n_inner" : "intermediate_size", "must be positive");
            if (c.MaxPositionEmbeddings <= 0) throw f.Invalid(c.IsCausal ? "n_positions" : "max_position_embeddings", "must be positive");
            if (c.TypeVocabSize < 0) throw f.Invalid("type_vocab_size", "must not be negative");
            if (!Activations.Supported.Contains(c.HiddenAct))
                throw f.Invalid(c.IsCausal ? "activation_function" : "hidden_act", $"is '{c.HiddenAct}', not one of {string.Join(", ", Activations.Supported)}");
            if (!(c.LayerNormEps > 0)) throw f.Invalid(c.IsCausal ? "layer_norm_epsilon" : "layer_norm_eps", $"must be greater than 0, found {c.LayerNormEps}");
            if (!(c.InitializerRange >= 0)) throw f.Invalid("initializer_range", $"must be 0 or more, found {c.InitializerRange}");
            foreach (var (name, p) in c.IsCausal
                ? new[] { ("resid_pdrop", c.HiddenDropoutProb), ("attn_pdrop", c.AttentionProbsDropoutProb), ("embd_pdrop", f.Double("embd_pdrop") ?? 0) }
                : new[] { ("hidden_dropout_prob", c.HiddenDropoutProb), ("attention_probs_dropout_prob", c.AttentionProbsDropoutProb) })
                if (!(p >= 0 && p < 1)) throw f.Invalid(name, $"is a dropout probability and must be in [0, 1), found {p}");
            foreach (var name in new[] { "pad_token_id", "bos_token_id", "eos_token_id" })
                if (f.Int(name) is int id && (id < 0 || id >= c.VocabSize))
                    throw f.Invalid(name, $"is {id}, outside the vocabulary [0, {c.VocabSize})");
            return c;
        }
    }

    /// <summary>
    /// Refuses a config whose model cannot fit in memory, before anything is allocated: the float32
    /// weights (<see cref="TransformerConfig.EstimatedParameterCount"/>) plus a per-layer allowance for
    /// the module objects must fit in <paramref name="availableBytes"/> (default: the memory this
    /// process may use). The message names <paramref name="source"/> and the field that makes the
    /// model big (the one whose reduction to 1 would shrink it most).
    /// </summary>
    /// <exception cref="InvalidDataException">The model would not fit.</exception>
    public static void CheckFits(TransformerConfig config, string source, long? availableBytes = null)
    {
        long available = availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        double need = EstimatedBytes(config);
        if (need <= available) return;
        var sizes = new (string Name, int Value, Func<TransformerConfig> Shrunk)[]
        {
            ("vocab_size", config.VocabSize, () => config with { VocabSize = 1 }),
            (config.IsCausal ? "n_embd" : "hidden_size", config.HiddenSize, () => config with { HiddenSize = 1 }),
            (config.IsCausal ? "n_layer" : "num_hidden_layers", config.NumHiddenLayers, () => config with { NumHiddenLayers = 1 }),
            (config.IsCausal ? "n_inner" : "intermediate_size", config.IntermediateSize, () => config with { IntermediateSize = 1 }),
            (config.IsCausal ? "n_positions" : "max_position_embeddings", config.MaxPositionEmbeddings, () => config with { MaxPositionEmbeddings = 1 }),
            ("type_vocab_size", config.TypeVocabSize, () => config with { TypeVocabSize = 1 }),
        };
        var culprit = sizes.MinBy(s => EstimatedBytes(s.Shrunk()));
        throw new InvalidDataException(
            $"Config file '{source}': field '{culprit.Name}' is {culprit.Value}, which makes the model need about {Gb(need)} " +
            $"({config.EstimatedParameterCount():G3} float32 parameters), more than the {Gb(available)} of memory available.");
    }

    /// <summary>Bytes per layer for the module objects beyond the weights (TorchSharp and libtorch bookkeeping).</summary>
    const double LayerOverheadBytes = 64 << 10;

    static double EstimatedBytes(TransformerConfig c) => 4 * c.EstimatedParameterCount() + LayerOverheadBytes * c.NumHiddenLayers;

    static string Gb(double bytes) => $"{bytes / (1L << 30):0.#} GB";

    static TransformerConfig ReadBert(Fields f, string modelType) => new()
    {
        ModelType = modelType,
        VocabSize = f.RequiredInt("vocab_size"),
        HiddenSize = f.RequiredInt("hidden_size"),
        NumHiddenLayers = f.RequiredInt("num_hidden_layers"),
        NumAttentionHeads = f.RequiredInt("num_attention_heads"),
        IntermediateSize = f.RequiredInt("intermediate_size"),
        MaxPositionEmbeddings = f.RequiredInt("max_position_embeddings"),
        TypeVocabSize = f.Int("type_vocab_size") ?? 2,
        LayerNormEps = f.Double("layer_norm_eps") ?? 1e-12,
        HiddenAct = f.String("hidden_act") ?? "gelu",
        HiddenDropoutProb = f.Double("hidden_dropout_prob") ?? 0.1,
        AttentionProbsDropoutProb = f.Double("attention_probs_dropout_prob") ?? 0.1,
        InitializerRange = f.Double("initializer_range") ?? 0.02,
        PadTokenId = f.Int("pad_token_id") ?? (modelType == "bert" ? 0 : 1),
        BosTokenId = f.Int("bos_token_id"),
        EosTokenId = f.Int("eos_token_id"),
        TieWordEmbeddings = f.Bool("tie_word_embeddings") ?? true,
    };

    static TransformerConfig ReadGpt2(Fields f)
    {
        int hidden = f.RequiredInt("n_embd");
        int vocab = f.RequiredInt("vocab_size");
        // transformers' GPT2Config defaults both to 50256, which only a vocabulary of that size holds.
        int? endOfText = vocab > 50256 ? 50256 : null;
        return new()
        {
            ModelType = "gpt2",
            VocabSize = vocab,
            HiddenSize = hidden,
            NumHiddenLayers = f.RequiredInt("n_layer"),
            NumAttentionHeads = f.RequiredInt("n_head"),
            IntermediateSize = f.Int("n_inner") ?? (int)Math.Min(int.MaxValue, 4L * hidden),
            MaxPositionEmbeddings = f.RequiredInt("n_positions"),
            LayerNormEps = f.Double("layer_norm_epsilon") ?? 1e-5,
            HiddenAct = f.String("activation_function") ?? "gelu_new",
            HiddenDropoutProb = f.Double("resid_pdrop") ?? 0.1,
            AttentionProbsDropoutProb = f.Double("attn_pdrop") ?? 0.1,
            InitializerRange = f.Double("initializer_range") ?? 0.02,
            PadTokenId = f.Int("pad_token_id"),
            BosTokenId = f.Int("bos_token_id") ?? endOfText,
            EosTokenId = f.Int("eos_token_id") ?? endOfText,
            TieWordEmbeddings = f.Bool("tie_word_embeddings") ?? true,
        };
    }

    /// <summary>Writes <paramref name="config"/> to <paramref name="path"/> atomically, with the key names of its model type.</summary>
    public static void Write(TransformerConfig config, string path) => AtomicFile.WriteText(path, config.ToJson() + "\n");

    sealed class Fields(JsonElement root, string source)
    {
        JsonElement? Get(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        public InvalidDataException Missing(string name) =>
            new($"Config file '{source}': required field '{name}' is missing.");

        public InvalidDataException Invalid(string name, string problem) =>
            new($"Config file '{source}': field '{name}' {problem}.");

        public string? String(string name)
        {
            if (Get(name) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.String) throw Invalid(name, $"must be a string, found {v.GetRawText()}");
            try
            {
                return v.GetString();
            }
            catch (InvalidOperationException ex)
            {
                throw Invalid(name, $"is not valid Unicode ({ex.Message})");
            }
        }

        public int? Int(string name) => Get(name) is { } v
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Invalid(name, $"must be an integer, found {v.GetRawText()}")
            : null;

        public int RequiredInt(string name) => Int(name) ?? throw Missing(name);

        public double? Double(string name) => Get(name) is { } v
            ? v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : throw Invalid(name, $"must be a finite number, found {v.GetRawText()}")
            : null;

        public bool? Bool(string name) => Get(name) is { } v
            ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Invalid(name, $"must be true or false, found {v.GetRawText()}")
            : null;
    }
}
