using Nabla.Engine;
using Nabla.Primitives.Reduce;

namespace Nabla;

public partial class Tensor
{
    /// <summary>Sum of all elements (a 0-d tensor). Integer and bool tensors sum to int64, as in PyTorch.</summary>
    public Tensor Sum() => Rank == 0 ? Alias() : SumAxes(AllAxes(), keepDim: false);

    /// <summary>Sum over <paramref name="dim"/>; with <paramref name="keepDim"/> the dim stays as size 1.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = NormalizeDim("Sum", dim);
        return SumAxes([d], keepDim);
    }

    /// <summary>Mean of all elements (floating result).</summary>
    public Tensor Mean() => FloatForMean("Mean").Sum() / CountAlong([], DType);

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        int d = NormalizeDim("Mean", dim);
        return FloatForMean("Mean").Sum(d, keepDim) / CountAlong(Rank == 0 ? [] : [d], DType);
    }

    /// <summary>
    /// The element count along <paramref name="dims"/> (all when empty) as a 0-d <paramref name="dtype"/>
    /// tensor computed from the shape when the op runs, so a graph traced with a dynamic batch dimension
    /// divides by each call's size, not the traced one (what a number read from <see cref="Shape"/> would freeze).
    /// </summary>
    internal Tensor CountAlong(int[] dims, DType dtype) => Dispatch.Call(new SizeOf(dims), this).To(dtype);

    Tensor FloatForMean(string op) => DType.IsFloating() ? this : throw Errors.Arg(op,
        $"mean needs a floating tensor, got {DType.TorchName()}; convert with To(DType.Float32) first.");

    /// <summary>
    /// The product of all elements (a 0-d tensor), as torch.prod(); an empty tensor gives 1. Integer and
    /// bool tensors multiply in int64, as in PyTorch. The gradient is the product of the other elements,
    /// exact with zeros in the input (one zero: only its position gets a non-zero gradient; several: all
    /// zero), and differentiable again (see <see cref="Prod(int, bool)"/>).
    /// </summary>
    public Tensor Prod()
    {
        var x = ForProd();
        return x.Rank == 0 ? x.Alias() : x.Reshape(-1).Prod(0).Reshape([]);
    }

    /// <summary>
    /// The product along <paramref name="dim"/> (torch.prod(dim, keepdim)); an empty dim gives 1. The
    /// gradient of each element is the product of the others in its row, computed from prefix and suffix
    /// products (never y/x), so zeros are handled exactly to every order, as PyTorch.
    /// </summary>
    public Tensor Prod(int dim, bool keepDim = false)
    {
        int d = NormalizeDim("Prod", dim);
        var x = ForProd();
        if (x.Rank == 0) return x.Alias();
        var y = Dispatch.Call(new Prod(d), x);
        return keepDim ? y : y.Squeeze(d);
    }

    Tensor ForProd() => DType is DType.Bool or DType.Int32 ? To(DType.Int64) : this;

    /// <summary>
    /// The median of all elements (a 0-d tensor), as torch.median(): for an even count the lower of the two
    /// middle values (no averaging). NaN anywhere gives NaN; an empty floating tensor gives NaN, as PyTorch.
    /// As torch.median(), the gradient is shared evenly by all elements equal to the median (the NaNs when
    /// it is NaN); use <see cref="Median(int, bool)"/> to send it to one element.
    /// </summary>
    public Tensor Median()
    {
        if (NumElements == 0)
        {
            if (!DType.IsFloating()) throw Errors.Arg("Median", $"the median of an empty {DType.TorchName()} tensor has no value.");
            return Full([], double.NaN, DType, device: Device);
        }
        if (Rank == 0) return Alias();
        var flat = Reshape(-1);
        var m = flat.Median(0).Values.Detach();
        if (!DType.IsFloating()) return m;
        // m plus the mean of (x - m) over the elements equal to m: the value is m exactly, and the gradient
        // gy/count goes to each of them (torch's evenly_distribute_backward), to every order.
        var isNan = Eq(this).To(DType).Lt(0.5);
        var mask = Where(m.Eq(m), Eq(m), isNan);
        var count = mask.To(DType).Sum();
        return m + Where(mask, this - m, Full([], 0, DType, device: Device)).Sum() / count;
    }

    /// <summary>
    /// The median along <paramref name="dim"/> and its index (torch.median(dim, keepdim)): for an even count
    /// the lower of the two middle values. Of equal values the one first in the dim is counted first in the
    /// sorted order, so the index is deterministic (PyTorch does not promise which of equal values it
    /// returns). A row holding NaN gives NaN and the index of its first NaN. The gradient flows to the
    /// element at the index. An empty dim is an error.
    /// </summary>
    public (Tensor Values, Tensor Indices) Median(int dim, bool keepDim = false)
    {
        int d = NormalizeDim("Median", dim);
        if (Rank == 0) return (Alias(), Full([], 0, DType.Int64, device: Device));
        if (Shape[d] == 0)
            throw Errors.Arg("Median", $"cannot take the median of an empty dimension {dim} (shape {Shape}).");
        var x = DType == DType.Bool ? To(DType.Int32) : this;
        var index = Dispatch.Call(new MedianIndex(d), x.DetachFor("median"));
        var values = Dispatch.Call(new Primitives.Index.Gather(d, Shape.ToArray()), this, index);
        return keepDim ? (values, index) : (values.Squeeze(d), index.Squeeze(d));
    }

    /// <summary>
    /// The largest element (a 0-d tensor), as torch.max() / torch.amax. The gradient is shared evenly by
    /// all elements equal to the maximum. NaN wins (any NaN gives NaN). An empty tensor is an error.
    /// </summary>
    public Tensor Max() => Extremum("Max", null, false, isMin: false);

    /// <summary>
    /// The largest value along <paramref name="dim"/> (values only, as torch.amax; use
    /// <see cref="ArgMax(int, bool)"/> for the indices). NB: ties share the gradient evenly, like
    /// torch.amax, whereas torch.max(dim) sends it all to one index. NaN wins.
    /// </summary>
    public Tensor Max(int dim, bool keepDim = false) => Extremum("Max", dim, keepDim, isMin: false);

    /// <summary>The smallest element (a 0-d tensor); the counterpart of <see cref="Max()"/>.</summary>
    public Tensor Min() => Extremum("Min", null, false, isMin: true);

    /// <summary>The smallest value along <paramref name="dim"/>; the counterpart of <see cref="Max(int, bool)"/> (as torch.amin).</summary>
    public Tensor Min(int dim, bool keepDim = false) => Extremum("Min", dim, keepDim, isMin: true);

    Tensor Extremum(string op, int? dim, bool keepDim, bool isMin)
    {
        int[] axes = dim is int dd ? [NormalizeDim(op, dd)] : AllAxes();
        if (dim is not null && Rank > 0 ? Shape[axes[0]] == 0 : NumElements == 0)
            throw Errors.Arg(op, $"cannot reduce an empty {(dim is null ? "tensor" : "dimension")} (shape {Shape}): the result has no value.");
        if (Rank == 0) return Alias();
        if (DType == DType.Bool) return To(DType.Int32).Extremum(op, dim, keepDim, isMin).To(DType.Bool);
        var y = Dispatch.Call(new Max(axes, Shape.ToArray(), isMin), this);
        if (dim is null) return y.Reshape([]);
        return keepDim ? y : y.Squeeze(axes[0]);
    }

    /// <summary>
    /// The index (int64) of the largest value along <paramref name="dim"/>, as torch.argmax: ties give
    /// the first index, and NaN counts as the largest. An empty dim is an error.
    /// </summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtreme("ArgMax", dim, keepDim, d => new ArgMax(d));

    /// <summary>The front end of ArgMax and ArgMin: the index picked by <paramref name="make"/>(dim), an int64 tensor.</summary>
    Tensor ArgExtreme(string op, int dim, bool keepDim, Func<int, Primitives.Primitive> make)
    {
        int d = NormalizeDim(op, dim);
        if (Rank == 0) return Full([], 0, DType.Int64, device: Device);
        if (Shape[d] == 0)
            throw Errors.Arg(op, $"cannot take the {op.ToLowerInvariant()} of an empty dimension {dim} (shape {Shape}).");
        var x = DType == DType.Bool ? To(DType.Int32) : this;
        var y = Dispatch.Call(make(d), x.DetachFor(op.ToLowerInvariant()));
        return keepDim ? y : y.Squeeze(d);
    }

    /// <summary>The index (int64, 0-d) of the largest element of the flattened tensor (torch.argmax without dim).</summary>
    public Tensor ArgMax() => Reshape(-1).ArgMax(0);

    /// <summary>
    /// log Σ exp(x) along <paramref name="dim"/>, computed stably as m + log Σ exp(x - m) with m the
    /// maximum, so large logits (1000) neither overflow nor lose the answer. Integers are promoted to
    /// float32. The gradient is softmax(x); it is exact to every order (m is a constant shift). A row of
    /// all -Inf gives -Inf; a +Inf gives +Inf; an empty dim gives -Inf.
    /// </summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        var (x, d) = SoftmaxInput("LogSumExp", dim);
        var (shifted, m) = x.ShiftByMax(d);
        var y = m + shifted.Exp().Sum(d, keepDim: true).Log();
        return Rank == 0 ? y.Reshape([]) : keepDim ? y : y.Squeeze(d);
    }

    /// <summary>
    /// exp(x) / Σ exp(x) along <paramref name="dim"/>, computed after subtracting the maximum, so
    /// logits like [1000, 1000] give [0.5, 0.5] with no Inf or NaN. Integers are promoted to float32.
    /// A row of all -Inf gives NaN, as in PyTorch.
    /// </summary>
    public Tensor Softmax(int dim)
    {
        var (x, d) = SoftmaxInput("Softmax", dim);
        var e = x.ShiftByMax(d).Shifted.Exp();
        var y = e / e.Sum(d, keepDim: true);
        return Rank == 0 ? y.Reshape([]) : y;
    }

    /// <summary>
    /// log(softmax(x)) along <paramref name="dim"/>, computed as (x - m) - log Σ exp(x - m) so it stays
    /// finite for large logits ([1000, -1000] gives [0, -2000]). Integers are promoted to float32.
    /// </summary>
    public Tensor LogSoftmax(int dim)
    {
        var (x, d) = SoftmaxInput("LogSoftmax", dim);
        var shifted = x.ShiftByMax(d).Shifted;
        var y = shifted - shifted.Exp().Sum(d, keepDim: true).Log();
        return Rank == 0 ? y.Reshape([]) : y;
    }

    (Tensor X, int Dim) SoftmaxInput(string op, int dim)
    {
        int d = NormalizeDim(op, dim);
        var x = DType.IsFloating() ? this : To(DType.Float32);
        // A 0-d tensor is treated as one element along dim 0, as PyTorch does.
        return (Rank == 0 ? x.Reshape(1) : x, d);
    }

    /// <summary>
    /// (x - m, m) with m the maximum along <paramref name="d"/> (kept as size 1), detached: the
    /// composites using it do not depend on m mathematically, so their derivatives of every order stay
    /// exact. An infinite m is replaced by 0 (as PyTorch's logsumexp) so -Inf rows do not become NaN.
    /// </summary>
    (Tensor Shifted, Tensor M) ShiftByMax(int d)
    {
        if (Shape[d] == 0) return (this, Zeros(ReducedShape(d), DType, device: Device));
        var m = Max(d, keepDim: true).Detach();
        m = Where(m.Abs().Eq(double.PositiveInfinity), Scalar(0, DType), m);
        return (this - m, m);
    }

    int[] ReducedShape(int d)
    {
        var shape = Shape.ToArray();
        shape[d] = 1;
        return shape;
    }

    internal Tensor SumKeepAxes(int[] axes) => SumAxes(axes, keepDim: true);

    Tensor SumAxes(int[] axes, bool keepDim)
    {
        var x = DType is DType.Bool or DType.Int32 ? To(DType.Int64) : this;
        if (axes.Length == 0) return x.Alias();
        return Dispatch.Call(new Sum(axes, x.Shape.ToArray(), keepDim), x);
    }

    internal int[] AllAxes()
    {
        var axes = new int[Rank];
        for (int i = 0; i < Rank; i++) axes[i] = i;
        return axes;
    }
}
