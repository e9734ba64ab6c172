using PromptLearning.Native;
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Training;

/// <summary>What a <see cref="Trainer{TExample}.Train"/> run did.</summary>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="StoppedEarly">True when early stopping ended the run before <see cref="TrainerConfig.MaxSteps"/>.</param>
/// <param name="BestStep">Step of the best evaluation (0 when never evaluated).</param>
/// <param name="BestMetric">Value of <see cref="TrainerConfig.MetricForBest"/> at <see cref="BestStep"/> (NaN when never evaluated).</param>
/// <param name="RestoredBest">True when the best parameters were copied back at the end.</param>
/// <param name="StepLosses">The training loss of every step, in order.</param>
/// <param name="History">Every progress report of the run, in order (the ones the progress handler got); <c>PromptLearning.Display</c> turns it into a DataFrame with <c>ToDataFrame()</c>.</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record TrainResult(
    int Steps, bool StoppedEarly, int BestStep, double BestMetric, bool RestoredBest,
    IReadOnlyList<double> StepLosses, IReadOnlyList<TrainerProgress> History, TimeSpan Elapsed);

/// <summary>
/// Trains any set of parameters: the caller gives a loss delegate (batch -> scalar loss tensor) and,
/// optionally, an evaluation delegate (-> dev metrics). Each step runs in its own
/// <c>torch.NewDisposeScope()</c>: loss, backward, NaN/inf guard, gradient clipping by global norm,
/// scheduled learning rate, AdamW or Adafactor update. Every <see cref="TrainerConfig.EvalEvery"/>
/// steps it evaluates (under <c>no_grad</c>, module in eval mode), keeps a copy of the trainable
/// tensors at the best dev metric, stops after <see cref="TrainerConfig.Patience"/> evaluations
/// without improvement, and puts the best tensors back at the end. Seeded: same seed, same data,
/// same losses.
/// </summary>
/// <typeparam name="TExample">One training example; batches are lists of them.</typeparam>
public sealed class Trainer<TExample>
{
    private readonly TrainerConfig _config;
    private readonly List<(string Name, Parameter Parameter)> _parameters;
    private readonly Func<IReadOnlyList<TExample>, Tensor> _loss;
    private readonly Func<IReadOnlyDictionary<string, double>>? _evaluate;
    private readonly nn.Module? _module;

    /// <summary>
    /// A trainer for <paramref name="parameters"/> (name, parameter) pairs; the names decide weight
    /// decay (see <see cref="TrainerConfig.NoDecayOnBiasAndNorm"/>). <paramref name="module"/>, when
    /// given, is put in train mode for steps and eval mode for evaluations.
    /// </summary>
    public Trainer(
        TrainerConfig config,
        IEnumerable<(string Name, Parameter Parameter)> parameters,
        Func<IReadOnlyList<TExample>, Tensor> loss,
        Func<IReadOnlyDictionary<string, double>>? evaluate = null,
        nn.Module? module = null)
    {
        config.Validate();
        _config = config;
        _parameters = parameters.ToList();
        if (_parameters.Count == 0) throw new ArgumentException("Trainer: no parameters to train", nameof(parameters));
        foreach (var (name, p) in _parameters)
            if (!p.requires_grad) throw new ArgumentException($"Trainer: parameter '{name}' does not require grad (frozen parameters must not be passed for training)", nameof(parameters));
        _loss = loss;
        _evaluate = evaluate;
        _module = module;
    }

    /// <summary>A trainer for unnamed parameters (all get weight decay).</summary>
    public Trainer(
        TrainerConfig config,
        IEnumerable<Parameter> parameters,
        Func<IReadOnlyList<TExample>, Tensor> loss,
        Func<IReadOnlyDictionary<string, double>>? evaluate = null,
        nn.Module? module = null)
        : this(config, parameters.Select((p, i) => ($"param{i}", p)), loss, evaluate, module) { }

    /// <summary>The configuration.</summary>
    public TrainerConfig Config => _config;

