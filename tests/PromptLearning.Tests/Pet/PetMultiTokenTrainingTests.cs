using PromptLearning.Prompts;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pet;

/// <summary>
/// PET's multi-token training (timoschick/pet <c>MultiMaskTaskHelper.train_step</c>): one forward pass at the
/// largest token count, each label scored by its word's summed token log-probabilities at the first masks,
/// and a hinge loss with margin 1 over the wrong labels.
/// </summary>
public sealed class PetMultiTokenTrainingTests
{
    public PetMultiTokenTrainingTests() => TorchSharpNative.EnsureLoaded();

    /// <summary>Counts forward passes and keeps the last input ids.</summary>
    sealed class CountingModel(ILanguageModel inner) : ILanguageModel
    {
        public int Calls { get; private set; }
        public long[,]? LastInputIds { get; private set; }
        public TransformerConfig Config => inner.Config;
        public nn.Module Module => inner.Module;
        public Tensor EmbedTokens(Tensor inputIds) => inner.EmbedTokens(inputIds);
        public ForwardOutput Forward(ForwardArgs args)
        {
            Calls++;
            var ids = args.InputIds!;
            var flat = ids.data<long>().ToArray();
            LastInputIds = new long[ids.shape[0], ids.shape[1]];
            Buffer.BlockCopy(flat, 0, LastInputIds, 0, flat.Length * sizeof(long));
            return inner.Forward(args);
        }
        public void Dispose() { }
    }

    /// <summary>Whole-word vocabulary entries that encode to themselves (so phrases of them have known token counts in any fixture set).</summary>
    static List<string> Words(TextTokenizer tok, int n) =>
        Enumerable.Range(0, tok.VocabSize).Select(tok.IdToToken)
            .Where(t => t.Length >= 2 && t.All(char.IsAsciiLetterLower) && tok.Encode(t).Count == 1)
            .Take(n).ToList();

    [Fact]
    public void HingeTakesTheLargestMarginOverWrongLabels()
    {
        using var scope = NewDisposeScope();
        var scores = tensor(new float[,] { { -1f, -0.5f, -3f }, { -2f, -2.5f, -1.2f } });
        var labels = tensor(new long[] { 0, 2 });
        // Row 0: max(0, 1 + 1 - 0.5) + max(0, 1 + 1 - 3) = 1.5; row 1: max(0, 1 + 1.2 - 2) + max(0, 1 + 1.2 - 2.5) = 0.2.
        Assert.Equal((1.5 + 0.2) / 2, PetLoss.Hinge(scores, labels).item<float>(), 5);
        Assert.Equal(0f, PetLoss.Hinge(tensor(new float[,] { { 0f, -1f, -1.5f } }), tensor(new long[] { 0 })).item<float>());
    }

    [FixtureFact]
    public void MultiTokenLossIsPetsHingeOverOnePassAtTheMostMasks()
    {
        using var scope = NewDisposeScope();
        using var loaded = Pretrained.Load(HfFixtures.Model("bert"));
        var tok = loaded.Tokenizer;
        var w = Words(tok, 7);
        Assert.True(w.Count == 7, "the fixture vocabulary needs 7 whole-word tokens");
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("x", $"{w[0]} {w[1]}"), ("y", w[2]), ("z", $"{w[3]} {w[4]} {w[2]}")), tok);
        Assert.True(pvp.IsMultiToken);
        Assert.Equal(3, pvp.MaxTokens);
        var examples = new List<PromptExample>
        {
            Ex.Single($"{w[5]} {w[6]}", 0), Ex.Single(w[6], 1), Ex.Single($"{w[6]} {w[5]} {w[6]}", 2),
        };

        var counting = new CountingModel(loaded.Model);
        using var loss = PvpTrainer.Loss(counting, pvp, examples, null);
        Assert.Equal(1, counting.Calls);
        int maskId = tok.MaskTokenId!.Value;
        for (int i = 0; i < examples.Count; i++)
            Assert.Equal(3, Enumerable.Range(0, counting.LastInputIds!.GetLength(1)).Count(j => counting.LastInputIds[i, j] == maskId));

        // By hand: log-softmax at the masks of the 3-mask input, a word of k tokens read at the first k masks.
        using var batch = pvp.EncodeBatch(examples, 3);
        var logits = loaded.Model.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, TokenTypeIds = batch.TokenTypeIds }).Logits!;
        double expected = 0;
        for (int i = 0; i < examples.Count; i++)
        {
            var s = new double[pvp.NumLabels];
            for (int l = 0; l < pvp.NumLabels; l++)
            {
                var toks = pvp.LabelTokenIds[l][0];
                for (int j = 0; j < toks.Length; j++)
                    s[l] += logits[i, batch.MaskSlots[i][j]].log_softmax(0)[toks[j]].item<float>();
            }
            int y = examples[i].Label;
            for (int l = 0; l < pvp.NumLabels; l++)
                if (l != y) expected += Math.Max(0, 1 - s[y] + s[l]);
        }
        expected /= examples.Count;
        Assert.Equal(expected, loss.item<float>(), 4);

        // The earlier objective stays available by name: one pass per distinct token count, cross-entropy.
        var perCount = new CountingModel(loaded.Model);
        using var ce = PvpTrainer.Loss(perCount, pvp, examples, null, multiToken: MultiTokenObjective.CrossEntropy);
        Assert.Equal(3, perCount.Calls);
        Assert.NotEqual(loss.item<float>(), ce.item<float>());
        Assert.Equal(MultiTokenObjective.Hinge, new PvpTrainingConfig().MultiToken);
    }

    [FixtureFact]
    public void TrainingAMultiTokenPvpUsesTheHingeLossAndLowersIt()
    {
        using var scope = NewDisposeScope();
        using var loaded = Pretrained.Load(HfFixtures.Model("bert"));
        var tok = loaded.Tokenizer;
        var w = Words(tok, 6);
        var pvp = new Pvp(PromptTemplate.Parse("{a} It was [MASK]."), Verbalizer.Of(("x", $"{w[0]} {w[1]}"), ("y", w[2])), tok);
        var train = Enumerable.Range(0, 8).Select(i => Ex.Single(i % 2 == 0 ? $"{w[3]} {w[4]}" : $"{w[5]} {w[4]}", i % 2)).ToList();
        var before = PvpTrainer.Loss(loaded.Model, pvp, train, null).item<float>();
        var config = new PvpTrainingConfig { Trainer = new PvpTrainingConfig().Trainer with { MaxSteps = 30, BatchSize = 4, LearningRate = 1e-3, WarmupRatio = 0 } };
        // The unlabelled pool is not used under the hinge objective (PET adds no MLM term there).
        PvpTrainer.Train(loaded.Model, pvp, train, train, config);
        loaded.Model.Module.eval();
        var after = PvpTrainer.Loss(loaded.Model, pvp, train, null).item<float>();
        Assert.True(after < before, $"hinge loss did not go down: {before} -> {after}");
    }
}
