using PromptLearning.Prompts;
using PromptLearning.Tests.Pet;

namespace PromptLearning.Tests.Prompts;

public class BatchBuilderTests
{
    static BatchBuilder Builder(TaskDefinition task, string template, bool byteLevel = false, int max = 64)
        => new(new FakeTokenizer(byteLevel, PromptTestKit.Words), [(task, PromptTemplate.Parse(template))], max, causal: byteLevel);

    [Fact]
    public void SlotsMaskAndPaddingAreLaidOut()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        var b = Builder(PromptTestKit.Sentiment(), "[P*2] {x} [P] [MASK] .");
        using var batch = b.Build([new PromptExample("the movie was good") { Label = 1 }, new PromptExample("bad") { Label = 0 }]);
        // [CLS] P P the movie was good P [MASK] . [SEP]
        Assert.Equal(new long[] { 2, 11 }, batch.InputIds.shape);
        Assert.Equal(new long[] { -1, 0, 1, -1, -1, -1, -1, 2, -1, -1, -1 }, batch.Slots[0].data<long>().ToArray());
        Assert.Equal(new long[] { -1, 0, 1, -1, 2, -1, -1, -1, -1, -1, -1 }, batch.Slots[1].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, batch.AttentionMask[1].data<long>().ToArray());
        Assert.Equal(new long[] { 8, 5 }, batch.MaskPositions.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 0 }, batch.Labels!.data<long>().ToArray());
        Assert.Equal([11, 8], batch.Lengths);
    }

    [FixtureFact]
    public void PairTemplateGetsTheTokenizersSegmentIds()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        var folder = HfFixtures.Model("bert");
        var tok = PromptLearning.Tokenization.TokenizerFactory.FromFolder(folder);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var pair = doc.RootElement.GetProperty("tokenization").GetProperty("pair");
        long[] Ints(string name) => pair.GetProperty(name).EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var task = new TaskDefinition { Name = "nli", Kind = TaskKind.Classification, Labels = ["no", "yes"] };
        var b = new BatchBuilder(tok, [(task, PromptTemplate.Parse("{a} [SEP] {b}"))], 64, causal: false);
        using var batch = b.Build([new PromptExample(pair.GetProperty("text").GetString()!, pair.GetProperty("text_pair").GetString())], withTargets: false);
        // [CLS] a [SEP] b [SEP]: the second text and the final [SEP] are segment 1, as the tokenizer's pair encoding.
        Assert.Equal(Ints("input_ids"), batch.InputIds[0].data<long>().ToArray());
        Assert.Equal(Ints("token_type_ids"), batch.TokenTypeIds[0].data<long>().ToArray());
        // A single-text template stays segment 0.
        var single = new BatchBuilder(tok, [(task, PromptTemplate.Parse("{a} ."))], 64, causal: false);
        using var one = single.Build([new PromptExample(pair.GetProperty("text").GetString()!)], withTargets: false);
        Assert.Equal(0, one.TokenTypeIds.sum().item<long>());
    }

    [Fact]
    public void LongInputIsTruncatedNotTheTemplate()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        var b = Builder(PromptTestKit.Sentiment(), "[P*3] {x} it was [MASK] .", max: 12);
        using var batch = b.Build([new PromptExample(string.Join(" ", Enumerable.Repeat("very", 40)) + " good") { Label = 1 }]);
        Assert.Equal(12, batch.Lengths[0]);
        Assert.Equal(3, batch.Slots.ge(0).sum().item<long>());
        Assert.Equal(9, batch.MaskPositions[0].item<long>());
    }

    [Fact]
    public void TagsSitOnEachWordsFirstPiece()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        var b = Builder(PromptTestKit.Tagging(), "[P*2] {x}");
        using var batch = b.Build([new PromptExample("the pub is in the city centre") { Tags = [0, 0, 0, 0, 0, 1, 2] }]);
        // [CLS] P P the pub is in the city centre [SEP]
        Assert.Equal(new long[] { -100, -100, -100, 0, 0, 0, 0, 0, 1, 2, -100 }, batch.Labels![0].data<long>().ToArray());
        Assert.Equal([3, 4, 5, 6, 7, 8, 9], batch.WordStarts![0]);
    }

    [Fact]
    public void GenerationLabelsCoverOnlyTheTarget()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        var tok = new FakeTokenizer(true, PromptTestKit.Words);
        var b = new BatchBuilder(tok, [(PromptTestKit.Generation(), PromptTemplate.Parse("{x}"))], 64, causal: true);
        using var train = b.Build([new PromptExample("name : cotto") { Target = "cotto is a pub ." }]);
        using var infer = b.Build([new PromptExample("name : cotto") { Target = "cotto is a pub ." }], withTargets: false);
        // <s> name : cotto </s> | cotto is a pub . </s>  (FakeTokenizer wraps with <s> </s>, then separator + target + eos)
        var labels = train.Labels![0].data<long>().ToArray();
        int source = infer.Lengths[0];
        Assert.All(labels.Take(source), l => Assert.Equal(-100, l));
        Assert.Equal(train.InputIds[0].data<long>().Skip(source).ToArray(), labels.Skip(source).ToArray());
        Assert.Equal(tok.EosTokenId, (int)labels[^1]);
    }

    [Fact]
    public void UnknownTaskIsNamed()
    {
        var b = Builder(PromptTestKit.Sentiment(), "{x} [MASK]");
        var e = Assert.Throws<ArgumentException>(() => b.Build([new PromptExample("good") { Label = 1, Task = "nli" }]));
        Assert.Contains("nli", e.Message);
    }
}