    /// <summary>Number of trainable scalars.</summary>
    public long TrainableParameterCount => _parameters.Sum(p => p.Parameter.numel());

    /// <summary>Bytes of optimizer state after the last <see cref="Train"/> (0 before).</summary>
    public long OptimizerStateBytes { get; private set; }

    /// <summary>
    /// Runs <see cref="TrainerConfig.MaxSteps"/> steps over shuffled batches of <paramref name="train"/>
    /// (reshuffled every epoch), reporting to <paramref name="progress"/>. With
    /// <paramref name="checkpointing"/>, writes a resumable snapshot every
    /// <see cref="TrainerCheckpointing.Every"/> steps and, when its folder already holds one,
    /// continues from it (the result then covers the whole run, earlier steps included).
    /// </summary>
    /// <exception cref="NonFiniteLossException">The loss or gradient norm became NaN/inf.</exception>
    /// <exception cref="InvalidDataException">The snapshot to resume from was taken with other settings or data.</exception>
    public TrainResult Train(IReadOnlyList<TExample> train, IProgress<TrainerProgress>? progress = null, CancellationToken cancellation = default,
        TrainerCheckpointing? checkpointing = null)
    {
        if (train.Count == 0) throw new ArgumentException("Trainer.Train: the training set is empty", nameof(train));
        if (_config.DropLast && train.Count < _config.BatchSize)
            throw new ArgumentException($"Trainer.Train: DropLast with {train.Count} examples < batch size {_config.BatchSize} leaves no batch", nameof(train));
        if (checkpointing is not null && _config.RestoreBest)
            throw new ArgumentException("Trainer.Train: checkpointing needs TrainerConfig.RestoreBest = false (the best parameters are not part of a snapshot)", nameof(checkpointing));
        if (checkpointing is { Every: <= 0 }) throw new ArgumentException($"TrainerCheckpointing.Every must be positive, not {checkpointing.Every}", nameof(checkpointing));

        torch.manual_seed(_config.Seed);
        var rng = new Random(_config.Seed);
        var clock = Stopwatch.StartNew();
        var parameters = _parameters.Select(p => p.Parameter).ToList();
        using var optimizer = ParameterOptimizer.Create(_config, _parameters);
        var history = new List<TrainerProgress>();
        var stepLosses = new List<double>(_config.MaxSteps);
        var best = new BestKeeper(parameters, _config);
        string? metricName = _config.MetricForBest;
        int evalsWithoutImprovement = 0, epoch = 0, step = 0;
        bool stoppedEarly = false;
        double sinceReportLoss = 0, lastLr = 0, lastGradNorm = 0;
        int sinceReportSteps = 0;
        bool snapshotDue = false;
        var order = Array.Empty<int>();
        int cursor = 0;
        var elapsedBefore = TimeSpan.Zero;
        if (checkpointing is { Resume: true } && File.Exists(Path.Combine(checkpointing.Folder, TrainerCheckpointing.StateFile)))
        {
            var snapshot = TrainerSnapshot.Load(checkpointing.Folder);
            CheckResumable(snapshot, train.Count, checkpointing.Folder);
            snapshot.Restore(checkpointing.Folder, _parameters, optimizer);
            step = snapshot.Step; epoch = snapshot.Epoch; cursor = snapshot.Cursor;
            // the epoch orders are drawn from rng: replaying the shuffles puts rng and the current order back
            for (int e = 0; e < epoch; e++)
            {
                order = Enumerable.Range(0, train.Count).ToArray();
                rng.Shuffle(order);
            }
            sinceReportLoss = snapshot.SinceReportLoss; sinceReportSteps = snapshot.SinceReportSteps;
            evalsWithoutImprovement = snapshot.EvalsWithoutImprovement;
            if (snapshot.BestMetric is { } bestValue) best.Offer(snapshot.BestStep, bestValue);
            stepLosses.AddRange(snapshot.StepLosses);
            foreach (var h in snapshot.History)
                history.Add(new TrainerProgress(h.Step, _config.MaxSteps, h.Epoch, h.Loss, h.LearningRate, h.GradNorm, h.Metrics, h.IsBest, TimeSpan.FromSeconds(h.ElapsedSeconds)));
            elapsedBefore = TimeSpan.FromSeconds(snapshot.ElapsedSeconds);
        }
        TimeSpan Elapsed() => elapsedBefore + clock.Elapsed;
        void Snapshot() => new TrainerSnapshot
        {
            Step = step, Epoch = epoch, Cursor = cursor, TrainCount = train.Count,
            SinceReportLoss = sinceReportLoss, SinceReportSteps = sinceReportSteps,
            BestStep = best.Step, BestMetric = double.IsNaN(best.Value) ? null : best.Value,
            EvalsWithoutImprovement = evalsWithoutImprovement, ElapsedSeconds = Elapsed().TotalSeconds,
            Config = _config, StepLosses = stepLosses,
            History = history.Select(h => new SnapshotProgress(h.Step, h.Epoch, h.Loss, h.LearningRate, h.GradNorm, h.Metrics, h.IsBest, h.Elapsed.TotalSeconds)).ToList(),
        }.Save(checkpointing!.Folder, _parameters, optimizer);

        _module?.train();
        try
        {
            while (step < _config.MaxSteps && !stoppedEarly)
            {
                cancellation.ThrowIfCancellationRequested();
                if (cursor >= order.Length || (_config.DropLast && order.Length - cursor < _config.BatchSize))
                {
                    order = Enumerable.Range(0, train.Count).ToArray();
                    rng.Shuffle(order);
                    cursor = 0;
                    epoch++;
                }
                var n = Math.Min(_config.BatchSize, order.Length - cursor);
                var batch = new TExample[n];
                for (int i = 0; i < n; i++) batch[i] = train[order[cursor + i]];
                cursor += n;
                step++;

                double lossValue;
                using (var scope = torch.NewDisposeScope())
                {
                    optimizer.ZeroGrad();
                    var loss = _loss(batch);
                    if (loss.numel() != 1) throw new InvalidOperationException($"Trainer: the loss delegate returned a tensor of shape [{string.Join(", ", loss.shape)}] at step {step}; it must return a scalar");
                    lossValue = loss.item<float>();
                    if (!double.IsFinite(lossValue))
                        throw new NonFiniteLossException(step, "the training loss", lossValue,
                            "Lower the learning rate, check the inputs of this batch, or clip gradients (MaxGradNorm).");
                    loss.backward();
                    lastGradNorm = _config.MaxGradNorm is { } maxNorm
                        ? torch.nn.utils.clip_grad_norm_(parameters, maxNorm)
                        : GlobalNorm(parameters);
                    if (!double.IsFinite(lastGradNorm))
                        throw new NonFiniteLossException(step, $"the gradient norm (loss {lossValue:G6})", lastGradNorm,
                            "Lower the learning rate or check the loss for overflow.");
                    lastLr = LearningRateSchedule.At(_config, step);
                    optimizer.Step(lastLr);
                }
                stepLosses.Add(lossValue);
                sinceReportLoss += lossValue; sinceReportSteps++;

                if (checkpointing is not null && (step % checkpointing.Every == 0 || step == _config.MaxSteps))
                    snapshotDue = true;
                bool evalNow = _evaluate is not null &&
                    ((_config.EvalEvery > 0 && step % _config.EvalEvery == 0) || step == _config.MaxSteps);
                bool logNow = step % _config.LogEvery == 0 || step == _config.MaxSteps || evalNow;
                if (!logNow)
                {
                    if (snapshotDue) { Snapshot(); snapshotDue = false; }
                    continue;
                }

                IReadOnlyDictionary<string, double>? metrics = null;
                bool isBest = false;
                if (evalNow)
                {
                    metrics = Evaluate();
                    metricName ??= metrics.Keys.FirstOrDefault()
                        ?? throw new InvalidOperationException("Trainer: the eval delegate returned no metrics");
                    if (!metrics.TryGetValue(metricName, out var value))
                        throw new InvalidOperationException($"Trainer: the eval delegate returned no metric '{metricName}' (it returned: {string.Join(", ", metrics.Keys)})");
                    isBest = best.Offer(step, value);
                    if (isBest) evalsWithoutImprovement = 0;
                    else if (_config.Patience is { } patience && ++evalsWithoutImprovement >= patience) stoppedEarly = true;
                }
                var report = new TrainerProgress(step, _config.MaxSteps, epoch, sinceReportLoss / sinceReportSteps,
                    lastLr, lastGradNorm, metrics, isBest, Elapsed());
                history.Add(report);
                sinceReportLoss = 0; sinceReportSteps = 0;
                // the snapshot is written before the report, so a progress handler that saves weights sees a consistent state on disk
                if (snapshotDue) { Snapshot(); snapshotDue = false; }
                progress?.Report(report);
            }
        }
        catch (NonFiniteLossException)
        {
            if (_config.RestoreBest) best.Restore();
            best.Dispose();
            throw;
        }
        finally
        {
            OptimizerStateBytes = optimizer.StateBytes;
            _module?.train();
        }

        bool restored = _config.RestoreBest && best.Restore();
        var result = new TrainResult(step, stoppedEarly, best.Step, best.Value, restored, stepLosses, history, Elapsed());
        best.Dispose();
        return result;
    }

