using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>SiLU (swish) elementwise, x·σ(x) (torch.nn.functional.silu). Differentiable to every order.</summary>
    public Tensor Silu()
    {
        var x = FloatInput("Silu");
        return x * x.Sigmoid();
    }

    /// <summary>
    /// Leaky ReLU elementwise (torch.nn.functional.leaky_relu): x for x &gt; 0, <paramref name="negativeSlope"/>·x otherwise.
    /// The gradient at 0 is the slope, as PyTorch's.
    /// </summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        if (!double.IsFinite(negativeSlope)) throw Errors.Arg("LeakyRelu", $"negativeSlope must be finite, got {negativeSlope}.");
        var x = FloatInput("LeakyRelu");
        return Where(x.Gt(0L), x, x * negativeSlope);
    }

    /// <summary>The constants of SELU (Klambauer et al. 2017), as PyTorch's: α and the scale λ.</summary>
    internal const double SeluAlpha = 1.6732632423543772848170429916717, SeluScale = 1.0507009873554804934193349852946;

    /// <summary>SELU elementwise (torch.nn.functional.selu): λ·ELU(x, α) with PyTorch's α ≈ 1.6733 and λ ≈ 1.0507.</summary>
    public Tensor Selu() => FloatInput("Selu").Elu(SeluAlpha) * SeluScale;

    /// <summary>
    /// Hardswish elementwise (torch.nn.functional.hardswish): x·relu6(x + 3)/6. The gradient is 0 below -3, 1 above 3 and
    /// x/3 + 1/2 between, bounds included (-1/2 at -3, 3/2 at 3), as PyTorch's.
    /// </summary>
    public Tensor Hardswish()
    {
        var x = FloatInput("Hardswish");
        return x * (x + 3.0).Clamp(0, 6) / 6.0;
    }

    /// <summary>
    /// Hardtanh elementwise (torch.nn.functional.hardtanh): x clamped to [<paramref name="minValue"/>, <paramref name="maxValue"/>].
    /// NB: unlike <see cref="Clamp"/>, the gradient is 1 only strictly inside and 0 at the bounds, as PyTorch's hardtanh.
    /// </summary>
    public Tensor Hardtanh(double minValue = -1, double maxValue = 1)
    {
        if (!(minValue <= maxValue)) throw Errors.Arg("Hardtanh", $"minValue {minValue} must not exceed maxValue {maxValue}.");
        var x = FloatInput("Hardtanh");
        var inside = x.Gt(minValue).LogicalAnd(x.Lt(maxValue));
        return Where(inside, x, x.Detach().Clamp(minValue, maxValue));
    }

    /// <summary>Softsign elementwise (torch.nn.functional.softsign): x / (1 + |x|).</summary>
    public Tensor Softsign()
    {
        var x = FloatInput("Softsign");
        return x / (x.Abs() + 1.0);
    }

    /// <summary>
    /// PReLU (torch.nn.functional.prelu): x for x &gt; 0, weight·x otherwise, with <paramref name="weight"/> one value or one
    /// per channel (dim 1 of the input). The gradient reaches the weight; at x = 0 it is the weight's, as PyTorch's.
    /// </summary>
    public Tensor Prelu(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var x = FloatInput("Prelu");
        if (weight.Rank > 1 || (weight.NumElements != 1 && (x.Rank < 2 || weight.NumElements != x.Shape[1])))
            throw Errors.Arg("Prelu", $"weight {Errors.Describe(weight)} must hold 1 value or one per channel (dim 1) of the input {Errors.Describe(x)}.");
        var w = weight.NumElements == 1 || x.Rank < 2 ? weight.Reshape([]) : weight.Reshape([weight.NumElements, .. Enumerable.Repeat(1, x.Rank - 2)]);
        return Where(x.Gt(0L), x, w * x);
    }

    /// <summary>log(1 + x) elementwise, accurate for small x (torch.log1p); integers are promoted to float32.</summary>
    public Tensor Log1p() => Unary(new Primitives.Elementwise.Log1p());

    /// <summary>eˣ - 1 elementwise, accurate for small x (torch.expm1); integers are promoted to float32.</summary>
    public Tensor Expm1() => Unary(new Primitives.Elementwise.Expm1());

    /// <summary>
    /// Softplus elementwise (torch.nn.functional.softplus): log(1 + e^(βx))/β, and x itself where βx &gt; <paramref name="threshold"/>
    /// (as PyTorch). Computed with log1p, so very negative x keeps its tiny value (e^x, not 0); no overflow anywhere, also
    /// not in the gradient of the unused branch.
    /// </summary>
    public Tensor Softplus(double beta = 1, double threshold = 20)
    {
        if (!(beta > 0) || !double.IsFinite(beta)) throw Errors.Arg("Softplus", $"beta must be a positive number, got {beta}.");
        var x = FloatInput("Softplus");
        var bx = beta == 1 ? x : x * beta;
        var linear = bx.Gt(threshold);
        // The log branch sees 0 where it is not used, so e^(βx) never overflows (an inf there would make 0·inf = NaN in its gradient).
        var safe = Where(linear, ZerosLike(bx), bx);
        var soft = safe.Exp().Log1p();
        return Where(linear, x, beta == 1 ? soft : soft / beta);
    }

    /// <summary>Mish elementwise (torch.nn.functional.mish): x·tanh(softplus(x)).</summary>
    public Tensor Mish()
    {
        var x = FloatInput("Mish");
        return x * x.Softplus().Tanh();
    }

    Tensor FloatInput(string op) => DType.IsFloating() ? this : To(DType.Float32);
}
