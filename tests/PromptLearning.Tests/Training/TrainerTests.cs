using PromptLearning.Display;
using PromptLearning.Native;
using PromptLearning.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Training;

public class TrainerTests
{
    public TrainerTests()
    {
        TorchSharpNative.EnsureLoaded();
        set_num_threads(1); // OpenMP threads spin under contention on shared cores
    }

    /// <summary>y = 3 x0 - 2 x1 + 1, 64 points on a grid.</summary>
    private static (float X0, float X1, float Y)[] RegressionData()
    {
        var rng = new Random(7);
        return Enumerable.Range(0, 64).Select(_ =>
        {
            float a = (float)(rng.NextDouble() * 2 - 1), b = (float)(rng.NextDouble() * 2 - 1);
            return (a, b, 3 * a - 2 * b + 1);
        }).ToArray();
    }

    private static Func<IReadOnlyList<(float X0, float X1, float Y)>, Tensor> MseLoss(Linear model) => batch =>
    {
        var x = tensor(batch.SelectMany(e => new[] { e.X0, e.X1 }).ToArray()).reshape(batch.Count, 2);
        var y = tensor(batch.Select(e => e.Y).ToArray()).reshape(batch.Count, 1);
        return nn.functional.mse_loss(model.forward(x), y);
    };

    /// <summary>
    /// A 2→1 linear layer whose weights come from <paramref name="seed"/> alone: tests run in parallel and
    /// share torch's global generator, so seeding it and then calling <c>nn.Linear</c> would race.
    /// </summary>
    private static Linear NewLinear(int seed)
    {
        var model = nn.Linear(2, 1);
        var rng = new Random(seed);
        using (no_grad())
        {
            model.weight!.copy_(tensor(new[] { (float)(rng.NextDouble() - 0.5), (float)(rng.NextDouble() - 0.5) }).reshape(1, 2));
            model.bias!.copy_(tensor(new[] { (float)(rng.NextDouble() - 0.5) }));
        }
        return model;
    }

    [Theory]
    [InlineData(OptimizerKind.AdamW)]
    [InlineData(OptimizerKind.Adafactor)]
    public void LinearRegressionLearns(OptimizerKind kind)
    {
        using var model = NewLinear(1);
        var config = new TrainerConfig { Optimizer = kind, MaxSteps = 300, BatchSize = 16, LearningRate = 0.05, WarmupSteps = 10, EvalEvery = 0 };
        var trainer = new Trainer<(float, float, float)>(config, model.named_parameters(), MseLoss(model));
        var result = trainer.Train(RegressionData());
        Assert.Equal(300, result.Steps);
        Assert.True(result.StepLosses[0] > 0.5, $"first loss {result.StepLosses[0]}");
        Assert.True(result.StepLosses[^1] < 1e-2, $"last loss {result.StepLosses[^1]}");
        var w = model.weight!.data<float>().ToArray();
        Assert.InRange(w[0], 2.8f, 3.2f);
        Assert.InRange(w[1], -2.2f, -1.8f);
        Assert.InRange(model.bias!.item<float>(), 0.8f, 1.2f);
    }

    [Fact]
    public void AdafactorWithRelativeStepLearns()
    {
        using var model = NewLinear(1);
        var config = new TrainerConfig
        {
            Optimizer = OptimizerKind.Adafactor, AdafactorRelativeStep = true, AdafactorScaleParameter = true,
            LearningRate = 0, MaxSteps = 400, BatchSize = 16, EvalEvery = 0,
        };
        var result = new Trainer<(float, float, float)>(config, model.named_parameters(), MseLoss(model)).Train(RegressionData());
        Assert.True(result.StepLosses.TakeLast(10).Average() < result.StepLosses.Take(10).Average() / 4,
            $"loss went from {result.StepLosses.Take(10).Average()} to {result.StepLosses.TakeLast(10).Average()}");
    }

    [Fact]
    public void AdafactorKeepsFactoredStateForMatrices()
    {
        using var big = nn.Linear(64, 32);
        var loss = (IReadOnlyList<int> _) => big.forward(ones(1, 64)).square().mean();
        var adamW = new Trainer<int>(new TrainerConfig { MaxSteps = 1, EvalEvery = 0 }, big.named_parameters(), loss);
        adamW.Train(new[] { 0 });
        var adafactor = new Trainer<int>(new TrainerConfig { MaxSteps = 1, EvalEvery = 0, Optimizer = OptimizerKind.Adafactor }, big.named_parameters(), loss);
        adafactor.Train(new[] { 0 });
        // AdamW: 2 x (64*32 + 32) floats; Adafactor: row 32 + column 64 for the weight, 32 for the bias.
        Assert.Equal(2 * (64 * 32 + 32) * 4, adamW.OptimizerStateBytes);
        Assert.Equal((32 + 64 + 32) * 4, adafactor.OptimizerStateBytes);
    }

