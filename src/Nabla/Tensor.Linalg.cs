using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-d·1-d is a dot product, 2-d·2-d a matrix product,
    /// a 1-d operand gets a dim prepended (left) or appended (right) and removed after, and batch
    /// dims broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Device.Equals(other.Device))
            throw Errors.Arg("MatMul", $"tensors are on different devices ({Device} and {other.Device}).");
        if (Rank == 0 || other.Rank == 0)
            throw Errors.Arg("MatMul", $"both arguments need at least 1 dimension, got {Errors.Describe(this)} and {Errors.Describe(other)}.");
        var dtype = DTypes.Promote(DType, other.DType);
        if (dtype == DType.Bool) dtype = DType.Int64;
        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(1) : other;
        int k = a.Shape[-1];
        if (b.Shape[-2] != k)
            throw Errors.Arg("MatMul",
                $"shapes {Shape} and {other.Shape} cannot be multiplied: the inner sizes differ ({k} vs {b.Shape[-2]}).");
        var batchA = a.Shape.ToArray()[..^2];
        var batchB = b.Shape.ToArray()[..^2];
        var batch = BroadcastShapes("MatMul", new Shape(batchA), new Shape(batchB));
        foreach (int[] operand in (int[][])[[.. batch, a.Shape[-2], k], [.. batch, k, b.Shape[-1]], [.. batch, a.Shape[-2], b.Shape[-1]]])
            Shape.CheckedCount("MatMul", operand);   // the broadcast operands and the product must fit int indexing
        var ta = a.To(dtype).BroadcastTo([.. batch, a.Shape[-2], k]);
        var tb = b.To(dtype).BroadcastTo([.. batch, k, b.Shape[-1]]);
        var y = Dispatch.Call(new Primitives.Linalg.MatMul(), ta, tb);
        if (Rank == 1) y = y.Squeeze(-2);
        if (other.Rank == 1) y = y.Squeeze(-1);
        return y;
    }

    /// <summary>
    /// The vector <paramref name="p"/>-norm of all elements (a 0-d tensor), as torch.linalg.vector_norm /
    /// torch.norm: (Σ|x|ᵖ)^(1/p); p = ∞ is max|x|, p = -∞ min|x|, p = 0 the number of non-zero elements.
    /// Gradients are PyTorch's: 0 (a subgradient) wherever the formula divides by a zero norm (the zero
    /// vector for p = 2), sign(x) for p = 1, shared evenly by the tied extremes for p = ±∞, zero for p = 0,
    /// and for p &lt; 1 zero at the elements equal to 0. Needs a floating tensor.
    /// </summary>
    public Tensor Norm(double p = 2) => VectorNorm(p, null, keepDim: false);

    /// <summary>The vector <paramref name="p"/>-norm along <paramref name="dim"/> (see <see cref="Norm(double)"/>).</summary>
    public Tensor Norm(double p, int dim, bool keepDim = false) => VectorNorm(p, [dim], keepDim);

    /// <summary>
    /// The vector <paramref name="p"/>-norm over the elements of <paramref name="dims"/> taken together
    /// (torch.linalg.vector_norm(x, p, dims)); see <see cref="Norm(double)"/>.
    /// </summary>
    public Tensor Norm(double p, int[] dims, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(dims);
        return VectorNorm(p, dims, keepDim);
    }

    internal Tensor VectorNorm(double p, int[]? dims, bool keepDim, string op = "Norm")
    {
        if (!DType.IsFloating())
            throw Errors.Arg(op, $"needs a floating tensor, got {DType.TorchName()}; convert with To(DType.Float32) first.");
        if (double.IsNaN(p)) throw Errors.Arg(op, "the order p is NaN.");
        var x = Rank == 0 ? Reshape(1) : this;
        int[] axes = dims is null ? x.AllAxes() : dims.Select(d => x.NormalizeDim(op, d)).Distinct().ToArray();
        if (dims is not null && axes.Length != dims.Length)
            throw Errors.Arg(op, $"dims {Shape.Format(dims)} name a dim twice (shape {Shape}).");
        Array.Sort(axes);
        long count = 1;
        foreach (var a in axes) count *= x.Shape[a];
        if (count == 0 && (p < 0 || double.IsInfinity(p)))
            throw Errors.Arg(op, $"the {p}-norm of an empty set of elements (shape {Shape}, dims {Shape.Format(axes)}) has no value (the reduction has no identity).");
        var kept = x.NormKeepingAxes(p, axes);
        if (Rank == 0) return kept.Reshape([]);
        if (keepDim) return kept;
        return kept.Reshape(x.Shape.ToArray().Where((_, d) => !axes.Contains(d)).ToArray());
    }

    /// <summary>The norm over <paramref name="axes"/>, which stay as size 1.</summary>
    Tensor NormKeepingAxes(double p, int[] axes)
    {
        var zero = Full([], 0, DType, device: Device);
        if (p == 0)
        {
            // 1 per non-zero element; a zero contributes x·0 (= 0) so the result stays connected to x with
            // gradient 0 everywhere, as PyTorch's.
            return Where(Eq(0.0), this * 0.0, Full([], 1, DType, device: Device)).SumKeepAxes(axes);
        }
        if (double.IsInfinity(p))
        {
            // PyTorch's gradient of the ±inf-norm goes to the elements whose |x| is the extreme, shared among
            // ties, and to NaN elements (amax alone would give NaN elements none). Written as the mean of the
            // picked |x|: the value is the extreme (NaN when a NaN is picked) and the derivative is PyTorch's.
            var a = Abs();
            var extreme = Dispatch.Call(new Primitives.Reduce.Max(axes, Shape.ToArray(), isMin: p < 0), a).Detach();
            var one = Full([], 1, DType, device: Device);
            var picked = Where(a.Eq(extreme), one, Where(a.Eq(a), zero, one));   // 1 at the extreme and at NaN
            return Where(picked.Gt(0.0), a, zero).SumKeepAxes(axes) / picked.SumKeepAxes(axes);
        }
        if (p == 1) return Abs().SumKeepAxes(axes);
        Tensor sum;
        if (p == 2) sum = (this * this).SumKeepAxes(axes);
        else
        {
            var a = Abs();
            if (p < 1)
            {
                // |x|^p has an infinite derivative at 0 for p < 1: PyTorch's gradient is 0 there. The value
                // at 0 is 0^p (0, or +inf for p < 0), a constant.
                var isZero = Eq(0.0);
                var safe = Where(isZero, Full([], 1, DType, device: Device), a);
                sum = Where(isZero, Full([], Math.Pow(0, p), DType, device: Device), safe.Pow(p)).SumKeepAxes(axes);
            }
            else sum = a.Pow(p).SumKeepAxes(axes);
        }
        // s^(1/p) has an infinite derivative at s = 0 (p > 1): 0 there, as PyTorch's masked_fill(norm == 0, 0).
        var positive = sum.Gt(0.0);
        var safeSum = Where(positive, sum, Full([], 1, DType, device: Device));
        var root = p == 2 ? safeSum.Sqrt() : safeSum.Pow(1 / p);
        return Where(positive, root, zero);
    }
}
