using Nabla.Engine;
using Nabla.Primitives.Linalg;

namespace Nabla;

public static partial class Linalg
{
    /// <summary>
    /// The determinant of each matrix of <paramref name="a"/> [..., n, n] → [...] (torch.linalg.det), by LU with partial
    /// pivoting: 0 for a singular matrix, 1 for a 0×0 one, NaN when A holds NaN. Gradient: gA = gy·adj(A)ᵀ (the
    /// cofactor matrix), which stays finite at a singular A as PyTorch's: non-zero for rank n−1, zero for lower
    /// ranks. Second derivatives need an invertible A (at a singular one they throw, naming Det). For a large or
    /// tiny determinant use <see cref="SlogDet"/>, which does not overflow.
    /// </summary>
    public static Tensor Det(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckSquare("Det", a);
        return Dispatch.Call(new Determinant(), a);
    }

    /// <summary>
    /// The sign and the natural log of the absolute value of the determinant of each matrix of <paramref name="a"/>
    /// [..., n, n] (torch.linalg.slogdet; det = Sign·exp(LogAbsDet)), both [...] of A's dtype: (0, −∞) for a singular
    /// matrix, (1, 0) for a 0×0 one. LogAbsDet is differentiable (gA = gy·A⁻ᵀ, needing an invertible A), Sign is not.
    /// </summary>
    /// <example><code>var (sign, logAbsDet) = Linalg.SlogDet(a);</code></example>
    public static (Tensor Sign, Tensor LogAbsDet) SlogDet(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckSquare("SlogDet", a);
        var ys = Dispatch.CallMany(new LogAbsDet(), a);
        return (ys[1], ys[0]);
    }
}
