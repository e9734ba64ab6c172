using System.Text.Encodings.Web;
using System.Text.Json;

namespace PromptLearning.Pretraining;

/// <summary>JSON as <c>transformers</c> writes tokenizer files: 2-space indent, non-ASCII kept, trailing newline.</summary>
internal static class TokenizerFiles
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Json(object value) => JsonSerializer.Serialize(value, Options) + "\n";
}
