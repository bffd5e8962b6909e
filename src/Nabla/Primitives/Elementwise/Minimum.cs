namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = min(a, b) ; ga = gy·[a &lt; b] + gy/2·[a == b], gb = gy·[b &lt; a] + gy/2·[a == b] (ties split the
/// gradient half and half, as PyTorch). NaN in either input gives NaN (IEEE 754:2019 minimum);
/// there both inputs receive the full gradient, as PyTorch's where/masked_fill rule gives.
/// </summary>
internal sealed class Minimum : ElementwiseBinary
{
    public override string Name => "minimum";

    // Written as 1 - [a > b] - [a == b]/2 so that NaN (all comparisons false) gives 1, as PyTorch.
    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y)
    {
        var half = 0.5 * a.Eq(b).To(a.DType);
        return (1.0 - a.Gt(b).To(a.DType) - half, 1.0 - a.Lt(b).To(a.DType) - half);
    }

    public override double Reference(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b);
}
