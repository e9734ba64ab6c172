using PromptLearning.Tokenization;
using PromptLearning.Prompts;
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
        var p = PromptTemplate.Parse("{a} It was [MASK].");
        Assert.Collection(p.Parts,
            s => Assert.Equal(new TemplatePart(TemplatePartKind.Field, "a"), s),
            s => Assert.Equal(new TemplatePart(TemplatePartKind.Text, " It was "), s),
            s => Assert.Equal(new TemplatePart(TemplatePartKind.Mask, "[MASK]"), s),
            s => Assert.Equal(new TemplatePart(TemplatePartKind.Text, "."), s));
        Assert.True(p.MaskAfterSpace);

        var nli = PromptTemplate.Parse("{h:nopunct}? [MASK], {p}");
        Assert.Equal(new TemplatePart(TemplatePartKind.Field, "b") { NoFinalPunctuation = true }, nli.Parts[0]);
        Assert.Equal(new TemplatePart(TemplatePartKind.Mask, "[MASK]"), nli.Parts[2]);
        Assert.True(nli.MaskAfterSpace);
        Assert.Equal(new TemplatePart(TemplatePartKind.Field, "a"), nli.Parts[4]);
        Assert.False(PromptTemplate.Parse("[MASK]: {a}").MaskAfterSpace);

        Assert.Equal(3, PromptTemplate.Parse("{a} It was [MASK] [MASK][MASK].").MaskSlot!.Count);
        Assert.True(PromptTemplate.Parse("{a} [SEP] All in all, it was [MASK].").IsPair);
    }

    [Theory]
    [InlineData("[MASK] {a} [MASK]", "2 [MASK] slots")]
    [InlineData("It was [MASK].", "no input field")]
    [InlineData("{a:shout} [MASK]", "unknown modifier 'shout'")]
    [InlineData("{q} [MASK]", "unknown field 'q'")]
    public void RejectsBadTemplatesNamingTheProblem(string template, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PromptTemplate.Parse(template));
        Assert.Contains(expected, e.Message);
        Assert.Contains(template, e.Message);
    }

    [Fact]
    public void PvpNeedsAMaskSlot()
    {
        var e = Assert.Throws<ArgumentException>(() => new Pvp(PromptTemplate.Parse("{a} It was."), Verbalizer.Of(("n", "bad"), ("p", "good")), Bert()));
        Assert.Contains("0 [MASK] slots", e.Message);
        Assert.Contains("{a} It was.", e.Message);
    }

    [Fact]
    public void RendersReadableText()
    {
        var ex = Ex.Pair("The food was cold.", "The service was slow.");
        Assert.Equal("The service was slow? [MASK], The food was cold.", PromptTemplate.Parse("{h:nopunct}? [MASK], {p}").Render(ex));
        Assert.Equal("the food was cold. It was <mask> <mask>.", PromptTemplate.Parse("{a:lowerfirst} It was [MASK].").Render(ex, maskText: "<mask>", maskCount: 2));
    }

    [Fact]
    public void EncodesForWordPieceWithMaskPosition()
    {
        var tok = Bert();
        var enc = PromptTemplate.Parse("{a} It was [MASK].").Encode(tok, Ex.Single("The food was cold."), 64);
        Assert.Equal(new[] { "[CLS]", "the", "food", "was", "cold", ".", "it", "was", "[MASK]", ".", "[SEP]" }, enc.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 8 }, enc.MaskPositions);
        Assert.All(enc.TokenTypeIds, t => Assert.Equal(0, t));
        Assert.Equal(0, enc.TruncatedTokens);
    }

    [Fact]
    public void EncodesForByteLevelBpeWithLeadingSpaces()
    {
        var tok = Roberta();
        var enc = PromptTemplate.Parse("{a} It was [MASK].").Encode(tok, Ex.Single("The food was cold."), 64);
        Assert.Equal(new[] { "<s>", "The", "Ġfood", "Ġwas", "Ġcold", ".", "ĠIt", "Ġwas", "<mask>", ".", "</s>" }, enc.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 8 }, enc.MaskPositions);

        // An input after a space gets Ġ on its first word; one at the start of a sequence does not.
        var nli = PromptTemplate.Parse("{h:nopunct}? [MASK], {p}").Encode(tok, Ex.Pair("The food was cold.", "The service was slow."), 64);
        Assert.Equal(new[] { "<s>", "The", "Ġservice", "Ġwas", "Ġslow", "?", "<mask>", ",", "ĠThe", "Ġfood", "Ġwas", "Ġcold", ".", "</s>" },
            nli.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 6 }, nli.MaskPositions);
    }

    [Fact]
    public void PairTemplatesUseTwoSegments()
    {
        var tok = Bert();
        var enc = PromptTemplate.Parse("{a} [SEP] In summary, it was [MASK].").Encode(tok, Ex.Single("The food was cold."), 64);
        var tokens = enc.InputIds.Select(tok.IdToToken).ToArray();
        Assert.Equal(new[] { "[CLS]", "the", "food", "was", "cold", ".", "[SEP]", "in", "summary", ",", "it", "was", "[MASK]", ".", "[SEP]" }, tokens);
        Assert.Equal(new[] { 12 }, enc.MaskPositions);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, enc.TokenTypeIds);
    }

    [Fact]
    public void TruncationShortensInputsNeverPatternOrMask()
    {
        var tok = Bert();
        var p = PromptTemplate.Parse("{a} It was [MASK].");
        var ex = Ex.Single("The food was very very very very cold.");
        var full = p.Encode(tok, ex, 64);
        Assert.Equal(15, full.InputIds.Length);

        var cut = p.Encode(tok, ex, 10);
        Assert.Equal(10, cut.InputIds.Length);
        Assert.Equal(5, cut.TruncatedTokens);
        Assert.Equal(new[] { "[CLS]", "the", "food", "was", "very", "it", "was", "[MASK]", ".", "[SEP]" }, cut.InputIds.Select(tok.IdToToken));
        Assert.Equal(new[] { 7 }, cut.MaskPositions);

        // Two inputs: the longer one loses tokens first.
        var nli = PromptTemplate.Parse("{h}? [MASK], {p}");
        var pair = Ex.Pair("The food was very very very very cold.", "Service was slow.");
        var enc = nli.Encode(tok, pair, 14);
        Assert.Equal(14, enc.InputIds.Length);
        Assert.Equal(new[] { "[CLS]", "service", "was", "slow", ".", "?", "[MASK]", ",", "the", "food", "was", "very", "very", "[SEP]" }, enc.InputIds.Select(tok.IdToToken));

        // Multi-token masks survive as well.
        var three = p.Encode(tok, ex, 10, maskCount: 3);
        Assert.Equal(new[] { 5, 6, 7 }, three.MaskPositions);
        Assert.Equal(new[] { "[MASK]", "[MASK]", "[MASK]", ".", "[SEP]" }, three.InputIds.Skip(5).Select(tok.IdToToken));

        var e = Assert.Throws<ArgumentException>(() => p.Encode(tok, ex, 5));
        Assert.Contains("max length is 5", e.Message);
    }

    [Fact]
    public void MissingSecondTextIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => PromptTemplate.Parse("{h} [MASK]").Encode(Bert(), Ex.Single("the food"), 16));
        Assert.Contains("{b}", e.Message);
        Assert.Contains("the food", e.Message);
    }
}

/// <summary>One example encoded by the library's batch builder under a template, as PET encodes it.</summary>
internal sealed record EncodedExample(int[] InputIds, int[] TokenTypeIds, int[] MaskPositions, int TruncatedTokens);

internal static class TemplateEncoding
{
    /// <summary>Encodes <paramref name="example"/> under <paramref name="template"/> with the <see cref="BatchBuilder"/> (a one-row batch).</summary>
    public static EncodedExample Encode(this PromptTemplate template, TextTokenizer tokenizer, PromptExample example, int maxLength, int? maskCount = null)
    {
        var task = new TaskDefinition { Name = "pet", Kind = TaskKind.Classification, Labels = ["n", "p"] };
        using var b = new BatchBuilder(tokenizer, [(task, template)], maxLength, causal: false).Build([example], withTargets: false, maskCount: maskCount);
        return new EncodedExample(b.InputIds[0].data<long>().Select(i => (int)i).ToArray(), b.TokenTypeIds[0].data<long>().Select(i => (int)i).ToArray(),
            b.MaskSlots[0].Select(i => (int)i).ToArray(), b.TruncatedTokens[0]);
    }
}
