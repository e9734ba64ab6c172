namespace PromptLearning.Tokenization;

/// <summary>
/// A model's tokenizer: WordPiece for BERT, byte-level BPE for GPT-2 and RoBERTa, each backed by
/// Microsoft.ML.Tokenizers and configured from the checkpoint's own files. Ids equal those of
/// <c>transformers</c>' tokenizers for the same files.
/// </summary>
public abstract class TextTokenizer
{
    /// <summary>Number of ids (including special tokens).</summary>
    public abstract int VocabSize { get; }
    /// <summary>Padding id (GPT-2 has none of its own; its eos is used).</summary>
    public abstract int PadTokenId { get; }
    /// <summary>The mask token's id, or null for causal models.</summary>
    public abstract int? MaskTokenId { get; }
    /// <summary>The mask token's text (<c>[MASK]</c> or <c>&lt;mask&gt;</c>), or null.</summary>
    public abstract string? MaskToken { get; }
    /// <summary>[CLS] / &lt;s&gt; (BERT/RoBERTa); GPT-2's bos.</summary>
    public abstract int? BosTokenId { get; }
    /// <summary>[SEP] / &lt;/s&gt; (BERT/RoBERTa); GPT-2's &lt;|endoftext|&gt;.</summary>
    public abstract int? EosTokenId { get; }
    /// <summary>True for byte-level BPE, where a leading space is part of a word's token.</summary>
    public abstract bool IsByteLevel { get; }

    /// <summary>Token ids of <paramref name="text"/> without special tokens.</summary>
    public abstract IReadOnlyList<int> Encode(string text);
    /// <summary>Token strings of <paramref name="text"/> without special tokens.</summary>
    public abstract IReadOnlyList<string> Tokenize(string text);
    /// <summary>Text of the ids; special tokens dropped when asked.</summary>
    public abstract string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);
    /// <summary>The id of one vocabulary entry, or null.</summary>
    public abstract int? TokenToId(string token);
    /// <summary>The vocabulary entry of an id.</summary>
    public abstract string IdToToken(int id);
    /// <summary>Adds the model's special tokens: <c>[CLS] a [SEP] (b [SEP])</c>, <c>&lt;s&gt; a &lt;/s&gt;(&lt;/s&gt; b &lt;/s&gt;)</c>, nothing for GPT-2.</summary>
    public abstract IReadOnlyList<int> BuildInputs(IReadOnlyList<int> a, IReadOnlyList<int>? b = null);
    /// <summary>Segment ids matching <see cref="BuildInputs"/> (0 for a, 1 for b; all 0 where the model has no segments).</summary>
    public abstract IReadOnlyList<int> BuildTokenTypeIds(IReadOnlyList<int> a, IReadOnlyList<int>? b = null);

    /// <summary>Longest input the model takes (<c>model_max_length</c>), or null when the files give none.</summary>
    public virtual int? ModelMaxLength => null;

    /// <summary>Writes the vocabulary files and <c>tokenizer_config.json</c>/<c>special_tokens_map.json</c> into <paramref name="folder"/>, so the tokenizer loads again from there.</summary>
    /// <exception cref="NotSupportedException">A tokenizer that is not backed by Hugging Face files (e.g. a test double).</exception>
    public virtual void Save(string folder) =>
        throw new NotSupportedException($"{GetType().Name} is not backed by tokenizer files and cannot be saved to '{folder}'.");

    /// <summary>True when both paths name the same file.</summary>
    protected static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
