using System.Text.Json;
using System.Text.Json.Serialization;

namespace PromptLearning.Models;

/// <summary>
/// The architecture of a BERT, RoBERTa or GPT-2 checkpoint, read from its Hugging Face
/// <c>config.json</c>. One record for all three: GPT-2's own key names (<c>n_embd</c>, <c>n_layer</c>,
/// ...) are mapped onto the BERT names when the file is read, so code can use one vocabulary.
/// </summary>
public sealed record TransformerConfig
{
    /// <summary><c>bert</c>, <c>roberta</c> or <c>gpt2</c>.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }
    /// <summary>Feed-forward width; GPT-2's <c>n_inner</c> (null there means 4 x hidden).</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; }
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    /// <summary><c>gelu</c> (erf), <c>gelu_new</c> (tanh approximation), <c>relu</c>, ...</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Size of one attention head.</summary>
    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;
    /// <summary>True for GPT-2 (causal LM); false for BERT/RoBERTa (masked LM).</summary>
    [JsonIgnore] public bool IsCausal => ModelType == "gpt2";
    /// <summary>RoBERTa numbers positions from <c>padding_idx + 1</c>.</summary>
    [JsonIgnore] public bool IsRoberta => ModelType is "roberta" or "xlm-roberta";

    /// <summary>
    /// The number of float32 parameters the model built from this config holds (embeddings, every
    /// layer, final norms and the LM head, untied when <see cref="TieWordEmbeddings"/> is false),
    /// computed in doubles so that absurd sizes do not overflow.
    /// </summary>
    public double EstimatedParameterCount()
    {
        double v = VocabSize, h = HiddenSize, i = IntermediateSize, p = MaxPositionEmbeddings, layers = NumHiddenLayers;
        double attention = 4 * (h * h + h), feedForward = h * i + i + i * h + h, norms = 4 * h;
        double embeddings = (v + p + (IsCausal ? 0 : TypeVocabSize)) * h + 2 * h;
        double head = (IsCausal ? 0 : h * h + h + 2 * h + v) + (TieWordEmbeddings ? 0 : v * h);
        return embeddings + layers * (attention + feedForward + norms) + head;
    }

    /// <summary>Writes this config as Hugging Face would, using GPT-2's own key names for <c>gpt2</c>.</summary>
    public string ToJson()
    {
        var o = new Dictionary<string, object?>();
        if (IsCausal)
        {
            o["architectures"] = new[] { "GPT2LMHeadModel" };
            o["model_type"] = "gpt2";
            o["vocab_size"] = VocabSize; o["n_embd"] = HiddenSize; o["n_layer"] = NumHiddenLayers;
            o["n_head"] = NumAttentionHeads; o["n_inner"] = IntermediateSize; o["n_positions"] = MaxPositionEmbeddings;
            o["n_ctx"] = MaxPositionEmbeddings;
            o["layer_norm_epsilon"] = LayerNormEps; o["activation_function"] = HiddenAct;
            o["resid_pdrop"] = HiddenDropoutProb; o["embd_pdrop"] = HiddenDropoutProb; o["attn_pdrop"] = AttentionProbsDropoutProb;
            o["initializer_range"] = InitializerRange;
            o["bos_token_id"] = BosTokenId; o["eos_token_id"] = EosTokenId;
            o["tie_word_embeddings"] = TieWordEmbeddings;
        }
        else
        {
            o["architectures"] = new[] { IsRoberta ? "RobertaForMaskedLM" : "BertForMaskedLM" };
            o["model_type"] = ModelType;
            o["vocab_size"] = VocabSize; o["hidden_size"] = HiddenSize; o["num_hidden_layers"] = NumHiddenLayers;
            o["num_attention_heads"] = NumAttentionHeads; o["intermediate_size"] = IntermediateSize;
            o["max_position_embeddings"] = MaxPositionEmbeddings; o["type_vocab_size"] = TypeVocabSize;
            o["layer_norm_eps"] = LayerNormEps; o["hidden_act"] = HiddenAct;
            o["hidden_dropout_prob"] = HiddenDropoutProb; o["attention_probs_dropout_prob"] = AttentionProbsDropoutProb;
            o["initializer_range"] = InitializerRange; o["pad_token_id"] = PadTokenId;
            o["position_embedding_type"] = "absolute";
            if (BosTokenId is not null) o["bos_token_id"] = BosTokenId;
            if (EosTokenId is not null) o["eos_token_id"] = EosTokenId;
        }
        return JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true });
    }
}
