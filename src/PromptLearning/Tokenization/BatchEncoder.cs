using static TorchSharp.torch;

namespace PromptLearning.Tokenization;

/// <summary>Which end of a sequence padding or truncation acts on.</summary>
public enum Side
{
    Right,
    Left,
}

/// <summary>A padded batch: int64 tensors [batch, length].</summary>
/// <param name="InputIds">Token ids with the model's special tokens, padded with its pad id.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding.</param>
/// <param name="TokenTypeIds">Segment ids (0 for the first text, 1 for the second where the model has segments; 0 on padding).</param>
/// <param name="Lengths">Unpadded length of each row.</param>
public sealed record BatchEncoding(Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds, IReadOnlyList<int> Lengths) : IDisposable
{
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
    }
}

/// <summary>
/// Turns texts or text pairs into padded id tensors the way <c>transformers</c>' tokenizer
/// <c>__call__</c> does with <c>padding=True</c> (or <c>"max_length"</c>) and
/// <c>truncation="longest_first"</c>: special tokens added, sequences truncated so that the whole
/// input fits <see cref="MaxLength"/> (for pairs, one token at a time from the longer text),
/// padded on <see cref="PaddingSide"/>.
/// </summary>
public sealed class BatchEncoder
{
    /// <summary>The tokenizer used for ids and special tokens.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>Longest input incl. special tokens; null = the tokenizer's <c>model_max_length</c>, or no limit.</summary>
    public int? MaxLength { get; init; }
    /// <summary>Pad every row to <see cref="MaxLength"/> instead of to the longest row.</summary>
    public bool PadToMaxLength { get; init; }
    /// <summary>Right (BERT, training) or left (GPT-2 generation) padding.</summary>
    public Side PaddingSide { get; init; } = Side.Right;
    /// <summary>Which end of a text loses tokens when it is too long.</summary>
    public Side TruncationSide { get; init; } = Side.Right;

    public BatchEncoder(TextTokenizer tokenizer) => Tokenizer = tokenizer;

    int? Limit => MaxLength ?? Tokenizer.ModelMaxLength;

    /// <summary>Encodes single texts.</summary>
    public BatchEncoding Encode(IReadOnlyList<string> texts) =>
        EncodeIds(texts.Select(t => ((IReadOnlyList<int>)Tokenizer.Encode(t), (IReadOnlyList<int>?)null)).ToList());

    /// <summary>Encodes text pairs (<c>b</c> may be null for a single text).</summary>
    public BatchEncoding Encode(IReadOnlyList<(string A, string? B)> pairs) =>
        EncodeIds(pairs.Select(p => (Tokenizer.Encode(p.A), p.B is null ? null : Tokenizer.Encode(p.B))).ToList());

    /// <summary>Encodes already tokenized ids (without special tokens).</summary>
    public BatchEncoding EncodeIds(IReadOnlyList<(IReadOnlyList<int> A, IReadOnlyList<int>? B)> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("Cannot encode an empty batch.", nameof(rows));
        var ids = new List<IReadOnlyList<int>>(rows.Count);
        var types = new List<IReadOnlyList<int>>(rows.Count);
        foreach (var (a0, b0) in rows)
        {
            var (a, b) = Truncate(a0, b0);
            ids.Add(Tokenizer.BuildInputs(a, b));
            types.Add(Tokenizer.BuildTokenTypeIds(a, b));
        }
        int width = PadToMaxLength && Limit is int m ? m : ids.Max(r => r.Count);
        var idData = new long[rows.Count * width];
        var maskData = new long[rows.Count * width];
        var typeData = new long[rows.Count * width];
        Array.Fill(idData, Tokenizer.PadTokenId);
        for (int r = 0; r < rows.Count; r++)
        {
            int n = ids[r].Count;
            int start = r * width + (PaddingSide == Side.Left ? width - n : 0);
            for (int i = 0; i < n; i++)
            {
                idData[start + i] = ids[r][i];
                maskData[start + i] = 1;
                typeData[start + i] = types[r][i];
            }
        }
        long[] shape = [rows.Count, width];
        return new BatchEncoding(tensor(idData, shape), tensor(maskData, shape), tensor(typeData, shape), ids.Select(r => r.Count).ToList());
    }

    (IReadOnlyList<int> A, IReadOnlyList<int>? B) Truncate(IReadOnlyList<int> a, IReadOnlyList<int>? b)
    {
        if (Limit is not int max) return (a, b);
        int special = Tokenizer.BuildInputs([], b is null ? null : []).Count;
        int budget = max - special;
        if (budget < 0) throw new ArgumentException($"Max length {max} is shorter than the {special} special tokens the tokenizer adds.");
        int la = a.Count, lb = b?.Count ?? 0;
        while (la + lb > budget)
        {
            if (b is null || la > lb) la--;
            else lb--;
        }
        return (Cut(a, la), b is null ? null : Cut(b, lb));
    }

    IReadOnlyList<int> Cut(IReadOnlyList<int> s, int keep) =>
        keep == s.Count ? s
        : TruncationSide == Side.Right ? s.Take(keep).ToList()
        : s.Skip(s.Count - keep).ToList();
}
