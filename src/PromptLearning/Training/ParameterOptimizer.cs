using TorchSharp;
using TorchSharp.Modules;

namespace PromptLearning.Training;

/// <summary>
/// The optimizer behind a <see cref="Trainer{TExample}"/>: one update of all its parameters at a
/// learning rate chosen per step by the schedule. Wraps TorchSharp's AdamW (its update rewritten with
/// held scalars: <see cref="HeldScalarAdamW"/>) or this library's <see cref="Adafactor"/>.
/// </summary>
public abstract class ParameterOptimizer : IDisposable
{
    /// <summary>Applies one update with the given learning rate (gradients already computed and clipped).</summary>
    public abstract void Step(double learningRate);
    /// <summary>Clears the gradients of all parameters.</summary>
    public abstract void ZeroGrad();
    /// <summary>Bytes held by the optimizer's per-parameter state (moments, factored statistics).</summary>
    public abstract long StateBytes { get; }
    /// <summary>Writes the optimizer's state (moments, step counts) to <paramref name="path"/>.</summary>
    public abstract void Save(string path);
    /// <summary>Reads a state written by <see cref="Save"/> for the same parameters.</summary>
    public abstract void Load(string path);
    public abstract void Dispose();

    /// <summary>
    /// Builds the optimizer named by <paramref name="config"/> for named parameters (names decide which
    /// get no weight decay when <see cref="TrainerConfig.NoDecayOnBiasAndNorm"/> is set).
    /// </summary>
    public static ParameterOptimizer Create(TrainerConfig config, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        bool Decays(string name) => !config.NoDecayOnBiasAndNorm ||
            !(name.Contains("bias", StringComparison.Ordinal) || name.Contains("LayerNorm", StringComparison.Ordinal) || name.Contains("ln_", StringComparison.Ordinal));
        var decay = parameters.Where(p => Decays(p.Name)).Select(p => p.Parameter).ToList();
        var noDecay = parameters.Where(p => !Decays(p.Name)).Select(p => p.Parameter).ToList();
        return config.Optimizer switch
        {
            OptimizerKind.AdamW => new AdamWOptimizer(config, decay, noDecay),
            OptimizerKind.Adafactor => new AdafactorOptimizer(new Adafactor(decay, noDecay, config)),
            _ => throw new ArgumentException($"TrainerConfig.Optimizer: unknown optimizer {config.Optimizer}"),
        };
    }

    private sealed class AdamWOptimizer : ParameterOptimizer
    {
        private readonly HeldScalarAdamW _adam;
        private readonly List<Parameter> _all;

        public AdamWOptimizer(TrainerConfig c, List<Parameter> decay, List<Parameter> noDecay)
        {
            var groups = new List<AdamW.ParamGroup>();
            if (decay.Count > 0) groups.Add(new AdamW.ParamGroup(decay, c.LearningRate, c.Beta1, c.Beta2, c.Epsilon, c.WeightDecay, false, false));
            if (noDecay.Count > 0) groups.Add(new AdamW.ParamGroup(noDecay, c.LearningRate, c.Beta1, c.Beta2, c.Epsilon, 0.0, false, false));
            _adam = new HeldScalarAdamW(groups, c.LearningRate, c.Beta1, c.Beta2, c.Epsilon, c.WeightDecay);
            _all = decay.Concat(noDecay).ToList();
        }

        public override void Step(double learningRate)
        {
            foreach (var g in _adam.ParamGroups) g.LearningRate = learningRate;
            _adam.Update();
        }

        public override void ZeroGrad() => _adam.zero_grad();

        // exp_avg and exp_avg_sq: two tensors shaped like each parameter.
        public override long StateBytes => _all.Sum(p => 2 * p.numel() * p.element_size());

        public override void Save(string path) => _adam.save_state_dict(path);

        public override void Load(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"optimizer state '{path}' is missing", path);
            _adam.load_state_dict(path);
        }

        public override void Dispose() => _adam.Dispose();
    }

    private sealed class AdafactorOptimizer(Adafactor adafactor) : ParameterOptimizer
    {
        public override void Step(double learningRate) => adafactor.Step(learningRate);
        public override void ZeroGrad() => adafactor.ZeroGrad();
        public override long StateBytes => adafactor.StateBytes;
        public override void Save(string path) => throw new NotSupportedException($"checkpointing Adafactor's state is not supported (tried to write '{path}'); use AdamW for resumable runs");
        public override void Load(string path) => throw new NotSupportedException($"checkpointing Adafactor's state is not supported (tried to read '{path}'); use AdamW for resumable runs");
        public override void Dispose() => adafactor.Dispose();
    }
}
