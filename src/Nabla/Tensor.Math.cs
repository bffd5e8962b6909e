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
}
