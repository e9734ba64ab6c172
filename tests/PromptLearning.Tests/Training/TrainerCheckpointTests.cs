using PromptLearning.Native;
using PromptLearning.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Training;

public class TrainerCheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "plearn-ckpt-" + Guid.NewGuid().ToString("N"));

    public TrainerCheckpointTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static float[][] Data() => Enumerable.Range(0, 40).Select(i => new[] { i / 40f, 1 - i / 40f, (i % 7) / 7f }).ToArray();

    private static Linear NewLinear(int seed)
    {
        var model = nn.Linear(2, 1);
        var rng = new Random(seed);
        using (no_grad())
        {
            model.weight!.copy_(tensor(new[] { (float)rng.NextDouble(), (float)rng.NextDouble() }).reshape(1, 2));
            model.bias!.copy_(tensor(new[] { (float)rng.NextDouble() }));
        }
        return model;
    }

    /// <summary>Mean squared error after dropout on the inputs, so the run draws from torch's generator too.</summary>
    private static Func<IReadOnlyList<float[]>, Tensor> Loss(Linear model) => batch =>
    {
        var x = tensor(batch.SelectMany(e => e[..2]).ToArray()).reshape(batch.Count, 2);
        var y = tensor(batch.Select(e => e[2]).ToArray()).reshape(batch.Count, 1);
        return nn.functional.mse_loss(model.forward(nn.functional.dropout(x, 0.3, training: true)), y);
    };

    private static TrainerConfig Config => new() { MaxSteps = 12, BatchSize = 8, LearningRate = 0.05, EvalEvery = 0, LogEvery = 1, Seed = 3, RestoreBest = false };

    [Fact]
    public void ResumedRunTakesTheSameStepsAsAnUnbrokenOne()
    {
        using var unbroken = NewLinear(1);
        var full = new Trainer<float[]>(Config, unbroken.named_parameters(), Loss(unbroken))
            .Train(Data(), checkpointing: new TrainerCheckpointing(Path.Combine(_dir, "a"), 4));

        var folder = Path.Combine(_dir, "b");
        using (var first = NewLinear(1))
        {
            using var cancel = new CancellationTokenSource();
            var stopAfter5 = new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); });
            Assert.ThrowsAny<OperationCanceledException>(() => new Trainer<float[]>(Config, first.named_parameters(), Loss(first))
                .Train(Data(), stopAfter5, cancel.Token, new TrainerCheckpointing(folder, 4)));
        }
        Assert.Equal(4, TrainerCheckpointing.StepIn(folder));
        manual_seed(999); // the snapshot, not the current generator, decides the dropout after resuming
        using var resumedModel = NewLinear(2);
        var resumed = new Trainer<float[]>(Config, resumedModel.named_parameters(), Loss(resumedModel))
            .Train(Data(), checkpointing: new TrainerCheckpointing(folder, 4));

        Assert.Equal(12, resumed.Steps);
        Assert.Equal(full.StepLosses, resumed.StepLosses);
        Assert.Equal(unbroken.weight!.data<float>().ToArray(), resumedModel.weight!.data<float>().ToArray());
        Assert.Equal(unbroken.bias!.data<float>().ToArray(), resumedModel.bias!.data<float>().ToArray());
        Assert.Equal(full.History.Count, resumed.History.Count);
    }

    [Fact]
    public void ResumingWithOtherSettingsNamesTheStateFile()
    {
        var folder = Path.Combine(_dir, "c");
        using var model = NewLinear(1);
        new Trainer<float[]>(Config with { MaxSteps = 4 }, model.named_parameters(), Loss(model)).Train(Data(), checkpointing: new TrainerCheckpointing(folder, 2));
        var e = Assert.Throws<InvalidDataException>(() => new Trainer<float[]>(Config with { LearningRate = 0.1 }, model.named_parameters(), Loss(model))
            .Train(Data(), checkpointing: new TrainerCheckpointing(folder, 2)));
        Assert.Contains(TrainerCheckpointing.StateFile, e.Message);
    }

    private sealed class SyncProgress(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
    }
}
