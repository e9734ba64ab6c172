using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pet;

/// <summary>PET on the real tokenizers and backbones, with the tiny Hugging Face fixtures.</summary>
public class PetFixtureTests
{
    public PetFixtureTests() => TorchSharpNative.EnsureLoaded();

    private static (ILanguageModel Model, TextTokenizer Tokenizer) Load(string name)
    {
        var folder = HfFixtures.Model(name);
        var config = ConfigFile.Read(Path.Combine(folder, "config.json"));
        var model = new BertForMaskedLM(config);
        StateDictLoader.Load(model.Module, Path.Combine(folder, "model.safetensors"), TiedWeights.OptionsFor(config.ModelType) with { TiedAliases = model.TiedWeights });
        return (model, TokenizerFactory.FromFolder(folder));
    }

    private static float[] MaskLogits(ILanguageModel model, EncodedPattern enc)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Module.eval();
        var ids = tensor(enc.InputIds.Select(i => (long)i).ToArray(), new long[] { 1, enc.InputIds.Length });
        var types = tensor(enc.TokenTypeIds.Select(i => (long)i).ToArray(), new long[] { 1, enc.InputIds.Length });
        return model.Forward(new ForwardArgs { InputIds = ids, TokenTypeIds = types }).Logits![0, enc.MaskPositions[0]].data<float>().ToArray();
    }

    [FixtureFact]
    public void BertWordPieceClozeScoresAreTheMlmLogitsOfTheVerbalizerTokens()
    {
        var (model, tok) = Load("bert");
        using var _ = model;
        var pvp = new Pvp(Pattern.Parse("{a} it was [MASK]."), Verbalizer.Of(("negative", "no"), ("positive", "yes")), tok, maxLength: 32);
        var ex = PetExample.Single("The quick brown fox sat on the mat.", 1);
        var enc = pvp.Encode(ex);
        Assert.Equal("[CLS] the quick brown fox sat on the mat . it was [MASK] . [SEP]", string.Join(" ", enc.InputIds.Select(tok.IdToToken)));
        var logits = MaskLogits(model, enc);
        var scores = pvp.Predict(model, new[] { ex });
        Assert.Equal(logits[tok.TokenToId("no")!.Value], scores[0, 0], 5);
        Assert.Equal(logits[tok.TokenToId("yes")!.Value], scores[0, 1], 5);

        var e = Assert.Throws<ArgumentException>(() => new Pvp(pvp.Pattern, Verbalizer.Of(("negative", "no"), ("positive", "jumped")), tok, allowMultiToken: false));
        Assert.Contains("'jumped'", e.Message);
        Assert.Contains("jump ##ed", e.Message);

        // Truncation keeps the pattern and the mask on the real tokenizer too.
        var cut = pvp.Encode(PetExample.Single(string.Join(" ", Enumerable.Repeat("the lazy dog", 30))));
        Assert.Equal(32, cut.InputIds.Length);
        Assert.Equal("it was [MASK] . [SEP]", string.Join(" ", cut.InputIds.TakeLast(5).Select(tok.IdToToken)));
    }

    [FixtureFact]
    public void RobertaByteLevelVerbalizerTokensCarryTheLeadingSpace()
    {
        var (model, tok) = Load("roberta");
        using var _ = model;
        var pvp = new Pvp(Pattern.Parse("{a} the [MASK]."), Verbalizer.Of(("a", "world"), ("b", "model")), tok, maxLength: 40, allowMultiToken: false);
        Assert.Equal("Ġworld", tok.IdToToken(pvp.LabelTokenIds[0][0].Single()));
        Assert.Equal("Ġmodel", tok.IdToToken(pvp.LabelTokenIds[1][0].Single()));
        var ex = PetExample.Single("the model runs");
        var enc = pvp.Encode(ex);
        Assert.Equal(tok.Encode("the model runs the").Count + 4, enc.InputIds.Length); // <s> ... <mask> . </s>
        Assert.Equal(tok.MaskTokenId, enc.InputIds[enc.MaskPositions[0]]);
        var logits = MaskLogits(model, enc);
        var scores = pvp.Predict(model, new[] { ex });
        Assert.Equal(logits[tok.TokenToId("Ġworld")!.Value], scores[0, 0], 5);
        Assert.Equal(logits[tok.TokenToId("Ġmodel")!.Value], scores[0, 1], 5);

        // At the start of a sequence there is no space: "world" is then several byte-level tokens.
        var e = Assert.Throws<ArgumentException>(() => new Pvp(Pattern.Parse("[MASK]: {a}"), Verbalizer.Of(("a", "world"), ("b", "model")), tok, allowMultiToken: false));
        Assert.Contains("'world'", e.Message);
        Assert.True(new Pvp(Pattern.Parse("[MASK]: {a}"), Verbalizer.Of(("a", "world"), ("b", "model")), tok).IsMultiToken);
    }

    [FixtureFact]
    public void PetTrainingAndTheClassifierRunOnTheRealBackbone()
    {
        var (model, tok) = Load("bert");
        using var _ = model;
        var pvp = new Pvp(Pattern.Parse("{a} it was [MASK]."), Verbalizer.Of(("negative", "no"), ("positive", "yes")), tok, maxLength: 32);
        var train = new[] { PetExample.Single("the cat sat on the mat", 1), PetExample.Single("the dog is lazy", 0) };
        var pool = new[] { PetExample.Single("a quick brown fox"), PetExample.Single("hello world"), PetExample.Single("this is a test") };
        var cfg = new PvpTrainingConfig { Trainer = new TrainerConfig { MaxSteps = 30, BatchSize = 2, LearningRate = 2e-3, EvalEvery = 0, LogEvery = 100 }, UnlabelledBatchSize = 2 };
        var result = PvpTrainer.Train(model, pvp, train, pool, cfg);
        Assert.True(result.StepLosses.TakeLast(5).Average() < result.StepLosses.Take(5).Average(), $"loss {string.Join(" ", result.StepLosses)}");
        Assert.Equal(1.0, pvp.Accuracy(model, train));

        using var classifier = new SequenceClassifier(Load("bert").Model, 2);
        var logits = classifier.Predict(tok, pool, 32);
        Assert.Equal(3, logits.GetLength(0));
        Assert.All(Enumerable.Range(0, 3), i => Assert.True(float.IsFinite(logits[i, 0])));
    }
}
