using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Models;
using PromptLearning.Native;
using PromptLearning.Pet;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Prompts.Seq2Seq;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Native;

/// <summary>
/// Training steps and evaluation leave no tensor to the finalizer. A tensor made outside every dispose scope and
/// never disposed is freed by the finalizer thread, possibly while libtorch still reads it (the hazard of
/// session 16's crash, there with a scalar); inside a scope, the scope holds it. TorchSharp counts tensors made
/// and disposed outside scopes on this thread (<see cref="DisposeScopeManager.Statistics"/>): for every method's
/// training (<see cref="Trainer{T}"/>, optimizer state included) and evaluation (scoring, tagging, generation;
/// decoder-only and encoder-decoder), and for PET's PVP training with the auxiliary MLM loss, cloze scoring,
/// classifier fine-tuning, distillation and prediction, no more may be made outside a scope than are disposed
/// there (a result moved out of its scope and disposed by the caller counts as disposed only). Building a model is not measured: TorchSharp's own module
/// constructors leave tensors to the finalizer, reachable while the module lives.
/// </summary>
public class DisposeScopeTests
{
    public DisposeScopeTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    private static PretrainedModel Embedded(string name) => Pretrained.Load(EmbeddedData.File("models", name));

    /// <summary>Runs <paramref name="work"/> and fails with <paramref name="what"/> if it left tensors made outside a scope undisposed.</summary>
    private static void LeavesNothingToTheFinalizer(string what, Action work)
    {
        var stats = DisposeScopeManager.Statistics;
        long created = stats.CreatedOutsideScopeCount, disposed = stats.DisposedOutsideScopeCount;
        work();
        long left = (stats.CreatedOutsideScopeCount - created) - (stats.DisposedOutsideScopeCount - disposed);
        Assert.True(left <= 0, $"{what}: {stats.CreatedOutsideScopeCount - created} tensors made outside any dispose scope, " +
                               $"{stats.DisposedOutsideScopeCount - disposed} of them disposed; {left} left to the finalizer");
    }

