using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Smooth L1 loss (torch.nn.functional.smooth_l1_loss): with d = input - target, 0.5·d²/beta where
    /// |d| &lt; beta, else |d| - 0.5·beta; reduced. beta = 0 is exactly <see cref="L1Loss"/> (as PyTorch);
    /// a negative beta is an error. Equal to <see cref="HuberLoss"/>(delta: beta) / beta for beta &gt; 0.
    /// The shapes must match.
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        if (!(beta >= 0)) throw Errors.Arg("SmoothL1Loss", $"beta must be non-negative, got {beta}.");
        var d = Difference("SmoothL1Loss", input, target);
        var a = d.Abs();
        if (beta == 0) return Reduce("SmoothL1Loss", a, reduction);
        return Reduce("SmoothL1Loss", Tensor.Where(a.Lt(beta), (0.5 / beta) * d * d, a - 0.5 * beta), reduction);
    }

    /// <summary>
    /// Kullback-Leibler divergence (torch.nn.functional.kl_div) of log-probabilities <paramref name="input"/>
    /// and probabilities <paramref name="target"/> (log-probabilities with <paramref name="logTarget"/>):
    /// pointwise t·(log t - input), taken as 0 where t = 0 (PyTorch's xlogy; a negative t gives NaN), or
    /// e^t·(t - input) with logTarget. <see cref="Reduction.BatchMean"/> divides the sum by dim 0's length
    /// (the true KL divergence per sample; a 0-d input gives the sum), Mean by the element count (as PyTorch,
    /// which warns that Mean is rarely what is meant). The shapes must match.
    /// Where t = 0 the target's gradient is -input (the t·log t term contributes 0 there; PyTorch gives NaN).
    /// </summary>
    public static Tensor KLDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        const string op = "KLDiv";
        SameShape(op, input, target);
        FloatInput(op, input);
        Tensor pointwise;
        if (logTarget) pointwise = target.Exp() * (target - input);
        else
        {
            // t·log t with 0 at t = 0: log of 1 there keeps the value and both derivatives finite.
            var zero = target.Eq(0.0);
            var safe = Tensor.Where(zero, Tensor.Scalar(1.0, target.DType), target);
            pointwise = target * safe.Log() - target * input;
        }
        if (!Enum.IsDefined(reduction))
            throw Errors.Arg(op, $"unknown reduction {(int)reduction}; use Reduction.BatchMean, Mean, Sum or None.");
        return reduction switch
        {
            Reduction.None => pointwise,
            Reduction.Sum => pointwise.Sum(),
            Reduction.BatchMean => input.Rank == 0 ? pointwise.Sum() : pointwise.Sum() / (double)input.Shape[0],
            _ => pointwise.Mean(),
        };
    }

    /// <summary>
    /// Poisson negative log likelihood (torch.nn.functional.poisson_nll_loss): e^input - target·input when
    /// <paramref name="logInput"/> (input is the log-rate), else input - target·log(input + eps). With
    /// <paramref name="full"/> the Stirling term target·log(target) - target + 0.5·log(2π·target) is added
    /// where target &gt; 1 (0 elsewhere, as PyTorch). The shapes must match.
    /// </summary>
    public static Tensor PoissonNllLoss(Tensor input, Tensor target, bool logInput = true, bool full = false, double eps = 1e-8,
        Reduction reduction = Reduction.Mean)
    {
        const string op = "PoissonNllLoss";
        SameShape(op, input, target);
        FloatInput(op, input);
        var loss = logInput ? input.Exp() - target * input : input - target * (input + eps).Log();
        if (full)
        {
            // Safe at t ≤ 1 (masked to 0 there): log of 1 keeps the unused branch and its gradient finite.
            var above = target.Gt(1.0);
            var safe = Tensor.Where(above, target, Tensor.Scalar(1.0, target.DType));
            var stirling = safe * safe.Log() - safe + 0.5 * (2 * Math.PI * safe).Log();
            loss = loss + Tensor.Where(above, stirling, Tensor.Scalar(0.0, stirling.DType));
        }
        return Reduce(op, loss, reduction);
    }

    /// <summary>
    /// Gaussian negative log likelihood (torch.nn.functional.gaussian_nll_loss): 0.5·(log v + (input - target)²/v)
    /// with v = max(var, eps), plus 0.5·log(2π) when <paramref name="full"/>. As PyTorch, the clamp changes the value
    /// only: the gradient passes to var as if unclamped. <paramref name="var"/> has the input's shape, or the input's
    /// shape with the last dim 1 (or another dim 1: it broadcasts), or the input's shape without its last dim
    /// (one variance per sample); target has the input's shape or broadcasts to it. A negative variance is an error.
    /// </summary>
    public static Tensor GaussianNllLoss(Tensor input, Tensor target, Tensor var, bool full = false, double eps = 1e-6,
        Reduction reduction = Reduction.Mean)
    {
        const string op = "GaussianNllLoss";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(var);
        var x = FloatInput(op, input);
        var inShape = x.Shape.ToArray();
        var vShape = var.Shape.ToArray();
        if (!vShape.SequenceEqual(inShape))
        {
            if (x.Rank > 0 && vShape.SequenceEqual(inShape[..^1])) var = var.Unsqueeze(-1);
            else if (!(vShape.Length == inShape.Length && Enumerable.Range(0, inShape.Length).Count(i => vShape[i] != inShape[i]) == 1
                       && Enumerable.Range(0, inShape.Length).All(i => vShape[i] == inShape[i] || vShape[i] == 1)))
                throw Errors.Arg(op, $"var {Errors.Describe(var)} must have the input's shape {Errors.Describe(x)}, that shape with one dim 1, " +
                    "or that shape without its last dim.");
        }
        if (!Tensor.BroadcastShapes(op, target.Shape, x.Shape).SequenceEqual(inShape))
            throw Errors.Arg(op, $"target {Errors.Describe(target)} must have the input's shape {Errors.Describe(x)} or broadcast to it.");
        Dispatch.Check(var, new NonNegativeCheck(op, "var (the variances)"));
        // max(var, eps) in value, identity in gradient (PyTorch clamps a clone in place under no_grad).
        var v = var + (var.Clamp(min: eps) - var).Detach();
        var d = x - target;
        var loss = 0.5 * (v.Log() + d * d / v);
        if (full) loss = loss + 0.5 * Math.Log(2 * Math.PI);
        return Reduce(op, loss, reduction);
    }

    /// <summary><see cref="GaussianNllLoss(Tensor, Tensor, Tensor, bool, double, Reduction)"/> with one variance for every element (PyTorch's float var).</summary>
    public static Tensor GaussianNllLoss(Tensor input, Tensor target, double var, bool full = false, double eps = 1e-6,
        Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(var >= 0)) throw Errors.Arg("GaussianNllLoss", $"var must be non-negative, got {var}.");
        return GaussianNllLoss(input, target, Tensor.FullLike(FloatInput("GaussianNllLoss", input), var), full, eps, reduction);
    }
}
