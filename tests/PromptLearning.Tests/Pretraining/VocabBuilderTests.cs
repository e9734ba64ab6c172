using System.Text.Json;
using Microsoft.ML.Tokenizers;
using PromptLearning.Pretraining;
using PromptLearning.Tokenization;

namespace PromptLearning.Tests.Pretraining;

public class VocabBuilderTests
{
    private static readonly string[] Corpus = Enumerable.Range(0, 40).SelectMany(i => new[]
    {
        $"The food at Café Rouge was great, and the service was quick. Visit {i}!",
        "The staff were friendly but the prices were terrible.",
        "It was great. It was terrible. Not bad at all; quite good.",
        "Wonderful dishes, unbelievably slow waiters.",
    }).ToArray();

    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "plearn-vocab-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Fact]
    public void WordPieceVocabLoadsInBertTokenizerWithWholeFrequentWords()
    {
        var vocab = WordPieceVocabBuilder.Build(Corpus, vocabSize: 300);
        Assert.Equal(new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }, vocab.Take(5));
        Assert.True(vocab.Count <= 300);
        Assert.Contains("##s", vocab);
        Assert.Equal(vocab.Count, vocab.Distinct().Count());
        Assert.DoesNotContain(vocab.Skip(5), t => t.Any(char.IsUpper));

        var dir = TempDir();
        WordPieceVocabBuilder.Save(vocab, dir, modelMaxLength: 128);
        var tok = BertTokenizer.Create(Path.Combine(dir, "vocab.txt"), new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        var ids = tok.EncodeToIds("It was great. The prices were terrible!", addSpecialTokens: true);
        var tokens = ids.Select(i => vocab[i]).ToArray();
        Assert.Equal(new[] { "[CLS]", "it", "was", "great", ".", "the", "prices", "were", "terrible", "!", "[SEP]" }, tokens);
        // Accents are stripped and rare words are split into ## pieces that the tokenizer reproduces.
        var cafe = tok.EncodeToIds("café unbelievably", addSpecialTokens: false).Select(i => vocab[i]).ToArray();
        Assert.Equal("cafe", cafe[0]);
        Assert.Equal("unbelievably", string.Concat(cafe.Skip(1)).Replace("##", ""));

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")));
        Assert.Equal("BertTokenizer", config.RootElement.GetProperty("tokenizer_class").GetString());
        Assert.True(config.RootElement.GetProperty("do_lower_case").GetBoolean());
        Assert.Equal(128, config.RootElement.GetProperty("model_max_length").GetInt32());
        Assert.True(File.Exists(Path.Combine(dir, "special_tokens_map.json")));
    }

    [Fact]
    public void WordPieceBuildIsDeterministic()
    {
        Assert.Equal(WordPieceVocabBuilder.Build(Corpus, 250), WordPieceVocabBuilder.Build(Corpus.ToArray(), 250));
    }

    [Fact]
    public void BasicTokenizeSplitsPunctuationLowercasesAndStripsAccents()
    {
        Assert.Equal(new[] { "it", "wasn", "'", "t", "cafe", "-", "bar", "." },
            WordPieceVocabBuilder.BasicTokenize("It wasn't  Café-bar.").ToArray());
    }

