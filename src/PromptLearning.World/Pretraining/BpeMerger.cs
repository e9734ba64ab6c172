namespace PromptLearning.Pretraining;

/// <summary>
/// The merge loop shared by the WordPiece and byte-level BPE vocabulary builders (as the
/// <c>tokenizers</c> library's BPE and WordPiece trainers): words start as sequences of initial
/// symbols; the most frequent adjacent pair (ties: the pair whose joined text sorts first, ordinal)
/// is merged everywhere, until the symbol budget is spent or no pair occurs
/// <c>minFrequency</c> times. Pair counts are updated incrementally, only for words that contain
/// the merged pair.
/// </summary>
internal sealed class BpeMerger
{
    private readonly List<string> _symbols = new();
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<int[]> _words = new();
    private readonly List<long> _counts = new();
    private readonly Dictionary<(int, int), long> _pairCounts = new();
    private readonly Dictionary<(int, int), HashSet<int>> _pairWords = new();
    private readonly Func<string, string, string> _join;

    /// <param name="join">Text of the merged symbol (e.g. strips <c>##</c> from the right part).</param>
    public BpeMerger(Func<string, string, string> join) => _join = join;

    /// <summary>Symbols in the order they were created (initial symbols first).</summary>
    public IReadOnlyList<string> Symbols => _symbols;

    /// <summary>Adds an initial symbol (idempotent) and returns its id.</summary>
    public int Symbol(string s)
    {
        if (_ids.TryGetValue(s, out var id)) return id;
        id = _symbols.Count;
        _symbols.Add(s);
        _ids[s] = id;
        return id;
    }

    /// <summary>Adds a word (as initial symbols) seen <paramref name="count"/> times.</summary>
    public void AddWord(IEnumerable<string> initialSymbols, long count)
    {
        var w = initialSymbols.Select(Symbol).ToArray();
        var index = _words.Count;
        _words.Add(w);
        _counts.Add(count);
        AddPairs(index, +1);
    }

    /// <summary>Merges until <paramref name="maxMerges"/> merges are done or no pair occurs <paramref name="minFrequency"/> times.</summary>
    public List<(string Left, string Right)> Merge(int maxMerges, long minFrequency)
    {
        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            (int, int) bestPair = default;
            long bestCount = 0;
            string? bestText = null;
            foreach (var (pair, count) in _pairCounts)
            {
                if (count < bestCount || count <= 0) continue;
                var text = _symbols[pair.Item1] + " " + _symbols[pair.Item2];
                if (count > bestCount || string.CompareOrdinal(text, bestText) < 0)
                {
                    bestPair = pair; bestCount = count; bestText = text;
                }
            }
            if (bestText is null || bestCount < minFrequency) break;
            var merged = _join(_symbols[bestPair.Item1], _symbols[bestPair.Item2]);
            if (_ids.ContainsKey(merged))
            {
                // The same text reachable by two merge paths: keep the first symbol, still record the merge.
                ApplyMerge(bestPair, _ids[merged]);
            }
            else ApplyMerge(bestPair, Symbol(merged));
            merges.Add((_symbols[bestPair.Item1], _symbols[bestPair.Item2]));
        }
        return merges;
    }

    private void ApplyMerge((int, int) pair, int mergedId)
    {
        var words = _pairWords[pair].ToArray();
        Array.Sort(words);
        foreach (var wi in words)
        {
            AddPairs(wi, -1);
            var w = _words[wi];
            var next = new List<int>(w.Length);
            for (int i = 0; i < w.Length; i++)
            {
                if (i + 1 < w.Length && w[i] == pair.Item1 && w[i + 1] == pair.Item2) { next.Add(mergedId); i++; }
                else next.Add(w[i]);
            }
            _words[wi] = next.ToArray();
            AddPairs(wi, +1);
        }
    }

    private void AddPairs(int wordIndex, int sign)
    {
        var w = _words[wordIndex];
        var c = _counts[wordIndex] * sign;
        for (int i = 0; i + 1 < w.Length; i++)
        {
            var p = (w[i], w[i + 1]);
            var now = _pairCounts.GetValueOrDefault(p) + c;
            if (now == 0) { _pairCounts.Remove(p); _pairWords.Remove(p); continue; }
            _pairCounts[p] = now;
            if (sign > 0)
            {
                if (!_pairWords.TryGetValue(p, out var set)) _pairWords[p] = set = new HashSet<int>();
                set.Add(wordIndex);
            }
        }
        if (sign < 0)
            for (int i = 0; i + 1 < w.Length; i++)
                if (_pairWords.TryGetValue((w[i], w[i + 1]), out var set)) set.Remove(wordIndex);
    }
}
