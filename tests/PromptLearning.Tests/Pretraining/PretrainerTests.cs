using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pretraining;
using PromptLearning.Tokenization;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Pretraining;

public class PretrainerTests
{
    public PretrainerTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    private static readonly string[] Foods = { "pizza", "soup", "curry", "salad", "pasta", "fish" };
    private static readonly string[] Good = { "great", "lovely", "superb" };
    private static readonly string[] Bad = { "terrible", "awful", "dreadful" };

    /// <summary>A tiny corpus with a learnable regularity: the word after "was" follows the review's sentiment.</summary>
    private static List<string> TinyCorpus(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var good = r.Next(2) == 0;
            var food = Foods[r.Next(Foods.Length)];
            var liked = good ? "we loved the" : "we hated the";
            var word = good ? Good[r.Next(Good.Length)] : Bad[r.Next(Bad.Length)];
            return $"{liked} {food} . it was {word} .";
        }).ToList();
    }

    private static (ILanguageModel Model, TextTokenizer Tokenizer) Tiny(string arch, IEnumerable<string> corpus)
    {
        var dir = Path.Combine(Path.GetTempPath(), "plearn-pretrain-" + Guid.NewGuid().ToString("N"));
        if (arch == "bert") WordPieceVocabBuilder.Save(WordPieceVocabBuilder.Build(corpus, 200), dir, 64);
        else ByteLevelBpeBuilder.Save(ByteLevelBpeBuilder.Build(corpus, 400), dir, 64);
        var tok = TokenizerFactory.FromFolder(dir, arch);
        var config = ModelPresets.Create(arch, "small", tok.VocabSize, 64, arch == "bert" ? tok.PadTokenId : null, tok.EosTokenId)
            with { HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        manual_seed(1);
        ILanguageModel model = arch == "bert" ? new BertForMaskedLM(config) : new GPT2LMHeadModel(config);
        return (model, tok);
    }

    [Fact]
    public void DeepPresetHasTwiceBasesLayersAtAboutItsComputePerToken()
    {
        var b = ModelPresets.Create("bert", "base", 2000, 128, 0, null);
        var d = ModelPresets.Create("bert", "deep", 2000, 128, 0, null);
        Assert.Equal(2 * b.NumHiddenLayers, d.NumHiddenLayers);
        Assert.Equal(b.HiddenSize / b.NumAttentionHeads, d.HiddenSize / d.NumAttentionHeads);
        Assert.Equal(4 * d.HiddenSize, d.IntermediateSize);
        // weights per token in the layers: 12 h^2 per layer (attention 4 h^2, feed-forward 8 h^2)
        double ratio = (double)d.NumHiddenLayers * d.HiddenSize * d.HiddenSize / (b.NumHiddenLayers * b.HiddenSize * b.HiddenSize);
        Assert.InRange(ratio, 1.0, 1.2);
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("gpt2")]
    public void PretrainingLearnsTheTinyCorpus(string arch)
    {
        var corpus = TinyCorpus(400, 1);
        var (model, tok) = Tiny(arch, corpus);
        using var _ = model;
        var config = new PretrainingConfig
        {
            MaxLength = 32, Packing = arch == "gpt2", MaxHeldOutSequences = 64,
            Trainer = new TrainerConfig { MaxSteps = 150, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 10, EvalEvery = 75, RestoreBest = false, Seed = 3 },
        };
        var result = Pretrainer.Run(model, tok, corpus, TinyCorpus(60, 2), config);
        var first = result.Training.History.Where(r => r.Metrics is not null).Select(r => r.Metrics!["loss"]).First();
        Assert.True(result.HeldOut.Loss < 0.8 * result.Training.StepLosses.Take(5).Average(),
            $"held-out loss {result.HeldOut.Loss} vs first training losses {result.Training.StepLosses.Take(5).Average()}");
        Assert.True(result.HeldOut.Loss <= first + 1e-6, $"held-out loss went from {first} to {result.HeldOut.Loss}");
        Assert.InRange(result.HeldOut.Perplexity, 1.0, tok.VocabSize);
        Assert.Equal(Math.Exp(result.HeldOut.Loss), result.HeldOut.Perplexity, 9);
        Assert.True(result.HeldOut.Accuracy > 0.3, $"held-out accuracy {result.HeldOut.Accuracy}");
    }

    [Fact]
    public void MaskedLmLossOnLabelledPositionsEqualsTheFullLogitsLoss()
    {
        var corpus = TinyCorpus(50, 4);
        var (model, tok) = Tiny("bert", corpus);
        using var _ = model;
        model.Module.eval();
        using var scope = NewDisposeScope();
        var seqs = Pretrainer.BuildSequences(tok, corpus.Take(8).ToList(), 32, packing: false, causal: false);
        var mlm = new MaskedLanguageModeling(tok.VocabSize, tok.MaskTokenId!.Value, MaskedLanguageModeling.SpecialIds(tok));
        var batch = mlm.Collate(seqs, tok.PadTokenId, new Random(5));
        var fast = LanguageModelingLoss.Compute(model, batch).item<float>();
        var logits = model.Forward(new ForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask }).Logits!;
        var full = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), batch.Labels.reshape(-1), ignore_index: -100).item<float>();
        Assert.Equal(full, fast, 4);
    }

    [Fact]
    public void MaskedLmSequencesAreWrappedAndPacked()
    {
        var corpus = TinyCorpus(30, 5);
        var (model, tok) = Tiny("bert", corpus);
        model.Dispose();
        int cls = tok.BosTokenId!.Value, sep = tok.EosTokenId!.Value;
        var single = Pretrainer.BuildSequences(tok, corpus, 64, packing: false, causal: false);
        Assert.Equal(corpus.Count, single.Count);
        Assert.All(single, s => { Assert.Equal(cls, s[0]); Assert.Equal(sep, s[^1]); Assert.Equal(1, s.Count(t => t == sep)); });
        var packed = Pretrainer.BuildSequences(tok, corpus, 64, packing: true, causal: false);
        Assert.True(packed.Count < corpus.Count / 2);
        Assert.All(packed, s => { Assert.Equal(cls, s[0]); Assert.Equal(sep, s[^1]); Assert.True(s.Count <= 64); Assert.Equal(1, s.Count(t => t == cls)); });
        // Packing keeps every document: one [SEP] per document.
        Assert.Equal(corpus.Count, packed.Sum(s => s.Count(t => t == sep)));
    }

    [Fact]
    public void CausalPackingCutsTheStreamIntoFullChunks()
    {
        var corpus = TinyCorpus(30, 6);
        var (model, tok) = Tiny("gpt2", corpus);
        model.Dispose();
        var eos = tok.EosTokenId!.Value;
        var packed = Pretrainer.BuildSequences(tok, corpus, 16, packing: true, causal: true);
        Assert.All(packed.Take(packed.Count - 1), s => Assert.Equal(16, s.Count));
        var stream = packed.SelectMany(s => s).ToList();
        var expected = corpus.SelectMany(t => tok.Encode(t).Append(eos)).ToList();
        Assert.Equal(expected.Take(stream.Count), stream);
        var single = Pretrainer.BuildSequences(tok, corpus, 64, packing: false, causal: true);
        Assert.All(single, s => Assert.Equal(eos, s[^1]));
    }

    [Fact]
    public void SalientWordsReachTheMaskingAndAnUnknownOneIsNamed()
    {
        var corpus = TinyCorpus(40, 9);
        var (model, tok) = Tiny("bert", corpus);
        using var _ = model;
        var config = new PretrainingConfig
        {
            MaxLength = 32, SalientWords = ["☃"],
            Trainer = new TrainerConfig { MaxSteps = 1, BatchSize = 4, EvalEvery = 0, RestoreBest = false },
        };
        var e = Assert.Throws<ArgumentException>(() => Pretrainer.Run(model, tok, corpus, TinyCorpus(8, 10), config));
        Assert.Contains("'☃'", e.Message);
    }

    [Fact]
    public void HeldOutScoresAreDeterministic()
    {
        var corpus = TinyCorpus(40, 7);
        var (model, tok) = Tiny("bert", corpus);
        using var _ = model;
        model.Module.eval();
        var seqs = Pretrainer.BuildSequences(tok, corpus, 32, packing: false, causal: false);
        using var noGrad = no_grad();
        var a = Pretrainer.Score(model, tok, seqs);
        var b = Pretrainer.Score(model, tok, seqs);
        Assert.Equal(a, b);
        Assert.True(a.Tokens > 0);
    }

    private static (BartForConditionalGeneration Model, TextTokenizer Tokenizer, string Folder) TinyBart(IEnumerable<string> corpus, int seed = 1)
    {
        var dir = Path.Combine(Path.GetTempPath(), "plearn-pretrain-" + Guid.NewGuid().ToString("N"));
        ByteLevelBpeBuilder.SaveBart(ByteLevelBpeBuilder.BuildBart(corpus, 400), dir, 64);
        var tok = TokenizerFactory.FromFolder(dir, "bart");
        var config = ModelPresets.CreateBart("small", tok.VocabSize, 64) with
        {
            DModel = 32, EncoderLayers = 1, DecoderLayers = 1, EncoderAttentionHeads = 2, DecoderAttentionHeads = 2,
            EncoderFfnDim = 64, DecoderFfnDim = 64, AttentionDropout = 0, ActivationDropout = 0,
        };
        manual_seed(seed);
        return (new BartForConditionalGeneration(config), tok, dir);
    }

    private static PretrainingConfig InfillingConfig(int steps, int evalEvery) => new()
    {
        MaxLength = 32, MaskProbability = Pretrainer.TextInfillingMaskRatio, MaxHeldOutSequences = 32,
        Trainer = new TrainerConfig { MaxSteps = steps, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 10, EvalEvery = evalEvery, LogEvery = 1, RestoreBest = false, Seed = 3 },
    };

    [Fact]
    public void TextInfillingLowersTheReconstructionLossOfATinyBart()
    {
        var corpus = TinyCorpus(300, 1);
        var (model, tok, _) = TinyBart(corpus);
        using var _ = model;
        var config = InfillingConfig(60, 30);
        var heldOut = Pretrainer.BuildSequences(tok, TinyCorpus(40, 2), config.MaxLength, packing: false, causal: false).Take(config.MaxHeldOutSequences).ToList();
        model.eval();
        LanguageModelScores untrained;
        using (no_grad()) untrained = Pretrainer.Score(model, tok, heldOut);
        var result = Pretrainer.Run(model, tok, corpus, TinyCorpus(40, 2), config);
        var first = result.Training.History.Where(r => r.Metrics is not null).Select(r => r.Metrics!["loss"]).First();
        Assert.True(result.HeldOut.Loss < 0.6 * result.Training.StepLosses.Take(5).Average(),
            $"held-out loss {result.HeldOut.Loss} vs first training losses {result.Training.StepLosses.Take(5).Average()}");
        Assert.True(result.HeldOut.Loss < first, $"held-out loss went from {first} to {result.HeldOut.Loss}");
        Assert.Equal(Math.Exp(result.HeldOut.Loss), result.HeldOut.Perplexity, 9);
        // every label token of <s> text </s> is scored
        Assert.Equal(heldOut.Sum(q => q.Count), result.HeldOut.Tokens);
        Assert.Equal(untrained.Tokens, result.HeldOut.Tokens);
        Assert.True(result.HeldOut.Accuracy > untrained.Accuracy + 0.2, $"held-out reconstruction accuracy {result.HeldOut.Accuracy}, untrained {untrained.Accuracy}");
        // Without its input the model scores the same tokens (whether it does worse depends on how much it reads its encoder).
        LanguageModelScores withoutInput;
        using (no_grad()) withoutInput = Pretrainer.ScoreWithoutInput(model, tok, heldOut);
        Assert.Equal(result.HeldOut.Tokens, withoutInput.Tokens);
        Assert.NotEqual(result.HeldOut.Loss, withoutInput.Loss);
    }

    [Fact]
    public void EncoderTokenLossAddsTheWeightedCrossEntropyOfEachEncoderPositionAgainstItsInputToken()
    {
        var corpus = TinyCorpus(60, 5);
        var (model, tok, _) = TinyBart(corpus);
        using var _ = model;
        model.eval();
        var sequences = Pretrainer.BuildSequences(tok, corpus.Take(6).ToList(), 32, packing: false, causal: false);
        var objective = new TextInfilling(tok.MaskTokenId!.Value, MaskedLanguageModeling.SpecialIds(tok));
        var batch = objective.Collate(sequences, tok.PadTokenId, new Random(4));
        Assert.True(batch.AttentionMask.eq(0).any().item<bool>(), "the batch should hold padding, which the encoder loss must skip");
        using var __ = no_grad();
        var plain = LanguageModelingLoss.Compute(model, batch).item<float>();
        var weighted = LanguageModelingLoss.Compute(model, batch, 0.5).item<float>();
        // by hand: encoder output x shared embeddingsᵀ, cross-entropy over the non-padding input tokens
        var encoder = model.Encode(new Seq2SeqForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask });
        var logits = encoder.matmul(model.Model.Shared.weight!.t()).log_softmax(-1);
        double sum = 0; int count = 0;
        var ids = batch.InputIds.data<long>().ToArray();
        var mask = batch.AttentionMask.data<long>().ToArray();
        long length = batch.InputIds.shape[1];
        for (int i = 0; i < ids.Length; i++)
        {
            if (mask[i] == 0) continue;
            sum -= logits[i / length, i % length, ids[i]].item<float>();
            count++;
        }
        Assert.Equal(plain + 0.5 * sum / count, weighted, 3);
        Assert.Equal(plain, LanguageModelingLoss.Compute(model, batch, 0).item<float>(), 6);
    }

    [Fact]
    public void ResumedTextInfillingEndsWithTheWeightsOfTheUnbrokenRun()
    {
        var corpus = TinyCorpus(120, 11);
        var heldOut = TinyCorpus(16, 12);
        var root = Path.Combine(Path.GetTempPath(), "plearn-resume-" + Guid.NewGuid().ToString("N"));
        var (unbroken, tok, _) = TinyBart(corpus);
        using var __ = unbroken;
        var full = Pretrainer.Run(unbroken, tok, corpus, heldOut, InfillingConfig(8, 4), checkpointing: new TrainerCheckpointing(Path.Combine(root, "a"), 4));

        var folder = Path.Combine(root, "b");
        var (first, _, _) = TinyBart(corpus);
        using (first)
        {
            var stopAt5 = new SyncProgress(p => { if (p.Step == 5) throw new OperationCanceledException("interrupted"); });
            Assert.Throws<OperationCanceledException>(() => Pretrainer.Run(first, tok, corpus, heldOut, InfillingConfig(8, 4), stopAt5, new TrainerCheckpointing(folder, 4)));
        }
        Assert.Equal(4, TrainerCheckpointing.StepIn(folder));
        // another initialisation and generator state: the snapshot decides the weights, optimizer and dropout, (seed, step) the masks
        var (resumed, _, _) = TinyBart(corpus, seed: 2);
        using var ___ = resumed;
        manual_seed(999);
        var second = Pretrainer.Run(resumed, tok, corpus, heldOut, InfillingConfig(8, 4), checkpointing: new TrainerCheckpointing(folder, 4));

        Assert.Equal(full.Training.StepLosses, second.Training.StepLosses);
        Assert.Equal(full.HeldOut, second.HeldOut);
        var expected = unbroken.state_dict();
        foreach (var (name, tensor) in resumed.state_dict())
            Assert.True(tensor.data<float>().SequenceEqual(expected[name].data<float>()), $"{name} differs from the unbroken run");
    }

    [Fact]
    public void BartPresetFilesLoadWithLoadSeq2Seq()
    {
        var corpus = TinyCorpus(60, 13);
        var (model, tok, dir) = TinyBart(corpus);
        using var _ = model;
        model.Config.Write(Path.Combine(dir, "config.json"));
        StateDictLoader.Save(model, Path.Combine(dir, "model.safetensors"), model.TiedWeights);
        Assert.Equal(model.Config, BartConfig.Read(Path.Combine(dir, "config.json")));
        Assert.Contains("\"forced_bos_token_id\": 0", File.ReadAllText(Path.Combine(dir, "config.json")));

        using var loaded = Pretrained.LoadSeq2Seq(dir);
        Assert.Empty(loaded.LoadReport.NewlyInitialised);
        Assert.Equal(tok.MaskTokenId, loaded.Tokenizer.MaskTokenId);
        model.eval();
        using var scope = NewDisposeScope();
        var seqs = Pretrainer.BuildSequences(tok, corpus.Take(4).ToList(), 32, packing: false, causal: false);
        var batch = new TextInfilling(tok.MaskTokenId!.Value, MaskedLanguageModeling.SpecialIds(tok)).Collate(seqs, tok.PadTokenId, new Random(1));
        using var noGrad = no_grad();
        var args = new Seq2SeqForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, Labels = batch.Labels };
        Assert.True(model.Forward(args).Logits!.allclose(loaded.Model.Forward(args).Logits!));
    }

    private sealed class SyncProgress(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
    }
}