    [Fact]
    public void ByteLevelVocabHasGpt2LayoutAndLoadsInCodeGenTokenizer()
    {
        var vocab = ByteLevelBpeBuilder.Build(Corpus, vocabSize: 400);
        Assert.True(vocab.Tokens.Count <= 400);
        Assert.Equal(256 + vocab.Merges.Count + 1, vocab.Tokens.Count);
        // GPT-2's byte-to-unicode order: '!' first, the space byte is 'Ġ' at 220, byte 0 is 'Ā' at 188.
        Assert.Equal("!", vocab.Tokens[0]);
        Assert.Equal("Ā", vocab.Tokens[188]);
        Assert.Equal("Ġ", vocab.Tokens[220]);
        Assert.Equal("<|endoftext|>", vocab.Tokens[^1]);
        for (int i = 0; i < vocab.Merges.Count; i++)
            Assert.Equal(vocab.Merges[i].Left + vocab.Merges[i].Right, vocab.Tokens[256 + i]);
        Assert.Contains("Ġgreat", vocab.Tokens);

        var dir = TempDir();
        ByteLevelBpeBuilder.Save(vocab, dir, modelMaxLength: 128);
        var merges = File.ReadAllLines(Path.Combine(dir, "merges.txt"));
        Assert.Equal("#version: 0.2", merges[0]);
        Assert.Equal(vocab.Merges.Count, merges.Length - 1);

        using var vocabStream = File.OpenRead(Path.Combine(dir, "vocab.json"));
        using var mergesStream = File.OpenRead(Path.Combine(dir, "merges.txt"));
        var tok = CodeGenTokenizer.Create(vocabStream, mergesStream, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        var text = "It was great. The prices were terrible!";
        var ids = tok.EncodeToIds(text);
        Assert.Contains(vocab.Tokens.ToList().IndexOf("Ġgreat"), ids);
        Assert.Equal(text, tok.Decode(ids));
        // Our own merge application gives the same ids as the library.
        Assert.Equal(ApplyMerges(vocab, text), ids);
    }

    [FixtureFact]
    public void ByteSymbolsMatchTheGpt2FixtureVocabulary()
    {
        var fixture = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(HfFixtures.Model("gpt2"), "vocab.json")))!;
        var bytes = fixture.Where(kv => kv.Value < 256).OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var ours = ByteLevelBpeBuilder.Build(Corpus, 300).Tokens.Take(256).ToArray();
        Assert.Equal(bytes, ours);
    }

    [Fact]
    public void BartVocabHasBartLayoutAndLoadsAsABartTokenizer()
    {
        var vocab = ByteLevelBpeBuilder.BuildBart(Corpus, vocabSize: 400);
        var gpt2 = ByteLevelBpeBuilder.Build(Corpus, vocabSize: 400 - 4);
        Assert.Equal(new[] { "<s>", "<pad>", "</s>", "<unk>" }, vocab.Tokens.Take(4));
        Assert.Equal("<mask>", vocab.Tokens[^1]);
        // Between them: GPT-2's byte symbols and merges for the same corpus (its <|endoftext|> left out).
        Assert.Equal(gpt2.Tokens.Take(gpt2.Tokens.Count - 1), vocab.Tokens.Skip(4).Take(vocab.Tokens.Count - 5));
        Assert.Equal(gpt2.Merges, vocab.Merges);
        Assert.True(vocab.Tokens.Count <= 400);

        var dir = TempDir();
        ByteLevelBpeBuilder.SaveBart(vocab, dir, modelMaxLength: 128);
        var tok = TokenizerFactory.FromFolder(dir);
        Assert.Equal((0, 1, 2, vocab.Tokens.Count - 1), (tok.BosTokenId, tok.PadTokenId, tok.EosTokenId, tok.MaskTokenId));
        Assert.Equal(3, tok.TokenToId("<unk>"));
        var text = "It was great. The prices were terrible!";
        var ids = tok.Encode(text);
        Assert.Equal(ApplyMerges(vocab, text), ids);
        Assert.Equal(text, tok.Decode(ids));
        Assert.Equal(ids.Prepend(0).Append(2), tok.BuildInputs(ids));
        // <mask> takes the space before it, as BART's does.
        Assert.Equal(tok.Encode("It was").Append(tok.MaskTokenId!.Value).Concat(tok.Encode(".")), tok.Encode("It was <mask>."));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")));
        Assert.Equal("BartTokenizer", config.RootElement.GetProperty("tokenizer_class").GetString());
    }

    [FixtureFact]
    public void BartByteSymbolsHaveTheIdsOfTheBartFixtureVocabulary()
    {
        var fixture = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(HfFixtures.Model("bart"), "vocab.json")))!;
        var layout = fixture.Where(kv => kv.Value < 4 + 256).OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        Assert.Equal(layout, ByteLevelBpeBuilder.BuildBart(Corpus, 300).Tokens.Take(4 + 256).ToArray());
        Assert.Equal("<mask>", fixture.MaxBy(kv => kv.Value).Key);
    }

    /// <summary>Reference BPE: apply merges by rank to each pre-token.</summary>
    private static List<int> ApplyMerges(ByteLevelBpeVocab vocab, string text)
    {
        var rank = vocab.Merges.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var id = vocab.Tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var result = new List<int>();
        foreach (System.Text.RegularExpressions.Match m in ByteLevelBpeBuilder.PreTokenizer.Matches(text))
        {
            var parts = ByteLevelBpeBuilder.ToByteLevel(m.Value).Select(c => c.ToString()).ToList();
            while (true)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                    if (rank.TryGetValue((parts[i], parts[i + 1]), out var r) && r < bestRank) { best = i; bestRank = r; }
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            result.AddRange(parts.Select(p => id[p]));
        }
        return result;
    }
}
