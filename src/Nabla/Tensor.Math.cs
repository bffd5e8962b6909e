using Nabla.Engine;
using Nabla.Primitives.Elementwise;

namespace Nabla;

public partial class Tensor
{
    /// <summary>-x elementwise.</summary>
    public Tensor Neg() => Unary(new Neg());

    /// <summary>eˣ elementwise (integers are promoted to float32). Overflows to +Inf like float math.</summary>
    public Tensor Exp() => Unary(new Exp());

    /// <summary>Natural logarithm elementwise; log(0) = -Inf, negative inputs give NaN.</summary>
    public Tensor Log() => Unary(new Log());

    /// <summary>Hyperbolic tangent elementwise.</summary>
    public Tensor Tanh() => Unary(new Tanh());

    /// <summary>1/x elementwise (1/0 = Inf).</summary>
    public Tensor Reciprocal() => ScalarOperand(1.0, true) / this;

    /// <summary>Square root elementwise (integers are promoted to float32). √x of a negative x is NaN; the gradient at 0 is +Inf.</summary>
    public Tensor Sqrt() => Unary(new Sqrt());

    /// <summary>1/√x elementwise (integers are promoted to float32). 0 gives +Inf, negative inputs NaN.</summary>
    public Tensor Rsqrt() => Sqrt().Reciprocal();

    /// <summary>
    /// |x| elementwise; integer tensors keep their dtype. The gradient is sign(x), which is 0 at x = 0
    /// (as PyTorch). NaN stays NaN.
    /// </summary>
    public Tensor Abs() => Unary(new Abs());

    /// <summary>Sine elementwise, in radians (integers are promoted to float32). sin(±Inf) = NaN.</summary>
    public Tensor Sin() => Unary(new Sin());

    /// <summary>Cosine elementwise, in radians (integers are promoted to float32). cos(±Inf) = NaN.</summary>
    public Tensor Cos() => Unary(new Cos());

    /// <summary>
    /// Tangent elementwise, in radians (integers are promoted to float32), as torch.tan. tan(±Inf) = NaN,
    /// NaN stays NaN; near the poles π/2 + kπ the value and the gradient 1 + tan²(x) grow without bound.
    /// </summary>
    public Tensor Tan() => Unary(new Tan());

    /// <summary>x² elementwise (x * x; integer tensors keep their dtype).</summary>
    public Tensor Square() => this * this;

    /// <summary>
    /// x^<paramref name="exponent"/> elementwise. The gradient is p·x^(p-1) (0 when p = 0), so
    /// <c>x.Pow(2)</c> has gradient 0 at x = 0. Negative x works with a whole exponent
    /// (<c>(-2)^3 = -8</c>); a fractional exponent gives NaN there. Integer tensors keep their dtype
    /// for a whole exponent ≥ 0, and become float32 for a fractional one; a negative whole exponent on
    /// an integer tensor is an error, as in PyTorch.
    /// </summary>
    /// <example><code>
    /// var t = Tensor.Scalar(2.0f, requiresGrad: true);
    /// var z = t.Pow(2) + 3 * t;
    /// z.Backward();            // t.Grad == 7
    /// </code></example>
    public Tensor Pow(double exponent)
    {
        if (!DType.IsFloating() && DType != DType.Bool && exponent < 0 && exponent == Math.Floor(exponent))
            throw Errors.Arg("Pow", $"integers to negative integer powers are not allowed (a {DType.TorchName()} tensor to the power {exponent}); convert with To(DType.Float32) first.");
        return Unary(new PowScalar(exponent));
    }

    /// <summary>
    /// this^<paramref name="exponent"/> elementwise, with broadcasting and type promotion as for
    /// <c>*</c>. Gradients follow PyTorch: d/d(base) = b·a^(b-1), which is 0 where b = 0;
    /// d/d(exponent) = aᵇ·log(a), which is 0 where a = 0 and b ≥ 0 (instead of NaN), and NaN for a
    /// negative base. Two integer tensors give an integer result; a negative integer exponent is then an error.
    /// </summary>
    public Tensor Pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        if (!DTypes.Promote(DType, exponent.DType).IsFloating() && exponent.Lt(0L).ToArray<bool>().Contains(true))
            throw Errors.Arg("Pow", $"integers to negative integer powers are not allowed ({DType.TorchName()} base, {exponent.DType.TorchName()} exponent); convert with To(DType.Float32) first.");
        return Binary(new Pow(), this, exponent);
    }

    /// <summary>
    /// Elementwise maximum with broadcasting and type promotion (torch.maximum). NaN in either input
    /// gives NaN. Where the two are equal, each receives half the gradient, as in PyTorch.
    /// </summary>
    public Tensor Maximum(Tensor other) => Binary(new Maximum(), this, other);

    /// <summary>
    /// Elementwise minimum with broadcasting and type promotion (torch.minimum). NaN in either input
    /// gives NaN. Where the two are equal, each receives half the gradient, as in PyTorch.
    /// </summary>
    public Tensor Minimum(Tensor other) => Binary(new Minimum(), this, other);

    /// <summary>
    /// Picks <paramref name="a"/> where <paramref name="condition"/> is true, else <paramref name="b"/>
    /// (torch.where). The three broadcast together; <paramref name="a"/> and <paramref name="b"/> are
    /// promoted to a common dtype. The condition must be a Bool tensor (e.g. from <see cref="Gt(Tensor)"/>).
    /// Gradients flow only to the picked input (zeros go to the other). NB: as in PyTorch, a branch's own
    /// backward still runs everywhere, so <c>Where(x.Gt(0L), x.Log(), zero)</c> gets NaN gradients at
    /// x = 0 (0 · ∞ inside Log's rule); make the unused branch safe, e.g. <c>Where(c, x, one).Log()</c>.
    /// </summary>
    /// <example><code>
    /// var y = Tensor.Where(x.Gt(0L), x, 0.1 * x);   // leaky ReLU
    /// </code></example>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var device = DeviceOf("where", condition, a, b);
        (condition, a, b) = (condition.To(device), a.To(device), b.To(device));
        if (condition.DType != DType.Bool)
            throw Errors.Arg("where", $"the condition must be a bool tensor, got {condition.DType.TorchName()}; make one with a comparison such as x.Gt(0L), or x.To(DType.Bool).");
        var dtype = DTypes.Promote(a.DType, b.DType);
        var shape = BroadcastShapes("where", new Shape(BroadcastShapes("where", condition.Shape, a.Shape)), b.Shape);
        return Dispatch.Call(new Where(), condition.BroadcastTo(shape), a.To(dtype).BroadcastTo(shape), b.To(dtype).BroadcastTo(shape));
    }
}
