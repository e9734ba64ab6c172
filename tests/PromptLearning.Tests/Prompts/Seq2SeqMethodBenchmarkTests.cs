using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Seq2Seq;

namespace PromptLearning.Tests.Prompts;

/// <summary>
/// The encoder-decoder rows of <c>plearn bench</c> (<see cref="Seq2SeqMethodBenchmark"/>) on the tiny BART fixture:
/// one row per method with what each model trains, fine-tuning as the reference, the shared backbone unchanged. No
/// timing bars: only that every time was measured.
/// </summary>
public class Seq2SeqMethodBenchmarkTests
{
    static PretrainedSeq2SeqModel Bart()
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        TorchSharp.torch.set_num_threads(1); // OpenMP threads spin under contention on shared cores
        return Pretrained.LoadSeq2Seq(HfFixtures.Model("bart"));
    }

    static readonly MethodBenchmarkConfig Tiny = new(Steps: 2, BatchSize: 4, Repeats: 1, Rounds: 1);

    [FixtureFact]
    public void EveryMethodGetsARowWithItsModelsTrainableCountAndFineTuningIsTheReference()
    {
        using var bart = Bart();
        var frozen = PromptTestKit.Snapshot(bart.Model.Module);
        var train = TaskRegistry.Load(EmbeddedData.Summarization, "train");
        var result = Seq2SeqMethodBenchmark.Run(bart, train, Tiny);

        Assert.Equal(Seq2SeqMethodBenchmark.DefaultMethods, result.Methods.Select(m => m.Method));
        Assert.Equal(EmbeddedData.Summarization, result.Task);
        int positions = HfFixtures.Json("bart", "config.json").GetProperty("max_position_embeddings").GetInt32();
        Assert.Equal(Math.Min(128, positions), result.MaxLength);
        Assert.Equal(bart.Model.Module.parameters().Sum(p => p.numel()), result.BackboneParameters);
        foreach (var row in result.Methods)
        {
            var methodConfig = PromptMethodConfig.Default(row.Method) with { BatchSize = Tiny.BatchSize, MaxLength = result.MaxLength };
            using var model = new Seq2SeqTaskModel(bart.Model, bart.Tokenizer, train.Task,
                new Seq2SeqPromptConfig { Method = methodConfig, MaxTargetLength = result.MaxTargetLength });
            Assert.Equal(model.TrainableParameterCount, row.TrainableParameters);
            Assert.Equal((double)model.TrainableParameterCount / result.BackboneParameters, row.TrainableShare, 9);
            Assert.Single(row.StepMs.Samples);
            Assert.True(row.StepMs.Median > 0, $"{row.Method}: step time {row.StepMs.Median} ms");
            Assert.True(row.OptimizerStateBytes > 0, $"{row.Method}: no optimizer state");
            Assert.True(row.PromptFileBytes > 0, $"{row.Method}: nothing saved");
            Assert.Null(row.StepGflop);
            Assert.Null(row.AchievedGflops);
            if (OperatingSystem.IsLinux()) Assert.NotNull(row.PeakTrainingBytes);
        }
        Assert.Equal(1.0, result.Methods[0].StepTimeRatio, 9);
        Assert.All(result.Methods, m => Assert.Equal(m.StepMs.Median / result.Methods[0].StepMs.Median, m.StepTimeRatio, 9));
        // Fine-tuning trained its own copy: the shared backbone is bitwise unchanged.
        Assert.Empty(PromptTestKit.Changed(bart.Model.Module, frozen));
    }

    [FixtureFact]
    public void TheSavedFineTunedModelIsLargerThanEveryPrompt()
    {
        using var bart = Bart();
        var result = Seq2SeqMethodBenchmark.Run(bart, TaskRegistry.Load(EmbeddedData.Summarization, "train"),
            Tiny with { Methods = [PromptMethods.PromptTuning] });
        Assert.Equal([PromptMethods.FineTuning, PromptMethods.PromptTuning], result.Methods.Select(m => m.Method));
        // fp32 weights of the whole backbone against a 20-token table: the saved fine-tuned model holds at least its weights
        Assert.True(result.Methods[0].PromptFileBytes >= 4 * result.Methods[0].TrainableParameters);
        Assert.True(result.Methods[0].PromptFileBytes > result.Methods[1].PromptFileBytes);
    }

    [FixtureFact]
    public void MethodsWithoutAnEncoderDecoderFormAndTooFewRowsAreRefused()
    {
        using var bart = Bart();
        var train = TaskRegistry.Load(EmbeddedData.Summarization, "train");
        var e = Assert.Throws<ArgumentException>(() => Seq2SeqMethodBenchmark.Run(bart, train, Tiny with { Methods = [PromptMethods.HeadOnly] }));
        Assert.Contains(PromptMethods.HeadOnly, e.Message);
        var few = new TaskSplit(train.Task, train.Examples.Take(Tiny.BatchSize).ToList(), null);
        e = Assert.Throws<ArgumentException>(() => Seq2SeqMethodBenchmark.Run(bart, few, Tiny));
        Assert.Contains("need", e.Message);
    }
}
