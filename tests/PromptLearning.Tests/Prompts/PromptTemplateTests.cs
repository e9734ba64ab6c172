using PromptLearning.Prompts;

namespace PromptLearning.Tests.Prompts;

public class PromptTemplateTests
{
    [Fact]
    public void ParsesSlotsFieldsMaskAndAnchors()
    {
        var t = PromptTemplate.Parse("[P][P*2] {x} ? [P] [MASK] .");
        Assert.Equal(4, t.SlotCount);
        Assert.True(t.HasMask);
        Assert.Equal(
            [TemplatePartKind.Slot, TemplatePartKind.Slot, TemplatePartKind.Slot, TemplatePartKind.Text, TemplatePartKind.Field,
             TemplatePartKind.Text, TemplatePartKind.Slot, TemplatePartKind.Text, TemplatePartKind.Mask, TemplatePartKind.Text],
            t.Parts.Select(p => p.Kind));
        Assert.Equal("a", t.Parts[4].Value);
        Assert.Equal("[P][P][P] nice ? [P] [MASK] .", t.Render(new PromptExample("nice")));
    }

    [Fact]
    public void RejectsTemplatesWithoutInputOrWithTwoMasks()
    {
        Assert.Throws<FormatException>(() => PromptTemplate.Parse("[P] [MASK]"));
        Assert.Throws<FormatException>(() => PromptTemplate.Parse("{x} [MASK] and [MASK]"));
        // Consecutive masks are one slot for a label word of several tokens (PET's patterns).
        Assert.Equal(2, PromptTemplate.Parse("{x} [MASK] [MASK]").MaskSlot!.Count);
    }

    [Fact]
    public void WithPrefixPutsVirtualTokensFirst()
    {
        var t = PromptTemplate.WithPrefix(5, "{x} [MASK]");
        Assert.Equal(5, t.SlotCount);
        Assert.Equal(TemplatePartKind.Slot, t.Parts[0].Kind);
    }
}
