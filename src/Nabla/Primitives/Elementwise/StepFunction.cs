namespace Nabla.Primitives.Elementwise;

/// <summary>
/// Base of the piecewise-constant elementwise ops (floor, ceil, trunc, round, sign): the derivative is zero
/// wherever it exists, and like PyTorch the gradient is zero everywhere (also at the jumps, and where the
/// incoming gradient is NaN or infinite: zeros, not gy·0). Integer tensors keep their dtype.
/// </summary>
internal abstract class StepFunction : ElementwiseUnary
{
    public override bool SupportsIntegers => true;

    public override Tensor Derivative(Tensor x, Tensor y) => Tensor.ZerosLike(x);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Tensor.ZerosLike(gy)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Tensor.ZerosLike(dx[0]!);
}

/// <summary>y = ⌊x⌋, the largest whole number ≤ x (torch.floor); ±Inf, NaN and ±0 stay as they are.</summary>
internal sealed class Floor : StepFunction
{
    public override string Name => "floor";
    public override double Reference(double x) => Math.Floor(x);
}

/// <summary>y = ⌈x⌉, the smallest whole number ≥ x (torch.ceil); ±Inf, NaN and ±0 stay as they are.</summary>
internal sealed class Ceil : StepFunction
{
    public override string Name => "ceil";
    public override double Reference(double x) => Math.Ceiling(x);
}

/// <summary>y = x rounded toward zero (torch.trunc); ±Inf, NaN and ±0 stay as they are.</summary>
internal sealed class Trunc : StepFunction
{
    public override string Name => "trunc";
    public override double Reference(double x) => Math.Truncate(x);
}

/// <summary>y = x rounded to the nearest whole number, halves to the even one (torch.round: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2).</summary>
internal sealed class Round : StepFunction
{
    public override string Name => "round";
    public override double Reference(double x) => Math.Round(x, MidpointRounding.ToEven);
}

/// <summary>
/// y = -1, 0 or 1 by the sign of x (torch.sign), in x's dtype; ±0 gives +0. NB: NaN gives NaN, as NumPy and
/// TensorFlow 2 (PyTorch gives 0, which its issue #41245 calls a divergence to fix): a NaN never turns into a number.
/// </summary>
internal sealed class Sign : StepFunction
{
    public override string Name => "sign";
    public override double Reference(double x) => double.IsNaN(x) ? x : x > 0 ? 1 : x < 0 ? -1 : 0;
}
