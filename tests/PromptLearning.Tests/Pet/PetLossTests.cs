using PromptLearning.Prompts;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pet;

public class PetLossTests
{
    public PetLossTests() => TorchSharpNative.EnsureLoaded();

    private static double LogSoftmaxAt(double[] z, int k)
    {
        double max = z.Max();
        return z[k] - max - Math.Log(z.Sum(v => Math.Exp(v - max)));
    }

    [Theory]
    [InlineData(1e-4)]
    [InlineData(0.5)]
    public void LossIsCrossEntropyOverVerbalizerScoresPlusAlphaTimesMlm(double alpha)
    {
        var tok = PatternTests.Bert();
        using var model = new TinyLm(tok.VocabSize, 8, contextual: false, seed: 11);
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Parse("negative: bad; positive: great, good"), tok);
        var labelled = new[] { Ex.Single("The food was cold.", 0), Ex.Single("the service was slow", 1) };
        var unlabelled = new[] { Ex.Single("the food was great."), Ex.Single("service was very slow") };
        using var mlm = PvpTrainer.MaskForMlm(pvp, unlabelled, new Random(3), maskProbability: 0.5);

        // By hand, in double precision. The non-contextual model's logits at a position are Table[input id].
        var table = model.Table.to_type(ScalarType.Float64).data<double>().ToArray();
        int v = tok.VocabSize;
        double[] Row(long id) => table.Skip((int)id * v).Take(v).ToArray();
        int Id(string w) => tok.TokenToId(w)!.Value;
        var maskRow = Row(tok.MaskTokenId!.Value);
        var z = new[] { maskRow[Id("bad")], (maskRow[Id("great")] + maskRow[Id("good")]) / 2 };   // label scores (mean of words)
        double ce = -(LogSoftmaxAt(z, 0) + LogSoftmaxAt(z, 1)) / 2;

        var ids = mlm.InputIds.data<long>().ToArray();
        var labels = mlm.Labels!.data<long>().ToArray();
        double mlmSum = 0; int n = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (labels[i] == LossLabels.IgnoreIndex) continue;
            mlmSum += -LogSoftmaxAt(Row(ids[i]), (int)labels[i]);
            n++;
        }
        Assert.True(n > 0);
        double expected = (1 - alpha) * ce + alpha * (mlmSum / n);

        using var scope = NewDisposeScope();
        var loss = PvpTrainer.Loss(model, pvp, labelled, mlm, alpha);
        Assert.Equal(expected, loss.item<float>(), 5);
        // Without unlabelled data the loss is the cross-entropy alone, and the two differ.
        Assert.Equal(ce, PvpTrainer.Loss(model, pvp, labelled, null, alpha).item<float>(), 5);
        Assert.NotEqual(Math.Round(ce, 6), Math.Round(expected, 6));
    }

    [Fact]
    public void MlmMaskingSkipsSpecialAndPatternMaskTokens()
    {
        var tok = PatternTests.Bert();
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("n", "bad"), ("p", "great")), tok);
        var examples = Enumerable.Range(0, 20).Select(_ => Ex.Single("the food was very cold .")).ToArray();
        using var mlm = PvpTrainer.MaskForMlm(pvp, examples, new Random(1));
        var labels = mlm.Labels!.data<long>().ToArray();
        var original = pvp.Pattern.Encode(pvp.Tokenizer, examples[0], pvp.MaxLength, 1).InputIds;
        int len = (int)mlm.Labels.shape[1], chosen = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == LossLabels.IgnoreIndex) continue;
            chosen++;
            var tokText = tok.IdToToken(original[i % len]);
            Assert.DoesNotContain(tokText, new[] { "[CLS]", "[SEP]", "[MASK]", "[PAD]" });
            Assert.Equal(original[i % len], labels[i]);
        }
        Assert.InRange(chosen, 10, 50); // ~15% of 20 x 9 maskable tokens
    }

    [Fact]
    public void DistillationIsTemperatureScaledKl()
    {
        using var scope = NewDisposeScope();
        var student = tensor(new float[] { 1f, 0f, -1f, 0.5f, 0.5f, 2f }, new long[] { 2, 3 });
        var teacher = tensor(new float[] { 2f, 1f, 0f, -1f, 0f, 3f }, new long[] { 2, 3 });
        double t = 2;
        double expected = 0;
        var s = student.data<float>().ToArray(); var te = teacher.data<float>().ToArray();
        for (int b = 0; b < 2; b++)
        {
            var zs = s.Skip(b * 3).Take(3).Select(x => x / t).ToArray();
            var zt = te.Skip(b * 3).Take(3).Select(x => x / t).ToArray();
            for (int k = 0; k < 3; k++)
            {
                double pt = Math.Exp(LogSoftmaxAt(zt, k));
                expected += pt * (LogSoftmaxAt(zt, k) - LogSoftmaxAt(zs, k));
            }
        }
        expected = expected / 2 * t * t;
        Assert.Equal(expected, PetLoss.Distillation(student, teacher, t).item<float>(), 5);
        Assert.Equal(0.0, PetLoss.Distillation(teacher, teacher, t).item<float>(), 6);
    }
}