    /// <summary>Throws when a snapshot cannot continue this run (other data size or settings).</summary>
    private void CheckResumable(TrainerSnapshot snapshot, int trainCount, string folder)
    {
        var file = Path.Combine(folder, TrainerCheckpointing.StateFile);
        if (snapshot.TrainCount != trainCount)
            throw new InvalidDataException($"'{file}': the snapshot was taken with {snapshot.TrainCount} training examples, this run has {trainCount}");
        // evaluation and logging intervals may change; everything that shapes the steps may not
        var saved = snapshot.Config with { EvalEvery = _config.EvalEvery, LogEvery = _config.LogEvery };
        var options = new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        var a = System.Text.Json.JsonSerializer.Serialize(saved, options);
        var b = System.Text.Json.JsonSerializer.Serialize(_config, options);
        if (a != b) throw new InvalidDataException($"'{file}': the snapshot was taken with trainer settings {a}, this run has {b}");
        if (snapshot.Step > _config.MaxSteps)
            throw new InvalidDataException($"'{file}': the snapshot is at step {snapshot.Step}, beyond MaxSteps {_config.MaxSteps}");
    }

    private IReadOnlyDictionary<string, double> Evaluate()
    {
        _module?.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return _evaluate!();
        }
        finally { _module?.train(); }
    }

    private static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        using var scope = torch.NewDisposeScope();
        double sum = 0;
        foreach (var p in parameters)
            if (p.grad is { } g) sum += g.Squared().sum().item<float>();
        return Math.Sqrt(sum);
    }

    /// <summary>Copies of the trainable tensors at the best evaluation so far.</summary>
    private sealed class BestKeeper(List<Parameter> parameters, TrainerConfig config) : IDisposable
    {
        private List<Tensor>? _copies;
        public int Step { get; private set; }
        public double Value { get; private set; } = double.NaN;

        public bool Offer(int step, double value)
        {
            if (double.IsNaN(value)) return false;
            var better = double.IsNaN(Value) || (config.GreaterIsBetter ? value > Value : value < Value);
            if (!better) return false;
            Step = step; Value = value;
            if (config.RestoreBest)
            {
                using var noGrad = torch.no_grad();
                if (_copies is null)
                    _copies = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToList();
                else
                    for (int i = 0; i < parameters.Count; i++) _copies[i].copy_(parameters[i]);
            }
            return true;
        }

        public bool Restore()
        {
            if (_copies is null) return false;
            using var noGrad = torch.no_grad();
            for (int i = 0; i < parameters.Count; i++) parameters[i].copy_(_copies[i]);
            return true;
        }

        public void Dispose()
        {
            if (_copies is null) return;
            foreach (var c in _copies) c.Dispose();
            _copies = null;
        }
    }
}
