using PromptLearning.Tokenization;

namespace PromptLearning.Tests.Tokenization;

public sealed class TokenizerFilesTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tok-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly string[] Texts = { "Hello world, the model runs.", "The quick brown fox jumps over the lazy dog.", "naïve 😀 test!" };

    string CopyOnly(string model, params string[] files)
    {
        var dir = Path.Combine(_dir, model + "-bare");
        Directory.CreateDirectory(dir);
        foreach (var f in files) File.Copy(Path.Combine(HfFixtures.Model(model), f), Path.Combine(dir, f));
        return dir;
    }

    /// <summary>Vocabulary files alone (as the vocab builders write them) give the same tokenizer as the full HF folder.</summary>
    [FixtureTheory]
    [InlineData("bert", "vocab.txt")]
    [InlineData("roberta", "vocab.json", "merges.txt")]
    [InlineData("gpt2", "vocab.json", "merges.txt")]
    public void BareVocabularyFilesLoadLikeTheFullFolder(string model, params string[] files)
    {
        var full = TokenizerFactory.FromFolder(HfFixtures.Model(model));
        var bare = TokenizerFactory.FromFolder(CopyOnly(model, files));
        Assert.Equal(full.GetType(), bare.GetType());
        foreach (var t in Texts)
            Assert.Equal(full.BuildInputs(full.Encode(t)), bare.BuildInputs(bare.Encode(t)));
        Assert.Equal(full.PadTokenId, bare.PadTokenId);
        Assert.Equal(full.MaskTokenId, bare.MaskTokenId);
        Assert.Equal(full.VocabSize, bare.VocabSize);
    }

    [FixtureTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("gpt2")]
    public void SaveThenLoadGivesTheSameTokenizer(string model)
    {
        var tok = TokenizerFactory.FromFolder(HfFixtures.Model(model));
        var dir = Path.Combine(_dir, model + "-saved");
        tok.Save(dir);
        var again = TokenizerFactory.FromFolder(dir);
        Assert.Equal(tok.GetType(), again.GetType());
        foreach (var t in Texts.Append($"a {tok.MaskToken ?? "b"} c"))
            Assert.Equal(tok.BuildInputs(tok.Encode(t), tok.Encode("x y")), again.BuildInputs(again.Encode(t), again.Encode("x y")));
        Assert.Equal(tok.ModelMaxLength, again.ModelMaxLength);
        Assert.Equal(tok.PadTokenId, again.PadTokenId);
    }

    [FixtureFact]
    public void AddPrefixSpaceAddsOneLeadingSpace()
    {
        var plain = TokenizerFactory.FromFolder(HfFixtures.Model("gpt2"));
        var dir = CopyOnly("gpt2", "vocab.json", "merges.txt");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"tokenizer_class\": \"GPT2Tokenizer\", \"add_prefix_space\": true}");
        var prefixed = TokenizerFactory.FromFolder(dir);
        Assert.Equal(plain.Encode(" Hello world"), prefixed.Encode("Hello world"));
        Assert.Equal(plain.Encode(" Hello world"), prefixed.Encode(" Hello world"));
        Assert.Empty(prefixed.Encode(""));
    }

    [FixtureFact]
    public void MissingMergesFileIsNamed()
    {
        var dir = CopyOnly("gpt2", "vocab.json", "config.json");
        var ex = Assert.Throws<FileNotFoundException>(() => TokenizerFactory.FromFolder(dir));
        Assert.Contains(Path.Combine(dir, "merges.txt"), ex.Message);
    }

    [Fact]
    public void EmptyFolderIsRejected()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => TokenizerFactory.FromFolder(_dir));
        Assert.Contains(_dir, ex.Message);
    }

    [Fact]
    public void MalformedFilesAreNamed()
    {
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{\"a\": 0,");
        File.WriteAllText(Path.Combine(_dir, "merges.txt"), "#version: 0.2\n");
        var ex = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromFolder(_dir, "gpt2"));
        Assert.Contains("vocab.json", ex.Message);

        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), "{\"do_lower_case\": \"yes\"}");
        ex = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromFolder(_dir));
        Assert.Contains("tokenizer_config.json", ex.Message);
        Assert.Contains("do_lower_case", ex.Message);
    }

    [Fact]
    public void VocabularyWithoutItsSpecialTokensIsRejected()
    {
        File.WriteAllLines(Path.Combine(_dir, "vocab.txt"), new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b" });
        var ex = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromFolder(_dir));
        Assert.Contains("[MASK]", ex.Message);
        Assert.Contains("vocab.txt", ex.Message);
    }
}
