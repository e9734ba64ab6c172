using PromptLearning.Prompts;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pet;

public class PvpTests
{
    public PvpTests() => TorchSharpNative.EnsureLoaded();

    [Fact]
    public void VerbalizerWordsGetLeadingSpaceForByteLevelBpe()
    {
        var tok = PatternTests.Roberta();
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("negative", "bad"), ("positive", "great")), tok);
        Assert.Equal("Ġbad", tok.IdToToken(pvp.LabelTokenIds[0][0].Single()));
        Assert.Equal("Ġgreat", tok.IdToToken(pvp.LabelTokenIds[1][0].Single()));
        // A mask at the start of a sequence has no space before it.
        var start = new Pvp(PromptTemplate.Parse("[MASK]: {a}"), Verbalizer.Of(("n", "No"), ("y", "Yes")), tok);
        Assert.Equal("Yes", tok.IdToToken(start.LabelTokenIds[1][0].Single()));
        var bert = PatternTests.Bert();
        Assert.Equal("great", bert.IdToToken(new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("n", "bad"), ("p", "Great")), bert).LabelTokenIds[1][0].Single()));
    }

    [Fact]
    public void SingleTokenRequirementNamesTheWord()
    {
        var tok = PatternTests.Bert();
        var v = Verbalizer.Of(("negative", "terrible"), ("positive", "great"));
        var e = Assert.Throws<ArgumentException>(() => new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), v, tok, allowMultiToken: false));
        Assert.Contains("'terrible'", e.Message);
        Assert.Contains("2 tokens (terr ##ible)", e.Message);
        Assert.Contains("single token", e.Message);

        var unknown = Assert.Throws<ArgumentException>(() => new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("n", "awful"), ("p", "great")), tok));
        Assert.Contains("'awful'", unknown.Message);
        Assert.Contains("[UNK]", unknown.Message);

        // Two written masks allow words of two tokens, not three.
        Assert.True(new Pvp(PromptTemplate.Parse("{a} It was [MASK] [MASK]."), v, tok).IsMultiToken);
        var one = Assert.Throws<ArgumentException>(() => new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), v, tok, allowMultiToken: false));
        Assert.Contains("label 'negative'", one.Message);
    }

    [Fact]
    public void VerbalizerParsesAndValidates()
    {
        var v = Verbalizer.Parse("negative: terrible, bad; positive: great, good", VerbalizerReduction.Sum);
        Assert.Equal(new[] { "negative", "positive" }, v.Labels);
        Assert.Equal(new[] { "great", "good" }, v.Words[1]);
        Assert.Equal(1, v.IndexOf("positive"));
        Assert.Throws<FormatException>(() => Verbalizer.Parse("negative terrible; positive: great"));
        Assert.Contains("'x' appears twice", Assert.Throws<ArgumentException>(() => Verbalizer.Parse("x: a; x: b")).Message);
    }

    [Fact]
    public void SingleTokenScoresAreVerbalizerLogitsAtTheMask()
    {
        var tok = PatternTests.Bert();
        using var model = new TinyLm(tok.VocabSize, 8, contextual: false, seed: 3);
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Parse("negative: bad, cold; positive: great"), tok);
        var examples = new[] { Ex.Single("The food was cold."), Ex.Single("the service was slow") };
        var scores = pvp.Predict(model, examples);
        var row = model.Table[tok.MaskTokenId!.Value].data<float>().ToArray();
        int Id(string w) => tok.TokenToId(w)!.Value;
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal((row[Id("bad")] + row[Id("cold")]) / 2, scores[i, 0], 5);
            Assert.Equal(row[Id("great")], scores[i, 1], 5);
        }
        var sum = new Pvp(pvp.Pattern, Verbalizer.Parse("negative: bad, cold; positive: great", VerbalizerReduction.Sum), tok).Predict(model, examples);
        Assert.Equal(row[Id("bad")] + row[Id("cold")], sum[0, 0], 5);
    }

    [Fact]
    public void MultiTokenWordsSumLogProbabilities()
    {
        var tok = PatternTests.Bert();
        using var model = new TinyLm(tok.VocabSize, 8, contextual: false, seed: 5);
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Parse("negative: terrible; positive: great"), tok);
        Assert.True(pvp.IsMultiToken);
        var ex = new[] { Ex.Single("The food was cold.") };
        // Non-contextual model: every mask sees the mask row, whatever was filled in elsewhere.
        var row = model.Table[tok.MaskTokenId!.Value].to_type(ScalarType.Float64).data<double>().ToArray();
        double lse = Math.Log(row.Sum(Math.Exp));
        int Id(string w) => tok.TokenToId(w)!.Value;
        double terrible = row[Id("terr")] - lse + row[Id("##ible")] - lse, great = row[Id("great")] - lse;
        foreach (var decoding in Enum.GetValues<MultiTokenDecoding>())
        {
            var s = pvp.Predict(model, ex, decoding: decoding);
            Assert.Equal(terrible, s[0, 0], 4);
            Assert.Equal(great, s[0, 1], 4);
        }
        using var scope = NewDisposeScope();
        var train = pvp.ClassLogits(model, ex);
        Assert.Equal(terrible, train[0, 0].item<float>(), 4);
    }

    [Fact]
    public void MostConfidentFirstFillsTheSurerMaskFirst()
    {
        var tok = PatternTests.Bert();
        using var model = new TinyLm(tok.VocabSize, 8, contextual: true, seed: 7);
        model.eval();
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Parse("negative: terrible; positive: great"), tok);
        var ex = Ex.Single("The food was cold.");
        var got = pvp.Predict(model, new[] { ex })[0, 0];

        // By hand: two masks, score both tokens, fill the likelier one, re-run, add the other.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var enc = pvp.Pattern.Encode(pvp.Tokenizer, ex, pvp.MaxLength, 2);
        int[] toks = { tok.TokenToId("terr")!.Value, tok.TokenToId("##ible")!.Value };
        Tensor LogProbs(int[] ids) => model.Forward(new ForwardArgs { InputIds = tensor(ids.Select(i => (long)i).ToArray(), new long[] { 1, ids.Length }) }).Logits![0].log_softmax(-1);
        var lp = LogProbs(enc.InputIds);
        double p0 = lp[enc.MaskPositions[0], toks[0]].item<float>(), p1 = lp[enc.MaskPositions[1], toks[1]].item<float>();
        int first = p0 >= p1 ? 0 : 1, second = 1 - first;
        var filled = (int[])enc.InputIds.Clone();
        filled[enc.MaskPositions[first]] = toks[first];
        double expected = Math.Max(p0, p1) + LogProbs(filled)[enc.MaskPositions[second], toks[second]].item<float>();
        Assert.Equal(expected, got, 4);
    }

    [Fact]
    public void ExplainShowsTokensAndScoredIds()
    {
        var tok = PatternTests.Roberta();
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("negative", "bad"), ("positive", "great")), tok);
        var view = pvp.Explain(Ex.Single("The food was cold."));
        Assert.Equal("The food was cold. It was <mask>.", view.Text);
        Assert.Equal("<mask>", view.Tokens[view.MaskPositions[0]]);
        Assert.Equal("Ġgreat", view.Verbalizations[1].Words[0].Tokens[0]);
    }
}
