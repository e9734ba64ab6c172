using PromptLearning.Prompts;
using System.Text.RegularExpressions;
using PromptLearning.Tokenization;

namespace PromptLearning.Tests.Pet;

/// <summary>
/// A small deterministic tokenizer for PET tests. WordPiece mode: lower-cases, splits words and
/// punctuation, greedy longest-match pieces with <c>##</c>, <c>[CLS] a [SEP] b [SEP]</c>.
/// Byte-level mode: words keep a leading <c>Ġ</c> when a space precedes them (as GPT-2/RoBERTa BPE),
/// no lower-casing, <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>.
/// </summary>
internal sealed class FakeTokenizer : TextTokenizer
{
    private readonly List<string> _vocab;
    private readonly Dictionary<string, int> _ids;
    private readonly bool _byteLevel;
    private static readonly Regex Words = new(@"\s*(\[MASK\]|<mask>|\w+|[^\w\s])", RegexOptions.Compiled);

    public FakeTokenizer(bool byteLevel, IEnumerable<string> words)
    {
        _byteLevel = byteLevel;
        _vocab = byteLevel ? new() { "<s>", "<pad>", "</s>", "<unk>" } : new() { "[PAD]", "[UNK]", "[CLS]", "[SEP]" };
        foreach (var w in words) if (!_vocab.Contains(w)) _vocab.Add(w);
        _vocab.Add(byteLevel ? "<mask>" : "[MASK]");
        _ids = _vocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
    }

    public override int VocabSize => _vocab.Count;
    public override int PadTokenId => _byteLevel ? 1 : 0;
    public override int? MaskTokenId => _vocab.Count - 1;
    public override string? MaskToken => _vocab[^1];
    public override int? BosTokenId => _byteLevel ? 0 : 2;
    public override int? EosTokenId => _byteLevel ? 2 : 3;
    public override bool IsByteLevel => _byteLevel;
    private int Unk => _byteLevel ? 3 : 1;

    public override IReadOnlyList<string> Tokenize(string text)
    {
        var result = new List<string>();
        foreach (Match m in Words.Matches(text))
        {
            var w = m.Groups[1].Value;
            if (w == "[MASK]" || w == "<mask>") { result.Add(_vocab[^1]); continue; }
            if (_byteLevel) { result.Add((m.Value.Length > w.Length ? "Ġ" : "") + w); continue; }
            w = w.ToLowerInvariant();
            int start = 0; var pieces = new List<string>();
            while (start < w.Length)
            {
                int end = w.Length; string? found = null;
                while (end > start)
                {
                    var piece = (start > 0 ? "##" : "") + w[start..end];
                    if (_ids.ContainsKey(piece)) { found = piece; break; }
                    end--;
                }
                if (found is null) { pieces = new() { "[UNK]" }; break; }
                pieces.Add(found); start = end;
            }
            result.AddRange(pieces);
        }
        return result;
    }

    public override IReadOnlyList<int> Encode(string text) => Tokenize(text).Select(t => _ids.TryGetValue(t, out var i) ? i : Unk).ToList();
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) => string.Join(" ", ids.Select(IdToToken));
    public override int? TokenToId(string token) => _ids.TryGetValue(token, out var i) ? i : null;
    public override string IdToToken(int id) => _vocab[id];

    public override IReadOnlyList<int> BuildInputs(IReadOnlyList<int> a, IReadOnlyList<int>? b = null)
    {
        var r = new List<int> { BosTokenId!.Value };
        r.AddRange(a); r.Add(EosTokenId!.Value);
        if (b is not null) { if (_byteLevel) r.Add(EosTokenId!.Value); r.AddRange(b); r.Add(EosTokenId!.Value); }
        return r;
    }

    public override IReadOnlyList<int> BuildTokenTypeIds(IReadOnlyList<int> a, IReadOnlyList<int>? b = null)
    {
        var n = BuildInputs(a, null).Count;
        var total = BuildInputs(a, b).Count;
        return Enumerable.Range(0, total).Select(i => !_byteLevel && i >= n ? 1 : 0).ToList();
    }
}
