using System.Security.Cryptography;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.Seq2Seq;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>
/// Prompt tuning, prefix tuning and P-tuning v2 on the BART fixture (<see cref="Seq2SeqTaskModel"/>): learning on a
/// tiny text-to-text task with the backbone untouched, each prefix set's effect, mixed-task batches against each task
/// alone, the prompt-only checkpoint, and generation with prompts against the step-by-step arg-max.
/// </summary>
public sealed class Seq2SeqPromptTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("seq2seq-prompt-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static PretrainedSeq2SeqModel Bart() => Backbone("bart");

    /// <summary>An encoder-decoder fixture (bart or t5).</summary>
    static PretrainedSeq2SeqModel Backbone(string name)
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        return Pretrained.LoadSeq2Seq(HfFixtures.Model(name));
    }

    /// <summary>Sentiment as text-to-text: the label word is the target (Lester et al.'s setting).</summary>
    static TaskDefinition Sentiment(string name = "sentiment") => PromptTestKit.Sentiment(name);

    static TaskDefinition TableToText(string name = "table2text") => PromptTestKit.Generation(name);

    /// <summary>
    /// Small settings; the learning rates of prefix tuning (paper: 5e-5) and P-tuning v2 (1e-2) are raised so that 30
    /// steps on the random tiny backbone move the loss (prompt tuning keeps the paper's Adafactor at 0.3).
    /// </summary>
    static Seq2SeqPromptConfig Config(string method) => new()
    {
        Method = method switch
        {
            PromptMethods.PromptTuning => new PromptTuningConfig { Length = 4, BatchSize = 8 },
            PromptMethods.PrefixTuning => new PrefixTuningConfig { Length = 3, HiddenSize = 16, LearningRate = 5e-2, BatchSize = 8 },
            PromptMethods.PTuningV2 => new PTuningV2Config { Length = 4, BatchSize = 8, LearningRate = 0.1 },
            _ => throw new ArgumentException(method),
        },
        MaxTargetLength = 24,
    };

    /// <summary>SHA-256 over every backbone tensor's name and bytes.</summary>
    static string Checksum(ISeq2SeqModel backbone)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in backbone.Module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            sha.AppendData(t.bytes);
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    static double DevLoss(Seq2SeqTaskModel model, IReadOnlyList<PromptExample> dev)
    {
        model.eval();
        using var _ = no_grad();
        using var loss = model.Loss(dev);
        return loss.item<float>();
    }

    static Tensor Logits(Seq2SeqTaskModel model, IReadOnlyList<PromptExample> examples)
    {
        model.eval();
        using var _ = no_grad();
        using var batch = model.Encode(examples);
        return model.Forward(batch);
    }

    static double MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    /// <summary>
    /// Sentiment as text-to-text (label words as targets), 30 steps. Measured when this test was written (seed 42), dev
    /// loss and train loss (means of the first and last 3 steps): prompt tuning 7.321 -> 6.938 and 7.301 -> 6.961,
    /// prefix tuning 7.056 -> 3.480 and 6.917 -> 3.783, P-tuning v2 7.223 -> 6.923 and 7.257 -> 7.020 (the encoder of the
    /// random fixture sways the decoder little, so the encoder-side methods move less). Each must drop by at least half
    /// of its smaller measured drop: a method that stopped learning, or whose prompts no longer reach the model, fails
    /// (the P-tuning v2 run at its paper rate of 1e-2 drops by only 0.016 here).
    /// </summary>
    [FixtureTheory]
    [InlineData(PromptMethods.PromptTuning, 0.17)]
    [InlineData(PromptMethods.PrefixTuning, 1.55)]
    [InlineData(PromptMethods.PTuningV2, 0.12)]
    public void EachMethodLowersTrainAndDevLossWithTheBackboneFrozenAndUnchanged(string method, double minDrop)
    {
        using var bart = Bart();
        var before = Checksum(bart.Model);
        using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), Config(method));
        Assert.All(bart.Model.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.NotEmpty(model.TrainableParameters());
        Assert.All(model.TrainableParameters(), p => Assert.True(p.Parameter.requires_grad, p.Name));
        var train = PromptTestKit.SentimentExamples(32, seed: 1);
        var dev = PromptTestKit.SentimentExamples(16, seed: 2);

        double devBefore = DevLoss(model, dev);
        var result = model.CreateTrainer(PromptTraining.TrainerConfigFor(model.Config.Method, steps: 30)).Train(train);
        double devAfter = DevLoss(model, dev);
        double trainFirst = result.StepLosses.Take(3).Average(), trainLast = result.StepLosses.TakeLast(3).Average();
        output.WriteLine($"{method}: dev loss {devBefore:F3} -> {devAfter:F3}; train loss (3-step means) {trainFirst:F3} -> {trainLast:F3}; {model.TrainableParameterCount} trainable");

        Assert.True(devBefore - devAfter >= minDrop, $"{method}: dev loss {devBefore:F3} -> {devAfter:F3}, a drop below {minDrop}");
        Assert.True(trainFirst - trainLast >= minDrop, $"{method}: train loss {trainFirst:F3} -> {trainLast:F3}, a drop below {minDrop}");
        Assert.Equal(before, Checksum(bart.Model));
    }

    [FixtureTheory]
    [InlineData("bart")]
    [InlineData("t5")]
    public void LabelsAreTheTargetFramedAsTheTokenizerFramesASequenceAndGenerationDropsTheFrame(string backbone)
    {
        using var model = Backbone(backbone);
        var task = TableToText();
        using var prompt = new Seq2SeqTaskModel(model.Model, model.Tokenizer, task, Config(PromptMethods.PromptTuning) with { MaxTargetLength = 8 });
        var example = new PromptExample("name : Aromi | food : Chinese") { Target = "Aromi serves Chinese food in the riverside area near the centre." };
        using var batch = prompt.Encode([example]);
        var labels = batch.Labels!.data<long>().Select(x => (int)x).ToArray();
        // as BartTokenizer / T5Tokenizer encode a text_target: <s> words </s> (BART), words </s> (T5), cut to fit
        var frame = model.Tokenizer.BuildInputs([]).Count;
        var expected = model.Tokenizer.BuildInputs(model.Tokenizer.Encode(example.Target).Take(8 - frame).ToList());
        Assert.Equal(expected, labels);
        Assert.Equal(8, labels.Length);
        var decoderIds = batch.DecoderInputIds!.data<long>().Select(x => (int)x).ToArray();
        Assert.Equal(model.Model.DecoderStartTokenId, decoderIds[0]);
        Assert.Equal(labels[..^1], decoderIds[1..]);
        // generated ids carry no frame: no decoder start, no leading bos, nothing from eos on
        var generated = prompt.GenerateIds([example], model.Model.GenerationDefaults(6))[0];
        if (generated.Length > 0 && model.Tokenizer.BosTokenId is int bos && expected[0] == bos) Assert.NotEqual(bos, generated[0]);
        Assert.DoesNotContain(model.Model.GenerationDefaults(6).EosTokenId!.Value, generated);
    }

    [FixtureFact]
    public void EachPrefixSetOnItsOwnChangesTheLogits()
    {
        using var bart = Bart();
        var examples = PromptTestKit.SentimentExamples(4, seed: 3);
        using var scope = NewDisposeScope();
        using var plain = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), Config(PromptMethods.PrefixTuning));
        using var batch = plain.Encode(examples);
        Tensor bare;
        using (no_grad())
            bare = bart.Model.Forward(new Seq2SeqForwardArgs { InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, DecoderInputIds = batch.DecoderInputIds }).Logits!;
        var d = bart.Model.Dimensions;
        foreach (var set in new[] { PrefixSets.Encoder, PrefixSets.Decoder, PrefixSets.CrossAttention })
        {
            using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), Config(PromptMethods.PrefixTuning) with { Prefixes = set });
            var task = model.Tasks[0];
            foreach (var other in new[] { PrefixSets.Encoder, PrefixSets.Decoder, PrefixSets.CrossAttention })
                Assert.Equal(other == set, task.Prefix(other) is not null);
            var layout = set == PrefixSets.Encoder ? d.Encoder : d.Decoder;
            using (no_grad())
                Assert.Equal(new long[] { layout.Layers, 2, layout.Heads, 3, layout.HeadDim }, task.Prefix(set)!.KeyValues().shape);
            Assert.True(((PrefixEncoder)task.Prefix(set)!).Reparameterized);
            double diff = MaxAbsDiff(Logits(model, examples), bare);
            output.WriteLine($"{set} prefix alone: max |logits - backbone's| = {diff:E2}");
            Assert.True(diff > 1e-3, $"the {set} prefix alone changed the logits by only {diff}");
        }
    }

    /// <summary>Three tasks of three methods with different prompt lengths: prompt tuning (3 tokens), prefix tuning (2, every set), P-tuning v2 (4, encoder).</summary>
    static Seq2SeqTaskModel[] ThreeTasks(PretrainedSeq2SeqModel bart) =>
    [
        new(bart.Model, bart.Tokenizer, Sentiment(), Config(PromptMethods.PromptTuning) with { Method = new PromptTuningConfig { Length = 3 } }),
        new(bart.Model, bart.Tokenizer, TableToText(), Config(PromptMethods.PrefixTuning) with { Method = new PrefixTuningConfig { Length = 2, HiddenSize = 16 } }),
        new(bart.Model, bart.Tokenizer, Sentiment("sentiment-v2"), Config(PromptMethods.PTuningV2)),
    ];

    static List<PromptExample> MixedExamples()
    {
        var sentiment = PromptTestKit.SentimentExamples(4, seed: 4);
        var table = PromptTestKit.GenerationExamples(3, seed: 5, task: "table2text");
        var v2 = PromptTestKit.SentimentExamples(3, seed: 6).Select(e => e with { Task = "sentiment-v2" }).ToList();
        return [sentiment[0], table[0], v2[0], sentiment[1], v2[1], table[1], sentiment[2], table[2], v2[2], sentiment[3]];
    }

    [FixtureTheory]
    [InlineData("bart")]
    [InlineData("t5")]
    public void MixedTaskBatchEqualsEachTasksRowsAlone(string backbone)
    {
        using var bart = Backbone(backbone);
        var parts = ThreeTasks(bart);
        using var mixed = Seq2SeqTaskModel.Combine(parts);
        var examples = MixedExamples();
        using var scope = NewDisposeScope();
        using var batch = mixed.Encode(examples);
        var all = Logits(mixed, examples);
        double worst = 0;
        foreach (var task in mixed.Tasks.Select(t => t.Task.Name))
        {
            var rows = Enumerable.Range(0, examples.Count).Where(i => (examples[i].Task ?? "sentiment") == task).ToArray();
            var alone = rows.Select(i => examples[i]).ToList();
            using var aloneBatch = mixed.Encode(alone);
            var logits = Logits(mixed, alone);
            long t = logits.shape[1];
            var mine = all.index_select(0, tensor(rows.Select(r => (long)r).ToArray()))[.., ..(int)t];
            var valid = aloneBatch.Labels!.ne(-100).unsqueeze(2);
            Assert.True(batch.Labels!.index_select(0, tensor(rows.Select(r => (long)r).ToArray()))[.., ..(int)t].eq(aloneBatch.Labels).all().item<bool>(), $"task '{task}': labels differ");
            double diff = MaxAbsDiff(mine.masked_fill(valid.logical_not(), 0), logits.masked_fill(valid.logical_not(), 0));
            worst = Math.Max(worst, diff);
            Assert.True(diff <= 1e-5, $"task '{task}': rows in the mixed batch differ from the task alone by {diff}");
        }
        output.WriteLine($"mixed batch vs each task alone: max abs logit difference {worst:E2}");

        var config = bart.Model.GenerationDefaults(6);
        var together = mixed.GenerateIds(examples, config);
        for (int i = 0; i < examples.Count; i++)
            Assert.Equal(mixed.GenerateIds([examples[i]], config)[0], together[i]);
        foreach (var p in parts) p.Dispose();
    }

    static string Describe(Seq2SeqTaskAdapter t) =>
        $"{t.Task.Name} {t.Task.Kind} [{string.Join(",", t.Task.Labels)}] [{string.Join(",", t.Task.Verbalizer?.LabelWords ?? [])}] {t.InputLength} " +
        $"{t.EncoderPrefix?.Length} {t.DecoderPrefix?.Length} {t.CrossAttentionPrefix?.Length} {t.PrefixDropout}";

    [FixtureFact]
    public void SaveAndLoadGiveIdenticalLogitsAndAnotherBackboneIsRefused()
    {
        using var bart = Bart();
        var parts = ThreeTasks(bart);
        using var model = Seq2SeqTaskModel.Combine(parts);
        var examples = MixedExamples();
        var folder = Path.Combine(_dir, "prompts");
        Seq2SeqPromptCheckpoint.Save(model, folder);
        using var scope = NewDisposeScope();

        using (var loaded = Seq2SeqPromptCheckpoint.Load(folder, bart.Model, bart.Tokenizer))
        {
            Assert.Equal(model.Tasks.Select(Describe), loaded.Tasks.Select(Describe));
            Assert.IsType<PrefixTable>(loaded.Tasks[1].EncoderPrefix);
            Assert.IsType<PrefixTable>(loaded.Tasks[1].CrossAttentionPrefix);
            Assert.IsType<PromptTable>(loaded.Tasks[0].InputPrompt);
            Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
            double diff = MaxAbsDiff(Logits(model, examples), Logits(loaded, examples));
            output.WriteLine($"saved and loaded: max abs logit difference {diff:E2}");
            Assert.Equal(0, diff);
        }

        using var other = new BartForConditionalGeneration(BartConfig.Read(Path.Combine(HfFixtures.Model("bart"), "config.json")));
        var ex = Assert.Throws<InvalidDataException>(() => Seq2SeqPromptCheckpoint.Load(folder, other, bart.Tokenizer));
        Assert.Contains(Path.Combine(folder, PromptCheckpoint.ConfigFile), ex.Message);
        Assert.Contains("different backbone", ex.Message);
        Assert.Contains(model.BackboneFingerprintValue, ex.Message);
        foreach (var p in parts) p.Dispose();
    }

    [FixtureFact]
    public void EachCheckpointKindPointsToTheOtherLoader()
    {
        using var bart = Bart();
        using var seq2seq = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), Config(PromptMethods.PTuningV2));
        var seq2seqFolder = Path.Combine(_dir, "seq2seq");
        Seq2SeqPromptCheckpoint.Save(seq2seq, seq2seqFolder);
        using var bert = PromptTestKit.Backbone("bert");
        var bertTokenizer = PromptTestKit.Tokenizer("bert");
        using var single = new PromptTuningModel(bert, bertTokenizer, Sentiment(), new PromptTuningConfig { Length = 2 });
        var singleFolder = Path.Combine(_dir, "single");
        PromptCheckpoint.Save(single, singleFolder);

        var ex = Assert.Throws<InvalidDataException>(() => Seq2SeqPromptCheckpoint.Load(singleFolder, bart.Model, bart.Tokenizer));
        Assert.Contains(Path.Combine(singleFolder, PromptCheckpoint.ConfigFile), ex.Message);
        Assert.Contains("PromptCheckpoint.Load", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.Load(seq2seqFolder, bert, bertTokenizer));
        Assert.Contains(Path.Combine(seq2seqFolder, PromptCheckpoint.ConfigFile), ex.Message);
        Assert.Contains("Seq2SeqPromptCheckpoint.Load", ex.Message);
    }

    [FixtureTheory]
    [InlineData(PromptMethods.PromptTuning, "bart")]
    [InlineData(PromptMethods.PrefixTuning, "bart")]
    [InlineData(PromptMethods.PromptTuning, "t5")]
    [InlineData(PromptMethods.PrefixTuning, "t5")]
    public void GenerationWithAPromptEqualsGreedyWithoutCacheAndTheStepwiseArgmax(string method, string backbone)
    {
        using var bart = Backbone(backbone);
        using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, TableToText(), Config(method));
        var examples = PromptTestKit.GenerationExamples(3, seed: 7);
        var config = bart.Model.GenerationDefaults(6) with { ForcedEosTokenId = null };
        var cached = model.GenerateIds(examples, config);
        Assert.Equal(cached, model.GenerateIds(examples, config with { UseCache = false }));

        using var scope = NewDisposeScope();
        model.eval();
        using var _ = no_grad();
        for (int i = 0; i < examples.Count; i++)
        {
            var tokens = new List<long> { bart.Model.DecoderStartTokenId };
            using var batch = model.Encode([examples[i]], withTargets: false);
            while (tokens.Count <= config.MaxNewTokens && (tokens.Count == 1 || tokens[^1] != config.EosTokenId))
                tokens.Add(model.Forward(batch with { DecoderInputIds = tensor(tokens.ToArray()).unsqueeze(0) })[0, -1].argmax().item<long>());
            var expected = tokens.Skip(1).Select(t => (int)t).TakeWhile(t => t != config.EosTokenId).ToArray();
            output.WriteLine($"{method} row {i}: {string.Join(" ", expected)}");
            Assert.Equal(expected, cached[i]);
        }
        Assert.Equal(examples.Count, model.Generate(examples, config with { NumBeams = 2 }).Count);
    }

    [FixtureFact]
    public void PromptTuningStartsFromRealWordsOrTheLabelWords()
    {
        using var bart = Bart();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor Embedded(string text) => bart.Model.EmbedTokens(tensor(bart.Tokenizer.Encode(text).Select(i => (long)i).ToArray()).unsqueeze(0))[0];
        var words = new Seq2SeqPromptConfig { Method = new PromptTuningConfig { Length = 2, Init = PromptInit.Text, InitText = "the movie" } };
        using (var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), words))
            PromptTestKit.AssertClose(Embedded(" the movie")[..2], model.Tasks[0].InputPrompt!.Embeddings(), 0, "init text 'the movie'");
        var labels = new Seq2SeqPromptConfig { Method = new PromptTuningConfig { Length = 3, Init = PromptInit.ClassLabels } };
        using (var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), labels))
        {
            var rows = model.Tasks[0].InputPrompt!.Embeddings();
            PromptTestKit.AssertClose(Embedded(" bad").mean([0]), rows[0], 1e-7, "label 0 ('bad')");
            PromptTestKit.AssertClose(Embedded(" good").mean([0]), rows[1], 1e-7, "label 1 ('good')");
        }
    }

    [FixtureFact]
    public void ConfigsThatDoNotFitAreRefusedNamingTheField()
    {
        using var bart = Bart();
        var task = Sentiment();
        Assert.Contains("Template", Assert.Throws<ArgumentException>(() => new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, task,
            new Seq2SeqPromptConfig { Method = new PrefixTuningConfig { Template = "{x} [MASK]" } })).Message);
        Assert.Contains("Prefixes", Assert.Throws<ArgumentException>(() => new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, task,
            new Seq2SeqPromptConfig { Method = new PromptTuningConfig(), Prefixes = PrefixSets.Encoder })).Message);
        Assert.Contains("Prefixes", Assert.Throws<ArgumentException>(() => new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, task,
            new Seq2SeqPromptConfig { Method = new PTuningV2Config(), Prefixes = PrefixSets.None })).Message);
        Assert.Contains(PromptMethods.PTuning, Assert.Throws<ArgumentException>(() => new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, task,
            new Seq2SeqPromptConfig { Method = new PromptLearning.Prompts.PTuning.PTuningConfig() })).Message);
    }

    /// <summary>
    /// The fine-tuning baseline trains every weight of its own copy: the caller's backbone stays bit-identical, the
    /// copy starts equal to it, the training loss falls (30 steps at 1e-3 on the random fixture), and there are no
    /// prompts to save or combine.
    /// </summary>
    [FixtureFact]
    public void FineTuningTrainsItsOwnCopyAndLeavesTheCallersBackboneAlone()
    {
        using var bart = Bart();
        var before = Checksum(bart.Model);
        var config = new Seq2SeqPromptConfig { Method = new PromptLearning.Prompts.Baselines.FineTuningConfig { LearningRate = 1e-3, BatchSize = 8 }, MaxTargetLength = 24 };
        using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), config);
        Assert.True(model.TrainsBackbone);
        Assert.NotSame(bart.Model, model.Backbone);
        Assert.Equal(before, Checksum(model.Backbone));
        Assert.Equal(model.Backbone.Module.parameters().Where(p => p.requires_grad).Select(p => p.Handle).Distinct().Count(), model.TrainableParameters().Count);

        var train = PromptTestKit.SentimentExamples(32, seed: 1);
        var result = model.CreateTrainer(PromptTraining.TrainerConfigFor(model.Config.Method, steps: 30)).Train(train);
        double first = result.StepLosses.Take(3).Average(), last = result.StepLosses.TakeLast(3).Average();
        output.WriteLine($"fine-tuning: train loss (3-step means) {first:F3} -> {last:F3}");
        Assert.True(last < first - 0.5, $"fine-tuning: train loss {first:F3} -> {last:F3}");
        Assert.Equal(before, Checksum(bart.Model));
        Assert.NotEqual(before, Checksum(model.Backbone));
        Assert.Throws<ArgumentException>(() => Seq2SeqPromptCheckpoint.Save(model, Path.Combine(_dir, "ft")));
        using var other = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment("other"), Config(PromptMethods.PromptTuning));
        Assert.Throws<ArgumentException>(() => Seq2SeqTaskModel.Combine(model, other));
    }

    /// <summary>Evaluation from generated text: classification scores the label words, generation BLEU and ROUGE; the numbers are those of the metrics on <see cref="Seq2SeqTaskModel.Generate"/>'s output.</summary>
    [FixtureFact]
    public void EvaluateScoresTheGeneratedText()
    {
        using var bart = Bart();
        using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, Sentiment(), Config(PromptMethods.PrefixTuning));
        var split = new TaskSplit(Sentiment(), PromptTestKit.SentimentExamples(6, seed: 7), null);
        var metrics = PromptEvaluation.Evaluate(model, split, maxNewTokens: 4);
        var outputs = model.Generate(split.Examples, bart.Model.GenerationDefaults(4));
        var words = Sentiment().Verbalizer!.LabelWords.ToList();
        double expected = split.Examples.Select((e, i) => words.IndexOf(outputs[i].Trim()) == e.Label ? 1.0 : 0.0).Average();
        Assert.Equal(expected, metrics["accuracy"], 12);

        using var gen = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, TableToText(), Config(PromptMethods.PrefixTuning));
        var examples = PromptTestKit.GenerationExamples(4, seed: 8, task: null);
        var refs = examples.Select(e => (IReadOnlyList<string>)[e.Target!]).ToList();
        var scores = PromptEvaluation.Evaluate(gen, new TaskSplit(TableToText(), examples, refs), maxNewTokens: 6);
        var hyps = gen.Generate(examples, bart.Model.GenerationDefaults(6));
        Assert.Equal(PromptLearning.Metrics.RougeL.Corpus(hyps, refs), scores["rouge_l"], 12);
        Assert.Equal(PromptLearning.Metrics.RougeN.Corpus(hyps, refs, 2), scores["rouge_2"], 12);
        // one scale: BLEU is sacreBLEU's score as a fraction, like every other metric
        Assert.Equal(PromptLearning.Metrics.Bleu.Corpus(hyps, refs).Score / 100, scores.Bleu!.Value, 12);
        Assert.Equal(hyps, scores.Outputs);
        Assert.Equal("rouge_l", scores.Main);
    }
}
