using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// The index (int64) of the largest element along <c>dim</c>, which is kept as size 1. Ties give the
/// first index, and NaN counts as larger than everything (the first NaN wins), as torch.argmax.
/// Not differentiable (an integer output); the front end rejects an empty dim.
/// </summary>
internal sealed class ArgMax(int dim) : Primitive
{
    public override string Name => "argmax";
    public override bool MayFailInReplay => false;   // a reduction: total on every value
    public override bool SavesInputs => false;

    /// <summary>The output is the index, int64 whatever the input's dtype.</summary>
    public override DType OutputDType(Tensor[] x) => DType.Int64;

    /// <summary>The dim searched (kept as size 1 in the output).</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x) => FirstExtreme(x[0], dim, isMin: false);

    /// <summary>The reference of argmax (argmin with <paramref name="isMin"/>): the first extreme along <paramref name="dim"/>, the first NaN winning.</summary>
    internal static RefArray FirstExtreme(RefArray x, int dim, bool isMin)
    {
        var outShape = (int[])x.Shape.Clone();
        outShape[dim] = 1;
        var y = RefArray.Zeros(outShape);
        for (int o = 0; o < y.Count; o++)
        {
            var idx = y.Unravel(o);
            int best = -1;
            double bestValue = double.NaN;
            for (int i = 0; i < x.Shape[dim]; i++)
            {
                idx[dim] = i;
                double v = x[idx];
                if (best < 0 || (!double.IsNaN(bestValue) && (double.IsNaN(v) || (isMin ? v < bestValue : v > bestValue)))) (best, bestValue) = (i, v);
            }
            y.Data[o] = best;
        }
        return y;
    }
}
