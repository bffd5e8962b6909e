using Nabla.Backends.Reference;

namespace Nabla.Primitives.Index;

/// <summary>
/// torch.scatter_reduce for "prod", "amax" and "amin" (out of place; "sum" and "mean" are composites over ScatterAdd):
/// each place y[t] combines x[t] (when includeSelf, or when no index aims at t) with every src[i] whose index aims at t.
/// The op is linear in each input's perturbation around a point, so one pair of factors gives both modes:
/// dy = fx*dx + scatter_add(fsrc*dsrc) ; gx = fx*gy ; gsrc = fsrc*gather(gy)   (PyTorch's rules)
///   prod: fx = (product of the others at t), fsrc = (product of the others at its target), never dividing by a zero
///         (exact to second order with any zeros; PyTorch refuses double backward with two zeros at a place);
///   amax/amin: the gradient is shared evenly among every element equal to the result (fx = [x == y]/n, fsrc likewise).
/// Places aimed at lose x's contribution when includeSelf is false (fx = 0 there).
/// </summary>
internal sealed class ScatterReduce(int dim, int[] srcShape, ScatterReduction mode, bool includeSelf) : Primitive
{
    public override string Name => "scatter_reduce";

    public override bool SavesOutput => true;

    /// <summary>The dim the index values address.</summary>
    public int Dim => dim;

    /// <summary>Prod, AMax or AMin.</summary>
    public ScatterReduction Mode => mode;

    /// <summary>How the kernels combine two values (the front end's enum is not theirs to see).</summary>
    internal enum Combining { Prod, Max, Min }

    /// <summary><see cref="Mode"/> for the kernels.</summary>
    public Combining Combine => mode switch
    {
        ScatterReduction.Prod => Combining.Prod,
        ScatterReduction.AMax => Combining.Max,
        _ => Combining.Min,
    };

    /// <summary>Whether x's own value takes part at places the index aims at.</summary>
    public bool IncludeSelf => includeSelf;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (fx, fsrc) = Factors(x, y);
        var gsrc = needs[2] ? ScatterAdd.PadToSrc(gy.Gather(dim, x[1]) * fsrc, srcShape) : null;
        return [needs[0] ? gy * fx : null, null, gsrc];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[2] is null) return null;
        var (fx, fsrc) = Factors(x, y);
        var dy = dx[0] is null ? Tensor.ZerosLike(y) : dx[0]! * fx;
        return dx[2] is null ? dy : dy.ScatterAdd(dim, x[1], Window(dx[2]!, x[1]) * fsrc);
    }

    /// <summary>src's leading window of the index's shape (the elements that take part).</summary>
    static Tensor Window(Tensor src, Tensor index) =>
        Tensor.SliceWindow(src, new int[src.Rank], OnesOf(src.Rank), index.Shape.ToArray());

    static int[] OnesOf(int n)
    {
        var a = new int[n];
        Array.Fill(a, 1);
        return a;
    }

    (Tensor Fx, Tensor Fsrc) Factors(Tensor[] x, Tensor y)
    {
        var (self, index) = (x[0], x[1]);
        var src = Window(x[2], index);
        Tensor fx, fsrc;
        if (mode == ScatterReduction.Prod)
        {
            // Each element's factor is the product of the others at its place. Written so that it is the exact function
            // near the point (so second order is right with zeros, where PyTorch refuses): y / v for v != 0; for a zero,
            // the product P of the place's non-zero elements when it is the only zero, P times the other zero (S - v, S
            // the sum of the place's zeros) when there are two, and 0 (to first order) when there are more.
            var selfIn = includeSelf ? Tensor.OnesLike(self) : Tensor.OnesLike(self).Scatter(dim, index, 0.0);
            var selfZero = self.Eq(0.0).To(self.DType) * selfIn;
            var srcZero = src.Eq(0.0).To(self.DType);
            var zeros = selfZero.ScatterAdd(dim, index, srcZero);
            var nonZeroProduct = self.MaskedFill(self.Eq(0.0), 1.0).ScatterReduce(dim, index, src.MaskedFill(src.Eq(0.0), 1.0), mode, includeSelf);
            var zeroSum = (self * selfZero).ScatterAdd(dim, index, src * srcZero);
            fx = OthersProduct(self, zeros, nonZeroProduct, zeroSum, y) * selfIn;
            fsrc = OthersProduct(src, zeros.Gather(dim, index), nonZeroProduct.Gather(dim, index), zeroSum.Gather(dim, index), y.Gather(dim, index));
        }
        else
        {
            var selfIsResult = self.Eq(y).To(self.DType);
            if (!includeSelf) selfIsResult = selfIsResult.Scatter(dim, index, 0.0);
            var srcIsResult = src.Eq(y.Gather(dim, index)).To(self.DType);
            var count = selfIsResult.ScatterAdd(dim, index, srcIsResult);
            fx = selfIsResult / count;
            fsrc = srcIsResult / count.Gather(dim, index);
        }
        if (!includeSelf) fx = fx.Scatter(dim, index, 0.0);
        return (fx, fsrc);
    }

    /// <summary>The product of the other elements at each element v's place (see <see cref="Factors"/>).</summary>
    static Tensor OthersProduct(Tensor v, Tensor zeros, Tensor nonZeroProduct, Tensor zeroSum, Tensor y)
    {
        var isZero = v.Eq(0.0);
        var forZero = Tensor.Where(zeros.Eq(1.0), nonZeroProduct,
            Tensor.Where(zeros.Eq(2.0), nonZeroProduct * (zeroSum - v), Tensor.ZerosLike(v)));
        return Tensor.Where(isZero, forZero, y / v.MaskedFill(isZero, 1.0));
    }

    /// <summary>How two values combine (NaN wins for amax/amin, as PyTorch).</summary>
    public static double CombineValues(ScatterReduction mode, double a, double b) => mode switch
    {
        ScatterReduction.Prod => a * b,
        ScatterReduction.AMax => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b),
        ScatterReduction.AMin => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public override RefArray Reference(RefArray[] x)
    {
        var y = new RefArray((double[])x[0].Data.Clone(), (int[])x[0].Shape.Clone());
        var touched = new bool[y.Count];
        for (int i = 0; i < x[1].Count; i++)
        {
            int t = y.Ravel(IndexWalk.TargetCoords(x[1], i, dim));
            double v = x[2][x[1].Unravel(i)];
            y.Data[t] = !includeSelf && !touched[t] ? v : CombineValues(mode, y.Data[t], v);
            touched[t] = true;
        }
        return y;
    }
}
