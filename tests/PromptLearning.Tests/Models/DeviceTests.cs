using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Pet;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Prompts.Seq2Seq;
using PromptLearning.Tests.Prompts;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>
/// The device option (<see cref="PretrainedLoadOptions.Device"/>): weights, prompts, heads, batches and
/// optimizer state all land on the requested device, and asking for the CPU explicitly changes no number.
/// Run here on the CPU (the only device TorchSharp-cpu has); the same assertions hold for CUDA.
/// </summary>
public class DeviceTests
{
    static readonly Device Requested = CPU;

    static PretrainedModel Load(string name, Device? device)
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        return Pretrained.Load(HfFixtures.Model(name), new PretrainedLoadOptions { Device = device });
    }

    static void AssertOn(Tensor t, string what) =>
        Assert.True(t.device_type == Requested.type, $"{what} is on {t.device}, not on the requested {Requested}");

    static void AssertModuleOn(nn.Module module, string what)
    {
        foreach (var (name, p) in module.named_parameters()) AssertOn(p, $"{what} parameter '{name}'");
        foreach (var (name, b) in module.named_buffers()) AssertOn(b, $"{what} buffer '{name}'");
    }

    [FixtureTheory]
    [InlineData(PromptMethods.PromptTuning)]
    [InlineData(PromptMethods.PTuning)]
    [InlineData(PromptMethods.PrefixTuning)]
    [InlineData(PromptMethods.PTuningV2)]
    [InlineData(PromptMethods.FineTuning)]
    [InlineData(PromptMethods.HeadOnly)]
    public void EveryParameterAndBatchTensorLandsOnTheRequestedDevice(string method)
    {
        using var pretrained = Load("bert", Requested);
        AssertModuleOn(pretrained.Model.Module, "backbone");
        var tok = PromptTestKit.Tokenizer("bert");
        using var model = PromptTestKit.Classifier(method, pretrained.Model, tok);
        Assert.Equal(Requested.type, model.Device.type);
        AssertModuleOn(model, method);
        var examples = PromptTestKit.SentimentExamples(6, seed: 1);
        using (var batch = model.Encode(examples))
        {
            AssertOn(batch.InputIds, "PromptBatch.InputIds");
            AssertOn(batch.AttentionMask, "PromptBatch.AttentionMask");
            AssertOn(batch.TokenTypeIds, "PromptBatch.TokenTypeIds");
            AssertOn(batch.Slots, "PromptBatch.Slots");
            AssertOn(batch.TaskIds, "PromptBatch.TaskIds");
            AssertOn(batch.PoolPositions, "PromptBatch.PoolPositions");
            AssertOn(batch.MaskPositions, "PromptBatch.MaskPositions");
            AssertOn(batch.Labels!, "PromptBatch.Labels");
            using var scope = NewDisposeScope();
            AssertOn(model.Loss(batch), "the loss");
        }
        PromptTraining.CreateTrainer(model, PromptTraining.TrainerConfigFor(model.Config, steps: 2) with { BatchSize = 3 }).Train(examples);
        AssertModuleOn(model, $"{method} after training");
        Assert.Equal(examples.Count, model.PredictLabels(examples).Length);
    }

    [FixtureFact]
    public void AskingForTheCpuExplicitlyChangesNoNumber()
    {
        var tok = PromptTestKit.Tokenizer("bert");
        var examples = PromptTestKit.SentimentExamples(8, seed: 2);
        IReadOnlyList<double> Run(Device? device)
        {
            using var pretrained = Load("bert", device);
            using var model = new PromptTuningModel(pretrained.Model, tok, PromptTestKit.Sentiment(), new PromptTuningConfig { Length = 4 });
            return PromptTraining.CreateTrainer(model, PromptTraining.TrainerConfigFor(model.Config, steps: 4) with { BatchSize = 4 }).Train(examples).StepLosses;
        }
        Assert.Equal(Run(null), Run(Requested));
    }

    [FixtureFact]
    public void GenerationAndItsPrefixesStayOnTheDevice()
    {
        using var pretrained = Load("gpt2", Requested);
        var tok = PromptTestKit.Tokenizer("gpt2");
        using var model = new PrefixTuningModel(pretrained.Model, tok, PromptTestKit.Generation(), new PrefixTuningConfig { Length = 3, HiddenSize = 16 });
        AssertModuleOn(model, "prefix tuning");
        var examples = PromptTestKit.GenerationExamples(3, seed: 3);
        Assert.Equal(3, model.Generate(examples, maxNewTokens: 4).Count);
        Assert.Equal(3, model.Generate(examples, maxNewTokens: 4, beams: 2).Count);
    }

    [FixtureFact]
    public void EncoderDecoderPromptsAndBatchesLandOnTheRequestedDevice()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        using var bart = Pretrained.LoadSeq2Seq(HfFixtures.Model("bart"), new PretrainedLoadOptions { Device = Requested });
        AssertModuleOn(bart.Model.Module, "bart");
        using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, PromptTestKit.Sentiment(),
            new Seq2SeqPromptConfig { Method = new PrefixTuningConfig { Length = 3, HiddenSize = 16 }, MaxTargetLength = 8 });
        Assert.Equal(Requested.type, model.Device.type);
        AssertModuleOn(model, "seq2seq prefix tuning");
        using var batch = model.Encode(PromptTestKit.SentimentExamples(4, seed: 4));
        AssertOn(batch.InputIds, "Seq2SeqPromptBatch.InputIds");
        AssertOn(batch.AttentionMask, "Seq2SeqPromptBatch.AttentionMask");
        AssertOn(batch.Labels!, "Seq2SeqPromptBatch.Labels");
        AssertOn(batch.DecoderInputIds!, "Seq2SeqPromptBatch.DecoderInputIds");
        using var scope = NewDisposeScope();
        AssertOn(model.Loss(batch), "the seq2seq loss");
    }

    [FixtureFact]
    public void PetBatchesAndTheClassifierHeadFollowTheBackbone()
    {
        using var pretrained = Load("bert", Requested);
        var tok = PromptTestKit.Tokenizer("bert");
        using var classifier = new SequenceClassifier(pretrained.Model, numLabels: 2);
        Assert.Equal(Requested.type, classifier.Device.type);
        AssertModuleOn(classifier, "classifier");
        var examples = new[] { PromptLearning.Tests.Pet.Ex.Single("the food was good", 1) };
        using var batch = SequenceClassifier.Encode(tok, examples, maxLength: 16, classifier.Device);
        AssertOn(batch.InputIds, "PromptBatch.InputIds");
        AssertOn(batch.AttentionMask, "PromptBatch.AttentionMask");
        AssertOn(batch.TokenTypeIds, "PromptBatch.TokenTypeIds");
        Assert.Equal(2, classifier.Predict(tok, examples, maxLength: 16).GetLength(1));
    }

    [FixtureFact]
    public void OptimizerStateIsMadeWhereTheParametersAre()
    {
        using var pretrained = Load("bert", Requested);
        var parameters = pretrained.Model.Module.named_parameters().Take(3).Select(p => (p.name, p.parameter)).ToList();
        foreach (var (_, p) in parameters) p.requires_grad = true;
        var config = new TrainerConfig { MaxSteps = 1, Optimizer = OptimizerKind.Adafactor, LearningRate = 1e-3 };
        var result = new Trainer<int>(config, parameters, _ => parameters.Select(p => p.Item2.square().sum()).Aggregate((a, b) => a + b)).Train([0]);
        Assert.Equal(1, result.Steps);
        foreach (var (name, p) in parameters) AssertOn(p, $"trained parameter '{name}'");
    }

    [FixtureFact]
    public void CudaWithoutCudaNamesTheOption()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        if (cuda.is_available()) return; // a CUDA build with a GPU: the request is valid
        var e = Assert.Throws<ArgumentException>(() => Pretrained.Load(HfFixtures.Model("bert"), new PretrainedLoadOptions { Device = new Device("cuda") }));
        Assert.Contains("PretrainedLoadOptions.Device", e.Message);
        Assert.Contains("TorchSharp-cuda", e.Message);
        var s2s = Assert.Throws<ArgumentException>(() => Pretrained.LoadSeq2Seq(HfFixtures.Model("bart"), new PretrainedLoadOptions { Device = new Device("cuda") }));
        Assert.Contains("PretrainedLoadOptions.Device", s2s.Message);
    }
}
