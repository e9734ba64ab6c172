using PromptLearning.Pet;

namespace PromptLearning.Tests.Pet;

public class PatternTests
{
    private static readonly string[] Words =
    {
        "the", "food", "was", "cold", "it", "great", "terr", "##ible", "good", "bad", ".", "?", ",", "yes", "no", "maybe",
        "service", "slow", "all", "in", "summary", "very",
        "Ġthe", "ĠThe", "The", "Ġfood", "Ġwas", "Ġcold", "It", "ĠIt", "Ġwas", "Ġgreat", "Ġgood", "Ġbad", "Ġterrible", "Ġyes", "Ġno",
        "Yes", "No", "Ġservice", "Ġslow", "Service", "Ġvery",
    };

    internal static FakeTokenizer Bert() => new(byteLevel: false, Words);
    internal static FakeTokenizer Roberta() => new(byteLevel: true, Words);

    [Fact]
    public void ParsesLiteralFieldsMaskAndLeadingSpaces()
    {
        var p = Pattern.Parse("{a} It was [MASK].");
        Assert.Collection(p.Segments,
            s => Assert.Equal(new PatternSegment.Field("a", false, false, false), s),
            s => Assert.Equal(new PatternSegment.Literal(" It was"), s),
            s => Assert.Equal(new PatternSegment.Mask(1, true), s),
            s => Assert.Equal(new PatternSegment.Literal("."), s));
        Assert.Equal(new[] { "a" }, p.FieldNames);

        var nli = Pattern.Parse("{h:nopunct}? [MASK], {p}");
        Assert.Equal(new PatternSegment.Field("h", false, true, false), nli.Segments[0]);
        Assert.Equal(new PatternSegment.Mask(1, true), nli.Segments[2]);
        Assert.Equal(new PatternSegment.Field("p", true, false, false), nli.Segments[4]);

        Assert.Equal(3, Pattern.Parse("{a} It was [MASK] [MASK][MASK].").MaskSlot.Count);
        Assert.True(Pattern.Parse("{a} [SEP] All in all, it was [MASK].").IsPair);
    }

    [Theory]
    [InlineData("{a} It was.", "0 [MASK] slots")]
    [InlineData("[MASK] {a} [MASK]", "2 [MASK] slots")]
    [InlineData("It was [MASK].", "no input placeholder")]
    [InlineData("{a:shout} [MASK]", "unknown modifier 'shout'")]
    public void RejectsBadTemplatesNamingTheProblem(string template, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Pattern.Parse(template));
        Assert.Contains(expected, e.Message);
        Assert.Contains(template, e.Message);
    }

    [Fact]
    public void RendersReadableText()
    {
        var ex = PetExample.Pair("The food was cold.", "The service was slow.");
        Assert.Equal("The service was slow? [MASK], The food was cold.", Pattern.Parse("{h:nopunct}? [MASK], {p}").Render(ex));
        Assert.Equal("the food was cold. It was <mask> <mask>.", Pattern.Parse("{a:lowerfirst} It was [MASK].").Render(ex, "<mask>", 2));
    }

    [Fact]
    public void EncodesForWordPieceWithMaskPosition()
    {
        var tok = Bert();
        var enc = Pattern.Parse("{a} It was [MASK].").Encode(tok, PetExample.Single("The food was cold."), 64);
        Assert.Equal(new[] { "[CLS]", "the", "food", "was", "cold", ".", "it", "was", "[MASK]", ".", "[SEP]" }, enc.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 8 }, enc.MaskPositions);
        Assert.All(enc.TokenTypeIds, t => Assert.Equal(0, t));
        Assert.Equal(0, enc.TruncatedTokens);
    }

    [Fact]
    public void EncodesForByteLevelBpeWithLeadingSpaces()
    {
        var tok = Roberta();
        var enc = Pattern.Parse("{a} It was [MASK].").Encode(tok, PetExample.Single("The food was cold."), 64);
        Assert.Equal(new[] { "<s>", "The", "Ġfood", "Ġwas", "Ġcold", ".", "ĠIt", "Ġwas", "<mask>", ".", "</s>" }, enc.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 8 }, enc.MaskPositions);

        // An input after a space gets Ġ on its first word; one at the start of a sequence does not.
        var nli = Pattern.Parse("{h:nopunct}? [MASK], {p}").Encode(tok, PetExample.Pair("The food was cold.", "The service was slow."), 64);
        Assert.Equal(new[] { "<s>", "The", "Ġservice", "Ġwas", "Ġslow", "?", "<mask>", ",", "ĠThe", "Ġfood", "Ġwas", "Ġcold", ".", "</s>" },
            nli.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 6 }, nli.MaskPositions);
    }

    [Fact]
    public void PairTemplatesUseTwoSegments()
    {
        var tok = Bert();
        var enc = Pattern.Parse("{a} [SEP] In summary, it was [MASK].").Encode(tok, PetExample.Single("The food was cold."), 64);
        var tokens = enc.InputIds.Select(tok.IdToToken).ToArray();
        Assert.Equal(new[] { "[CLS]", "the", "food", "was", "cold", ".", "[SEP]", "in", "summary", ",", "it", "was", "[MASK]", ".", "[SEP]" }, tokens);
        Assert.Equal(new[] { 12 }, enc.MaskPositions);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, enc.TokenTypeIds);
    }

    [Fact]
    public void TruncationShortensInputsNeverPatternOrMask()
    {
        var tok = Bert();
        var p = Pattern.Parse("{a} It was [MASK].");
        var ex = PetExample.Single("The food was very very very very cold.");
        var full = p.Encode(tok, ex, 64);
        Assert.Equal(15, full.InputIds.Length);

        var cut = p.Encode(tok, ex, 10);
        Assert.Equal(10, cut.InputIds.Length);
        Assert.Equal(5, cut.TruncatedTokens);
        Assert.Equal(new[] { "[CLS]", "the", "food", "was", "very", "it", "was", "[MASK]", ".", "[SEP]" }, cut.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 7 }, cut.MaskPositions);

        // Two inputs: the longer one loses tokens first.
        var nli = Pattern.Parse("{h}? [MASK], {p}");
        var pair = PetExample.Pair("The food was very very very very cold.", "Service was slow.");
        var enc = nli.Encode(tok, pair, 14);
        Assert.Equal(14, enc.InputIds.Length);
        Assert.Equal(new[] { "[CLS]", "service", "was", "slow", ".", "?", "[MASK]", ",", "the", "food", "was", "very", "very", "[SEP]" }, enc.InputIds.Select(tok.IdToToken));

        // Multi-token masks survive as well.
        var three = p.Encode(tok, ex, 10, maskCount: 3);
        Assert.Equal(new[] { 5, 6, 7 }, three.MaskPositions);
        Assert.Equal(new[] { "[MASK]", "[MASK]", "[MASK]", ".", "[SEP]" }, three.InputIds.Skip(5).Select(tok.IdToToken));

        var e = Assert.Throws<InvalidOperationException>(() => p.Encode(tok, ex, 5));
        Assert.Contains("max length is 5", e.Message);
    }

    [Fact]
    public void MissingFieldIsNamed()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => Pattern.Parse("{q} [MASK]").Encode(Bert(), PetExample.Single("x"), 16));
        Assert.Contains("'q'", e.Message);
    }
}
