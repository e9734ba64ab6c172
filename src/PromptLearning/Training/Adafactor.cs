using PromptLearning.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Training;

/// <summary>
/// Adafactor (Shazeer &amp; Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory
/// Cost"), following the update of <c>transformers.optimization.Adafactor</c>: for matrices the
/// second moment is kept as a row and a column running mean (factored, O(n+m) memory), for vectors
/// in full; <c>beta2_t = 1 - t^decay</c>; the update is clipped to RMS &lt;= d; optional relative step
/// size <c>min(1e-2, 1/sqrt(t))</c> and parameter-RMS scaling; optional momentum (beta1). The
/// prompt-tuning paper (Lester et al. 2021) uses it with lr 0.3, no parameter scaling, decay 0.8.
/// </summary>
public sealed class Adafactor : IDisposable
{
    private const double Eps1 = 1e-30; // added to squared gradients
    private const double Eps2 = 1e-3;  // lower bound of the parameter scale

    private sealed class State
    {
        public Tensor? Row, Col, Full, Momentum;
        public bool DecayWeights;
    }

    private readonly List<(Parameter Param, State State)> _params = new();
    private readonly TrainerConfig _config;
    private int _step;

    /// <summary>
    /// Creates the optimizer; <paramref name="decay"/> get <see cref="TrainerConfig.WeightDecay"/>,
    /// <paramref name="noDecay"/> none. Settings come from the <c>Adafactor*</c> fields of <paramref name="config"/>.
    /// </summary>
    public Adafactor(IEnumerable<Parameter> decay, IEnumerable<Parameter> noDecay, TrainerConfig config)
    {
        _config = config;
        foreach (var (p, d) in decay.Select(p => (p, true)).Concat(noDecay.Select(p => (p, false))))
        {
            var s = new State { DecayWeights = d };
            using (no_grad())
            {
                var shape = p.shape;
                if (shape.Length >= 2)
                {
                    s.Row = zeros(shape[..^1], dtype: float32, device: p.device).DetachFromDisposeScope();
                    s.Col = zeros(shape[..^2].Append(shape[^1]).ToArray(), dtype: float32, device: p.device).DetachFromDisposeScope();
                }
                else s.Full = zeros(shape, dtype: float32, device: p.device).DetachFromDisposeScope();
                if (config.AdafactorBeta1 is not null) s.Momentum = zeros(shape, dtype: float32, device: p.device).DetachFromDisposeScope();
            }
            _params.Add((p, s));
        }
    }

    /// <summary>Steps taken so far.</summary>
    public int StepCount => _step;

    /// <summary>Bytes of factored statistics and momentum.</summary>
    public long StateBytes => _params.Sum(x =>
        new[] { x.State.Row, x.State.Col, x.State.Full, x.State.Momentum }.Where(t => t is not null).Sum(t => t!.numel() * t.element_size()));

    /// <summary>The step size used at step <paramref name="t"/> for a parameter with RMS <paramref name="rms"/>.</summary>
    public double StepSize(double learningRate, int t, double rms)
    {
        var lr = learningRate;
        if (_config.AdafactorRelativeStep)
            lr = Math.Min(_config.AdafactorWarmupInit ? 1e-6 * t : 1e-2, 1.0 / Math.Sqrt(t));
        var scale = _config.AdafactorScaleParameter ? Math.Max(Eps2, rms) : 1.0;
        return scale * lr;
    }

    /// <summary>One update with learning rate <paramref name="learningRate"/> (ignored with relative steps).</summary>
    public void Step(double learningRate)
    {
        _step++;
        var t = _step;
        var beta2t = 1.0 - Math.Pow(t, _config.AdafactorDecayRate);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (p, s) in _params)
        {
            var g = p.grad;
            if (g is null) continue;
            var grad = g.to_type(float32);
            var rms = _config.AdafactorScaleParameter ? Rms(p).item<float>() : 1.0;
            var lr = StepSize(learningRate, t, rms);

            using var decay2 = beta2t.ToScalar();
            using var keep2 = (1 - beta2t).ToScalar();
            var sq = grad.Squared().PlusInPlace(Eps1);
            Tensor update;
            if (s.Row is not null)
            {
                s.Row.mul_(decay2).add_(sq.mean(new long[] { -1 }), keep2);
                s.Col!.mul_(decay2).add_(sq.mean(new long[] { -2 }), keep2);
                // V ~ R C / sum(R): rsqrt of the row factor normalised by its mean, times rsqrt of the column factor.
                var r = s.Row.div(s.Row.mean(new long[] { -1 }, keepdim: true)).rsqrt_().unsqueeze(-1);
                var c = s.Col.unsqueeze(-2).rsqrt();
                update = r.mul(c).mul_(grad);
            }
            else
            {
                s.Full!.mul_(decay2).add_(sq, keep2);
                update = s.Full.rsqrt().mul_(grad);
            }
            update.div_(Rms(update).DividedByInPlace(_config.AdafactorClipThreshold).clamp_min_(Scalars.One));
            update.TimesInPlace(lr);
            if (s.Momentum is not null)
            {
                var b1 = _config.AdafactorBeta1!.Value;
                using var decay1 = b1.ToScalar();
                using var keep1 = (1 - b1).ToScalar();
                s.Momentum.mul_(decay1).add_(update, keep1);
                update = s.Momentum;
            }
            if (s.DecayWeights && _config.WeightDecay > 0) Scalars.With(-_config.WeightDecay * lr, alpha => p.add_(p, alpha));
            p.sub_(update.to_type(p.dtype));
        }
    }

    private static Tensor Rms(Tensor x) => x.norm().DividedByInPlace(Math.Sqrt(x.numel()));

    /// <summary>Clears the parameters' gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var (p, _) in _params)
            if (p.grad is { } g) { g.detach_(); g.zero_(); }
    }

    public void Dispose()
    {
        foreach (var (_, s) in _params)
        {
            s.Row?.Dispose(); s.Col?.Dispose(); s.Full?.Dispose(); s.Momentum?.Dispose();
        }
        _params.Clear();
    }
}