    public static TheoryData<string, string> Methods => new()
    {
        { EmbeddedData.Aspect, PromptMethods.PromptTuning },
        { EmbeddedData.Aspect, PromptMethods.PTuning },
        { EmbeddedData.Aspect, PromptMethods.PTuningV2 },
        { EmbeddedData.Slots, PromptMethods.PTuningV2 },
        { EmbeddedData.Aspect, PromptMethods.FineTuning },
        { EmbeddedData.Aspect, PromptMethods.HeadOnly },
        { EmbeddedData.E2e, PromptMethods.PrefixTuning },
        { EmbeddedData.E2e, PromptMethods.FineTuning },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void TrainingAndEvaluationOfEachMethodLeaveNothingToTheFinalizer(string task, string method)
    {
        using var backbone = Embedded(task == EmbeddedData.E2e ? "gpt2-small" : "bert-base");
        var train = TaskRegistry.Load(task, "train");
        var dev = TaskRegistry.Load(task, "dev").Take(4);
        var examples = train.Shuffle(1).Take(8).Examples;
        PromptMethodConfig config = method switch
        {
            PromptMethods.PromptTuning => new PromptTuningConfig { Length = 4, BatchSize = 2 },
            PromptMethods.PTuning => new PTuningConfig { BatchSize = 2 },
            PromptMethods.PTuningV2 => new PTuningV2Config { Length = 4, BatchSize = 2 },
            PromptMethods.PrefixTuning => new PrefixTuningConfig { Length = 2, HiddenSize = 16, BatchSize = 2 },
            PromptMethods.HeadOnly => new HeadOnlyConfig { BatchSize = 2 },
            _ => new FineTuningConfig { BatchSize = 2 },
        };
        using var model = PromptMethodFactory.Create(backbone.Model, backbone.Tokenizer, train.Task, config);
        LeavesNothingToTheFinalizer($"{method} on {task}, training", () => PromptTraining.Train(model, examples, 3, 1, null, method));
        LeavesNothingToTheFinalizer($"{method} on {task}, evaluation", () => PromptEvaluation.Evaluate(model, dev, batchSize: 4, maxNewTokens: 6));
    }

    public static TheoryData<string> Seq2SeqMethods => new() { PromptMethods.PromptTuning, PromptMethods.PrefixTuning, PromptMethods.PTuningV2, PromptMethods.FineTuning };

    [Theory]
    [MemberData(nameof(Seq2SeqMethods))]
    public void EncoderDecoderTrainingAndEvaluationLeaveNothingToTheFinalizer(string method)
    {
        using var backbone = Pretrained.LoadSeq2Seq(EmbeddedData.File("models", "bart-small"));
        var train = TaskRegistry.Load(EmbeddedData.Summarization, "train");
        var dev = TaskRegistry.Load(EmbeddedData.Summarization, "validation").Take(2);
        PromptMethodConfig config = method switch
        {
            PromptMethods.PromptTuning => new PromptTuningConfig { Length = 4, BatchSize = 2 },
            PromptMethods.PrefixTuning => new PrefixTuningConfig { Length = 2, HiddenSize = 16, BatchSize = 2 },
            PromptMethods.PTuningV2 => new PTuningV2Config { Length = 2, BatchSize = 2 },
            _ => new FineTuningConfig { BatchSize = 2 },
        };
        using var model = new Seq2SeqTaskModel(backbone.Model, backbone.Tokenizer, train.Task, new Seq2SeqPromptConfig { Method = config });
        var trainer = model.CreateTrainer(PromptTraining.TrainerConfigFor(config, 3) with { EvalEvery = 0, LogEvery = 1000 });
        LeavesNothingToTheFinalizer($"{method} on bart-small, training", () => trainer.Train(train.Shuffle(1).Take(6).Examples));
        LeavesNothingToTheFinalizer($"{method} on bart-small, evaluation", () => PromptEvaluation.Evaluate(model, dev, batchSize: 2, maxNewTokens: 6));
    }

    [Fact]
    public void PetTrainingScoringAndDistillationLeaveNothingToTheFinalizer()
    {
        using var backbone = Embedded("bert-base");
        var task = PetTask.Aspect;
        var train = task.FewShot(10, 0).Take(4).ToList();
        var pool = task.Read(task.UnlabelledFile).Take(6).ToList();
        var pvp = task.BuildPvps(backbone.Tokenizer, 64, count: 1)[0];
        using var model = LanguageModelCopy.Of(backbone.Model);
        var pvpTraining = new PvpTrainingConfig { Trainer = new TrainerConfig { MaxSteps = 2, BatchSize = 2, LearningRate = 1e-4, EvalEvery = 0, LogEvery = 1000 }, UnlabelledBatchSize = 2 };
        LeavesNothingToTheFinalizer("PVP training with the auxiliary MLM loss", () => PvpTrainer.Train(model, pvp, train, pool, pvpTraining));
        LeavesNothingToTheFinalizer("PVP scoring", () => pvp.ClassLogits(model, pool).Dispose());

        using var classifier = new SequenceClassifier(LanguageModelCopy.Of(backbone.Model), task.Labels.Count);
        var trainer = new TrainerConfig { MaxSteps = 2, BatchSize = 2, LearningRate = 1e-3, EvalEvery = 0, LogEvery = 1000 };
        LeavesNothingToTheFinalizer("classifier fine-tuning", () => ClassifierTraining.FineTune(classifier, backbone.Tokenizer, train, trainer, 64));
        var teacher = new float[pool.Count, task.Labels.Count];
        LeavesNothingToTheFinalizer("distillation", () => ClassifierTraining.Distill(classifier, backbone.Tokenizer, pool, teacher, trainer, 64));
        LeavesNothingToTheFinalizer("classifier prediction", () => classifier.Predict(backbone.Tokenizer, pool, 64));
    }
}
