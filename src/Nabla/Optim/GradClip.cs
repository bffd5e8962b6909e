using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. The PyTorch-style
/// functions change the parameters' <c>Grad</c> in place; <see cref="ClipGradientsByNorm"/> does the
/// same maths on a list of gradients for TF-style loops (<c>tape.Gradient</c> then <c>ApplyGradients</c>).
/// </summary>
/// <example><code>
/// loss.Backward();
/// double norm = GradClip.ClipGradNorm(model.Parameters(), maxNorm: 1.0);   // inside Graph.Compile: the out Tensor form
/// opt.Step();
/// </code></example>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients together so that their total norm (the <paramref name="normType"/>-norm of the
    /// per-tensor norms; <see cref="double.PositiveInfinity"/> for the largest absolute value) is at most
    /// <paramref name="maxNorm"/>: each is multiplied by <c>maxNorm/(total + 1e-6)</c> when that is below 1.
    /// Parameters whose <c>Grad</c> is null are ignored. Returns the total norm before clipping (0 when
    /// no parameter has a gradient; norms are computed in float64). A NaN or infinite total scales the gradients by NaN or 0, as PyTorch,
    /// unless <paramref name="errorIfNonfinite"/>, which throws instead.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double total = TotalNorm("ClipGradNorm", grads, normType, errorIfNonfinite);
        double coef = maxNorm / (total + 1e-6);
        if (!(coef >= 1))
            using (Autograd.NoGrad())
                foreach (var g in grads) g.MulInPlace(coef);
        return total;
    }

    /// <summary>
    /// <see cref="ClipGradNorm(IEnumerable{Tensor}, double, double, bool)"/> without reading anything back to the
    /// host (torch.nn.utils.clip_grad_norm_, which returns a tensor): every gradient is multiplied by
    /// <c>min(maxNorm/(total + 1e-6), 1)</c> computed as a tensor, and <paramref name="totalNorm"/> is the float64
    /// scalar total. The same gradients, bit for bit; use this form inside a compiled training step, where
    /// the double form's read of the norm would be a guard that fails on almost every call.
    /// <paramref name="errorIfNonfinite"/> is then a check run on every call.
    /// </summary>
    /// <example><code>
    /// loss.Backward();
    /// GradClip.ClipGradNorm(model.Parameters(), maxNorm: 1.0, out var norm);
    /// opt.Step();
    /// </code></example>
    public static void ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, out Tensor totalNorm, double normType = 2,
        bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        totalNorm = TotalNormTensor("ClipGradNorm", grads, normType);
        if (errorIfNonfinite) Dispatch.Check(totalNorm, new FiniteNormCheck("ClipGradNorm", normType));
        using (Autograd.NoGrad())
        {
            // A coefficient of 1 leaves each gradient bitwise as it was (the double form skips the multiply).
            var coef = (maxNorm / (totalNorm + 1e-6)).Clamp(max: 1.0);
            foreach (var g in grads) g.MulInPlace(coef.To(g.DType));
        }
    }

    /// <summary>
    /// <see cref="ClipGradNorm(IEnumerable{Tensor}, double, double, bool)"/>'s maths on a list of gradients (nulls stay null): returns scaled copies
    /// (or the same tensors when no scaling is needed) and the total norm before clipping.
    /// </summary>
    public static (Tensor?[] Gradients, double TotalNorm) ClipGradientsByNorm(IReadOnlyList<Tensor?> gradients, double maxNorm,
        double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        double total = TotalNorm("ClipGradientsByNorm", gradients.OfType<Tensor>().ToList(), normType, errorIfNonfinite);
        double coef = maxNorm / (total + 1e-6);
        if (coef >= 1) return (gradients.ToArray(), total);
        using (Autograd.NoGrad())
            return (gradients.Select(g => g is null ? null : g * coef).ToArray(), total);
    }

    /// <summary>
    /// Clamps every gradient element into [−clipValue, clipValue] in place (NaN stays NaN). Parameters
    /// whose <c>Grad</c> is null are ignored. Throws for a negative or NaN <paramref name="clipValue"/>.
    /// </summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw Errors.Arg("ClipGradValue", $"clipValue must be >= 0, got {clipValue}.");
        using (Autograd.NoGrad())
            foreach (var p in parameters)
                if (p.Grad is { } g) g.CopyFrom(g.Clamp(-clipValue, clipValue));
    }

    static double TotalNorm(string op, List<Tensor> grads, double normType, bool errorIfNonfinite)
    {
        var total = TotalNormTensor(op, grads, normType);
        if (errorIfNonfinite) new FiniteNormCheck(op, normType).Run(total);
        return total.Item<double>();
    }

    /// <summary>The norm of the per-tensor norms, as a float64 scalar tensor (0 without gradients).</summary>
    static Tensor TotalNormTensor(string op, List<Tensor> grads, double normType)
    {
        if (double.IsNaN(normType)) throw Errors.Arg(op, "normType is NaN.");
        if (grads.Count == 0) return Tensor.Scalar(0.0);
        using (Autograd.NoGrad())
        {
            // Each tensor's norm first, then the norm of those norms, as PyTorch.
            var norms = grads.Select(g => Norm(g.To(DType.Float64).Reshape(-1), normType)).ToList();
            return Norm(Tensor.Stack(norms), normType);
        }
    }

    /// <summary>The total norm must be finite for the gradients to be clipped (errorIfNonfinite).</summary>
    sealed record FiniteNormCheck(string Op, double NormType) : ValueCheck
    {
        public override void Run(Tensor total)
        {
            double value = total.Item<double>();
            if (!double.IsFinite(value))
                throw Errors.State(Op, $"the total norm of order {NormType} of the gradients is {value}, so they cannot be clipped. " +
                    "Look for NaN/Inf in the loss or the gradients (Autograd.DetectAnomaly can find where one is born).");
        }
    }

    static Tensor Norm(Tensor x, double p)
    {
        if (x.NumElements == 0) return Tensor.Scalar(0.0);
        var a = x.Abs();
        if (double.IsPositiveInfinity(p)) return a.Max();
        if (double.IsNegativeInfinity(p)) return a.Min();
        if (p == 0) return a.Ne0Count();
        if (p == 1) return a.Sum();
        if (p == 2) return (x * x).Sum().Sqrt();
        return a.Pow(p).Sum().Pow(1 / p);
    }

    static Tensor Ne0Count(this Tensor a) => a.Gt(0.0).To(DType.Float64).Sum();
}
