using PromptLearning.Native;
using PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PromptLearning.Pet;

/// <summary>
/// The losses of PET (Schick &amp; Schütze, EACL 2021, eq. 2-3 and §3.3):
/// <list type="bullet">
/// <item><see cref="Classification"/>: cross-entropy over the verbalizer scores (the softmax runs
/// over the labels' scores only, not the vocabulary).</item>
/// <item><see cref="MaskedLm"/>: the auxiliary masked-LM loss on unlabelled text.</item>
/// <item><see cref="Combine"/>: <c>L = (1 - alpha) L_CE + alpha L_MLM</c> with alpha = 1e-4, the
/// paper's weighting (PET's code: <c>0.9999 * ce + 1e-4 * mlm</c>).</item>
/// <item><see cref="Distillation"/>: KL divergence between temperature-softened teacher and
/// student distributions, times T², for the final classifier.</item>
/// </list>
/// </summary>
public static class PetLoss
{
    /// <summary>The paper's weight of the auxiliary MLM loss.</summary>
    public const double DefaultAlpha = 1e-4;
    /// <summary>The paper's distillation temperature.</summary>
    public const double DefaultTemperature = 2.0;

    /// <summary>Mean cross-entropy of label scores [B, C] against gold labels [B] (int64).</summary>
    public static Tensor Classification(Tensor labelScores, Tensor labels) => F.cross_entropy(labelScores, labels);

    /// <summary>
    /// PET's multi-token loss (<c>MultiMaskTaskHelper.train_step</c>): for each row, the sum over the wrong
    /// labels w of <c>max(0, margin - s[correct] + s[w])</c>, averaged over the batch. <paramref name="labelScores"/>
    /// [B, C] are summed token log-probabilities (<see cref="Pvp.MaxMaskScores"/>), <paramref name="labels"/> [B] int64.
    /// </summary>
    public static Tensor Hinge(Tensor labelScores, Tensor labels, double margin = 1.0)
    {
        using var scope = NewDisposeScope();
        var correct = labelScores.gather(1, labels.unsqueeze(1));                      // [B, 1]
        var wrong = F.one_hot(labels, labelScores.shape[1]).to_type(labelScores.dtype).SubtractedFrom(1.0); // [B, C]
        var hinge = (labelScores - correct).Plus(margin).clamp_min(Scalars.Zero) * wrong;
        return hinge.sum(1).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean cross-entropy of MLM logits [B, L, V] over the positions whose label [B, L] is not
    /// <see cref="LossLabels.IgnoreIndex"/> (the masked tokens).
    /// </summary>
    public static Tensor MaskedLm(Tensor mlmLogits, Tensor mlmLabels) =>
        F.cross_entropy(mlmLogits.reshape(-1, mlmLogits.shape[^1]), mlmLabels.reshape(-1), ignore_index: LossLabels.IgnoreIndex);

    /// <summary><c>(1 - alpha) * ce + alpha * mlm</c>; just <paramref name="ce"/> when there is no MLM term.</summary>
    public static Tensor Combine(Tensor ce, Tensor? mlm, double alpha = DefaultAlpha)
    {
        if (alpha is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1]");
        return mlm is null ? ce.alias() : ce.Times(1 - alpha).Plus(mlm.Times(alpha));
    }

    /// <summary>
    /// Knowledge distillation: <c>T² · KL(softmax(teacher/T) ‖ softmax(student/T))</c>, averaged over
    /// the batch. <paramref name="teacherLogits"/> [B, C] are the ensemble's (already weighted) logits.
    /// </summary>
    public static Tensor Distillation(Tensor studentLogits, Tensor teacherLogits, double temperature = DefaultTemperature)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be > 0");
        using var scope = NewDisposeScope();
        var logStudent = F.log_softmax(studentLogits.DividedBy(temperature), 1);
        var logTeacher = F.log_softmax(teacherLogits.detach().DividedBy(temperature), 1);
        var kl = (logTeacher.exp() * (logTeacher - logStudent)).sum(1).mean();
        return kl.Times(temperature * temperature).MoveToOuterDisposeScope();
    }

    /// <summary>Softmax of <paramref name="logits"/> [N, C] at temperature <paramref name="temperature"/> (the soft labels).</summary>
    public static float[,] SoftLabels(float[,] logits, double temperature = DefaultTemperature)
    {
        int n = logits.GetLength(0), c = logits.GetLength(1);
        var p = new float[n, c];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < c; j++) max = Math.Max(max, logits[i, j] / temperature);
            double z = 0;
            for (int j = 0; j < c; j++) z += Math.Exp(logits[i, j] / temperature - max);
            for (int j = 0; j < c; j++) p[i, j] = (float)(Math.Exp(logits[i, j] / temperature - max) / z);
        }
        return p;
    }
}
