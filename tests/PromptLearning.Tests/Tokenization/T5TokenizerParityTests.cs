using System.Text.Json;
using PromptLearning.Tokenization;

namespace PromptLearning.Tests.Tokenization;

/// <summary>T5's SentencePiece tokenizer against <c>transformers</c>' <c>T5Tokenizer</c> (t5/expected.json tokenization, config and token files).</summary>
public sealed class T5TokenizerParityTests
{
    static string Folder => HfFixtures.Model("t5");

    static T5TextTokenizer Load() => Assert.IsType<T5TextTokenizer>(TokenizerFactory.FromFolder(Folder));

    [FixtureFact]
    public void TextsMatchWithEosAppended()
    {
        var tok = Load();
        var texts = HfFixtures.Json("t5", "expected.json").GetProperty("tokenization");
        Assert.NotEmpty(texts.EnumerateObject());
        foreach (var t in texts.EnumerateObject())
        {
            var expected = t.Value.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, tok.BuildInputs(tok.Encode(t.Name)).ToArray());
            Assert.Equal(tok.EosTokenId, expected[^1]);
        }
    }

    [FixtureFact]
    public void VocabularyAndSpecialTokensMatchTheConfig()
    {
        var tok = Load();
        var config = HfFixtures.Json("t5", "config.json");
        Assert.Equal(config.GetProperty("vocab_size").GetInt32(), tok.VocabSize);
        Assert.Equal(config.GetProperty("pad_token_id").GetInt32(), tok.PadTokenId);
        Assert.Equal(config.GetProperty("eos_token_id").GetInt32(), tok.EosTokenId);

        var sentinels = HfFixtures.Json("t5", "special_tokens_map.json").GetProperty("additional_special_tokens").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(sentinels.Count, tok.ExtraIds);
        for (int i = 0; i < sentinels.Count; i++)
        {
            int id = tok.VocabSize - 1 - i;
            Assert.Equal($"<extra_id_{i}>", sentinels[i]);
            Assert.Equal(id, tok.TokenToId(sentinels[i]));
            Assert.Equal(id, tok.SentinelId(i));
            Assert.Equal(sentinels[i], tok.IdToToken(id));
        }
    }

    [FixtureFact]
    public void SentinelsInTextAreKeptWholeAndDecodeBack()
    {
        var tok = Load();
        var texts = HfFixtures.Json("t5", "expected.json").GetProperty("tokenization").EnumerateObject().Select(p => p.Name).ToList();
        string a = texts[0], b = texts[^1];
        var ids = tok.Encode($"{a} <extra_id_0> {b}");
        var expected = tok.Encode(a).Append(tok.SentinelId(0)).Concat(tok.Encode(b)).ToArray();
        Assert.Equal(expected, ids.ToArray());
        Assert.Equal(b, tok.Decode(tok.BuildInputs(tok.Encode(b))));
        // T5Tokenizer.convert_tokens_to_string writes a special token straight after the decoded pieces before it.
        Assert.Equal($"{b}<extra_id_0>", tok.Decode(tok.Encode(b).Append(tok.SentinelId(0)), skipSpecialTokens: false));
    }

    [FixtureFact]
    public void SaveWritesAFolderThatLoadsTheSame()
    {
        var tok = Load();
        var dir = Directory.CreateTempSubdirectory("t5-tok-").FullName;
        try
        {
            tok.Save(dir);
            var again = Assert.IsType<T5TextTokenizer>(TokenizerFactory.FromFolder(dir));
            Assert.Equal(tok.VocabSize, again.VocabSize);
            Assert.Equal(tok.ExtraIds, again.ExtraIds);
            foreach (var t in HfFixtures.Json("t5", "expected.json").GetProperty("tokenization").EnumerateObject())
                Assert.Equal(tok.Encode(t.Name), again.Encode(t.Name));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
