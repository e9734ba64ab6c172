using PromptLearning.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Training;

/// <summary>
/// TorchSharp's AdamW with the same update, op for op (the same numbers and the same <c>save_state_dict</c>
/// format), but with every <see cref="Scalar"/> held for the whole native call. TorchSharp 0.107's own
/// <c>AdamW.step</c> and <c>Adam.step</c> convert their betas, learning rate and epsilon implicitly, and the
/// finalizer may free such a scalar mid-call (see <see cref="Scalars"/>; it once failed a CI run with
/// "toDouble: Expected false to be true" in <c>AdamW.step</c>). With weight decay 0 the update is TorchSharp's
/// (and PyTorch's) Adam. amsgrad and maximize are not supported.
/// </summary>
internal sealed class HeldScalarAdamW(IEnumerable<AdamW.ParamGroup> groups, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    : AdamW(groups, lr, beta1, beta2, eps, weightDecay)
{
    /// <summary>Adam (no weight decay) over <paramref name="parameters"/>, with TorchSharp's <c>optim.Adam</c> defaults.</summary>
    public static HeldScalarAdamW Adam(IEnumerable<Parameter> parameters, double lr) =>
        new([new AdamW.ParamGroup(parameters, lr, 0.9, 0.999, 1e-8, 0.0, false, false)], lr);

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => Update(closure);

    /// <summary>One AdamW update of every parameter that has a gradient, at each group's learning rate.</summary>
    public Tensor Update(Func<Tensor>? closure = null) => _step<AdamW.ParamGroup>(group =>
    {
        var options = (AdamW.Options)group.Options;
        if (options.amsgrad == true || options.maximize == true)
            throw new NotSupportedException("HeldScalarAdamW: a parameter group asks for amsgrad or maximize, which this update does not implement");
        double b1 = options.beta1!.Value, b2 = options.beta2!.Value, rate = options.LearningRate!.Value, decay = options.weight_decay!.Value;
        using var keep = (1 - rate * decay).ToScalar();
        using var beta1Scalar = b1.ToScalar();
        using var oneMinusBeta1 = (1 - b1).ToScalar();
        using var beta2Scalar = b2.ToScalar();
        using var oneMinusBeta2 = (1 - b2).ToScalar();
        using var epsScalar = options.eps!.Value.ToScalar();
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null) continue;
            var state = (AdamW.State)_state[param.Handle];
            state.step += 1;
            if (decay != 0) param.mul_(keep);
            double biasCorrection1 = 1 - Math.Pow(b1, state.step);
            double biasCorrection2 = 1 - Math.Pow(b2, state.step);
            state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            using var denom = state.exp_avg_sq.sqrt().DividedByInPlace(Math.Sqrt(biasCorrection2)).add_(epsScalar, Scalars.One);
            using var stepSize = (-rate / biasCorrection1).ToScalar();
            param.addcdiv_(state.exp_avg, denom, stepSize);
        }
    }, closure);
}