    [Fact]
    public void XorLearnsWithMlp()
    {
        manual_seed(3);
        using var mlp = nn.Sequential(("0", nn.Linear(2, 16)), ("1", nn.Tanh()), ("2", nn.Linear(16, 2)));
        var data = new (float A, float B, long Y)[] { (0f, 0f, 0L), (0f, 1f, 1L), (1f, 0f, 1L), (1f, 1f, 0L) };
        Tensor Logits(IEnumerable<(float A, float B, long Y)> xs) =>
            mlp.forward(tensor(xs.SelectMany(e => new[] { e.A, e.B }).ToArray()).reshape(-1, 2));
        var config = new TrainerConfig { MaxSteps = 400, BatchSize = 4, LearningRate = 0.05, EvalEvery = 50, Patience = null };
        var trainer = new Trainer<(float A, float B, long Y)>(config, mlp.named_parameters(),
            batch => nn.functional.cross_entropy(Logits(batch), tensor(batch.Select(e => e.Y).ToArray())),
            () =>
            {
                var pred = Logits(data).argmax(1).data<long>().ToArray();
                return new Dictionary<string, double> { ["accuracy"] = pred.Zip(data, (p, e) => p == e.Y ? 1.0 : 0.0).Average() };
            }, mlp);
        var result = trainer.Train(data);
        Assert.Equal(1.0, result.BestMetric);
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 0, 1, 1, 0 }, Logits(data).argmax(1).data<long>().ToArray());
    }

    [Fact]
    public void NonFiniteLossStopsNamingTheStep()
    {
        using var model = NewLinear(1);
        var mse = MseLoss(model);
        int calls = 0;
        var trainer = new Trainer<(float, float, float)>(new TrainerConfig { MaxSteps = 50, EvalEvery = 0 }, model.named_parameters(),
            batch => ++calls == 7 ? mse(batch) * double.NaN : mse(batch));
        var ex = Assert.Throws<NonFiniteLossException>(() => trainer.Train(RegressionData()));
        Assert.Equal(7, ex.Step);
        Assert.True(double.IsNaN(ex.Value));
        Assert.Contains("step 7", ex.Message);
        Assert.Contains("NaN", ex.Message);
        Assert.DoesNotContain(model.weight!.data<float>().ToArray(), float.IsNaN);
    }

    [Fact]
    public void InfiniteLossIsReportedAsInf()
    {
        using var model = NewLinear(1);
        var mse = MseLoss(model);
        var trainer = new Trainer<(float, float, float)>(new TrainerConfig { MaxSteps = 5, EvalEvery = 0 }, model.named_parameters(),
            batch => mse(batch) / 0.0);
        var ex = Assert.Throws<NonFiniteLossException>(() => trainer.Train(RegressionData()));
        Assert.Equal(1, ex.Step);
        Assert.Contains("+inf", ex.Message);
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestParameters()
    {
        using var model = NewLinear(1);
        // Scripted dev metric: best at the 2nd evaluation (step 20), then two worse ones -> stop at step 40.
        var script = new Queue<double>(new[] { 0.5, 0.9, 0.7, 0.6, 0.95, 0.99 });
        float[]? atBest = null;
        int evals = 0;
        var config = new TrainerConfig { MaxSteps = 100, EvalEvery = 10, Patience = 2, LearningRate = 0.05, LogEvery = 5 };
        var trainer = new Trainer<(float, float, float)>(config, model.named_parameters(), MseLoss(model), () =>
        {
            evals++;
            if (evals == 2) atBest = model.weight!.data<float>().ToArray().Concat(model.bias!.data<float>().ToArray()).ToArray();
            return new Dictionary<string, double> { ["accuracy"] = script.Dequeue(), ["loss"] = 1.0 / evals };
        });
        var result = trainer.Train(RegressionData());
        Assert.True(result.StoppedEarly);
        Assert.Equal(40, result.Steps);
        Assert.Equal(20, result.BestStep);
        Assert.Equal(0.9, result.BestMetric);
        Assert.True(result.RestoredBest);
        var now = model.weight!.data<float>().ToArray().Concat(model.bias!.data<float>().ToArray()).ToArray();
        Assert.Equal(atBest, now);

        var h = result.History.ToDataFrame();
        Assert.Equal(8, h.Rows.Count); // reports every 5 steps up to 40
        Assert.Equal(new[] { "step", "epoch", "loss", "lr", "grad_norm", "elapsed_s", "dev_accuracy", "dev_loss", "is_best" },
            h.Columns.Select(c => c.Name).ToArray());
        Assert.Null(h["dev_accuracy"][0]);
        Assert.Equal(0.9, (double)h["dev_accuracy"][3]!);
        Assert.Equal(true, h["is_best"][3]);
    }

    [Fact]
    public void LowerIsBetterMetricPicksTheMinimum()
    {
        using var model = NewLinear(1);
        var script = new Queue<double>(new[] { 3.0, 1.0, 2.0 });
        var config = new TrainerConfig { MaxSteps = 30, EvalEvery = 10, MetricForBest = "loss", GreaterIsBetter = false };
        var result = new Trainer<(float, float, float)>(config, model.named_parameters(), MseLoss(model),
            () => new Dictionary<string, double> { ["accuracy"] = 0, ["loss"] = script.Dequeue() }).Train(RegressionData());
        Assert.Equal(20, result.BestStep);
        Assert.Equal(1.0, result.BestMetric);
    }

    [Fact]
    public void SameSeedGivesSameLossesAndOtherSeedDiffers()
    {
        IReadOnlyList<double> Run(int seed)
        {
            using var model = NewLinear(1);
            var config = new TrainerConfig { MaxSteps = 20, BatchSize = 8, EvalEvery = 0, Seed = seed };
            return new Trainer<(float, float, float)>(config, model.named_parameters(), MseLoss(model)).Train(RegressionData()).StepLosses;
        }
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void ProgressPrinterWritesALinePerReport()
    {
        using var model = NewLinear(1);
        var writer = new StringWriter();
        var config = new TrainerConfig { MaxSteps = 20, LogEvery = 5, EvalEvery = 10 };
        new Trainer<(float, float, float)>(config, model.named_parameters(), MseLoss(model),
            () => new Dictionary<string, double> { ["accuracy"] = 0.5 }).Train(RegressionData(), new ProgressPrinter(writer));
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("step  5/20 | epoch 2 | loss ", lines[0]);
        Assert.Contains("accuracy 0.5000 *", lines[1]);
    }

    [Fact]
    public void ScheduleWarmsUpThenDecaysLinearly()
    {
        // transformers' get_linear_schedule_with_warmup at the count of steps already taken: lr 0 for the
        // first update, the peak after the warm-up steps (update 11), then linear decay.
        var c = new TrainerConfig { MaxSteps = 110, WarmupSteps = 10, LearningRate = 1.0 };
        Assert.Equal(0.0, LearningRateSchedule.At(c, 1), 12);
        Assert.Equal(0.1, LearningRateSchedule.At(c, 2), 12);
        Assert.Equal(0.9, LearningRateSchedule.At(c, 10), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(c, 11), 12);
        Assert.Equal(0.99, LearningRateSchedule.At(c, 12), 12);
        Assert.Equal(0.5, LearningRateSchedule.At(c, 61), 12);
        Assert.Equal(0.01, LearningRateSchedule.At(c, 110), 12);
        var constant = c with { Schedule = ScheduleKind.ConstantWithWarmup };
        Assert.Equal(0.0, LearningRateSchedule.At(constant, 1), 12);
        Assert.Equal(0.9, LearningRateSchedule.At(constant, 10), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(constant, 11), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(constant, 100), 12);
        // Without warm-up the first update has the peak.
        Assert.Equal(1.0, LearningRateSchedule.At(c with { WarmupSteps = 0 }, 1), 12);
    }

    [Fact]
    public void FrozenParametersAreRejected()
    {
        using var model = NewLinear(1);
        model.bias!.requires_grad = false;
        var ex = Assert.Throws<ArgumentException>(() =>
            new Trainer<int>(new TrainerConfig(), model.named_parameters(), _ => zeros(1)));
        Assert.Contains("'bias'", ex.Message);
    }

    [Fact]
    public void GradientsAreClippedToTheGlobalNorm()
    {
        using var model = NewLinear(1);
        var config = new TrainerConfig { MaxSteps = 1, EvalEvery = 0, MaxGradNorm = 0.5 };
        var result = new Trainer<int>(config, model.named_parameters(), _ => model.forward(full(1, 2, 100f)).sum() * 1000).Train(new[] { 0 });
        var reported = result.History[0].GradNorm;
        Assert.True(reported > 1e4, $"pre-clip norm {reported}");
        // The gradients left after the last step are the clipped ones.
        var norm = Math.Sqrt(model.parameters().Sum(p => p.grad!.square().sum().item<float>()));
        Assert.InRange(norm, 0.49, 0.5001);
    }
}
