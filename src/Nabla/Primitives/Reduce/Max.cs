using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// Maximum (or minimum, with <c>isMin</c>) over <c>axes</c>, keeping them as size 1; like torch.amax/amin.
/// y = max(x) ; m = [x == y], n = sum(m) ; gx = where(m, gy/n, 0) ; dy = sum(where(m, dx, 0))/n.
/// Ties share the gradient evenly (n equal maxima get gy/n each), as torch.amax and torch.max() do.
/// NaN wins: a row holding NaN reduces to NaN (and then no element matches, so its gradient is 0).
/// The front end rejects empty reductions (a maximum of nothing has no value).
/// </summary>
internal sealed class Max(int[] axes, int[] inputShape, bool isMin) : Primitive
{
    /// <summary>The reduced tensor's shape.</summary>
    public int[] InputShape => inputShape;

    public override string Name => isMin ? "amin" : "amax";
    public override bool MayFailInReplay => false;   // a reduction: total on every value

    public override bool SavesOutput => true;

    /// <summary>The reduced axes (kept as size 1).</summary>
    public int[] Axes => axes;

    /// <summary>Whether this is the minimum (amin) rather than the maximum.</summary>
    public bool IsMin => isMin;

    // The mask comes from a comparison, so it carries no gradient: second derivatives see a locally
    // constant selection, which is exact away from ties.
    (Tensor Mask, Tensor Count) Selection(Tensor x, Tensor y)
    {
        var mask = x.Eq(y);
        return (mask, mask.To(x.DType).SumKeepAxes(axes));
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (mask, count) = Selection(x[0], y);
        return [Tensor.Where(mask, gy / count, Tensor.Scalar(0, gy.DType))];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null) return null;
        var (mask, count) = Selection(x[0], y);
        return Tensor.Where(mask, dx[0]!, Tensor.Scalar(0, dx[0]!.DType)).SumKeepAxes(axes) / count;
    }

    public override RefArray Reference(RefArray[] x)
    {
        var outShape = (int[])inputShape.Clone();
        foreach (var a in axes) outShape[a] = 1;
        var y = RefArray.Zeros(outShape);
        Array.Fill(y.Data, isMin ? double.PositiveInfinity : double.NegativeInfinity);
        for (int i = 0; i < x[0].Count; i++)
        {
            var idx = x[0].Unravel(i);
            foreach (var a in axes) idx[a] = 0;
            int o = y.Ravel(idx);
            double v = x[0].Data[i];
            if (double.IsNaN(v) || double.IsNaN(y.Data[o])) y.Data[o] = double.NaN;
            else y.Data[o] = isMin ? Math.Min(y.Data[o], v) : Math.Max(y.Data[o], v);
        }
        return y;
    }
}
