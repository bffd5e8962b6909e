using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The logistic function 1/(1 + e⁻ˣ) elementwise (integers are promoted to float32). Computed from
    /// e^(-|x|), which never overflows, so large |x| gives exact 0/1 limits (no Inf or NaN) in the value
    /// and the gradient; the gradient is σ(x)(1 - σ(x)). NaN stays NaN.
    /// </summary>
    /// <example><code>
    /// Tensor.FromArray(new[] { -100f, 0f, 100f }, [3]).Sigmoid();   // [3.7e-44, 0.5, 1]
    /// </code></example>
    public Tensor Sigmoid() => Unary(new Primitives.Elementwise.Sigmoid());

    /// <summary>
    /// The error function elementwise, as torch.erf (integers are promoted to float32); erf(±∞) = ±1, NaN
    /// stays NaN. Its derivative is (2/√π)·e^(-x²).
    /// </summary>
    public Tensor Erf() => Unary(new Primitives.Special.Erf());

    /// <summary>
    /// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) elementwise in one pass (torch.nn.functional.gelu; integers
    /// are promoted to float32), differentiable to every order. GELU(+∞) = +∞, GELU(-∞) = NaN (x·Φ(x) in
    /// IEEE arithmetic), NaN stays NaN. <c>Nabla.NN.Functional.Gelu</c> also offers the tanh estimate.
    /// </summary>
    public Tensor Gelu() => Unary(new Primitives.Special.Gelu());

    /// <summary>
    /// ELU elementwise, as torch.nn.functional.elu: x for x &gt; 0, <paramref name="alpha"/>·(eˣ - 1)
    /// otherwise (integers are promoted to float32), with eˣ - 1 computed without cancellation near 0. The
    /// gradient is 1 for x &gt; 0 and α·eˣ for x ≤ 0 (α at 0, as PyTorch); it differentiates again. -∞ gives
    /// -α, +∞ gives +∞, NaN stays NaN.
    /// </summary>
    /// <example><code>
    /// Tensor.FromArray(new[] { -1.0, 0.0, 2.0 }, [3]).Elu();   // [-0.6321, 0, 2]
    /// </code></example>
    public Tensor Elu(double alpha = 1.0)
    {
        if (!double.IsFinite(alpha)) throw Errors.Arg("Elu", $"alpha must be finite, got {alpha}.");
        return Unary(new Primitives.Elementwise.Elu(alpha));
    }

    /// <summary>
    /// max(x, 0) elementwise; integer tensors keep their dtype. The gradient is 1 for x &gt; 0 and 0 for
    /// x ≤ 0 (0 at x = 0, as PyTorch). NaN stays NaN.
    /// </summary>
    public Tensor Relu() => Primitives.Elementwise.Relu.Supports(DType)
        ? Dispatch.Call(new Primitives.Elementwise.Relu(), this)
        : Where(Le(0L), ScalarOperand(0, false), this);

    /// <summary>
    /// Limits every element to [<paramref name="min"/>, <paramref name="max"/>] (either may be null for
    /// no bound, but not both), as torch.clamp: min(max(x, min), max), so min &gt; max gives max
    /// everywhere. The gradient is 1 inside the closed interval (bounds included, as PyTorch) and 0
    /// outside. NaN elements stay NaN. Integer tensors keep their dtype when the bounds are whole
    /// numbers, else they become float32.
    /// </summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null)
            throw Errors.Arg("Clamp", "at least one of min and max must be given.");
        static bool Whole(double? v) => v is not double d || (double.IsFinite(d) && d == Math.Floor(d));
        var x = DType.IsFloating() || (Whole(min) && Whole(max)) ? this : To(DType.Float32);
        if (x.DType == DType.Bool) x = x.To(DType.Int64);
        // Compare against the bound in x's own dtype, as PyTorch does with a wrapped number.
        if (min is double lo)
        {
            var bound = Scalar(lo, x.DType);
            x = Where(x.Lt(bound), bound, x);
        }
        if (max is double hi)
        {
            var bound = Scalar(hi, x.DType);
            x = Where(x.Gt(bound), bound, x);
        }
        return x;
    }
}
