using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Out-of-place torch.Tensor.scatter: a copy of this tensor where, for dim 0, <c>y[index[i, j], j] = src[i, j]</c> over
    /// every position of <paramref name="index"/> (for dim 1, <c>y[i, index[i, j]] = src[i, j]</c>). <paramref name="src"/>
    /// must have this tensor's dtype and rank and sizes at least the index's; the index's sizes may exceed this tensor's
    /// only in <paramref name="dim"/>. NB: where the index names one place twice PyTorch leaves the result undefined; here
    /// the last write (in row-major index order) wins, on every run. Gradients as PyTorch: none reach this tensor at the
    /// written places, src gets <c>gy.Gather(dim, index)</c>; the index gets none.
    /// </summary>
    /// <example><code>
    /// var src = Tensor.Arange(1, 11).Reshape(2, 5);
    /// var index = Tensor.FromArray(new long[] { 0, 1, 2, 0 }, [1, 4]);
    /// Tensor.Zeros([3, 5], src.DType).Scatter(0, index, src);   // [[1, 0, 0, 4, 0], [0, 2, 0, 0, 0], [0, 0, 3, 0, 0]]
    /// </code></example>
    public Tensor Scatter(int dim, Tensor index, Tensor src)
    {
        int d = CheckScatter("Scatter", dim, index, src);
        return Dispatch.Call(new Primitives.Index.Scatter(d, src.Shape.ToArray()), this, index, src);
    }

    /// <summary>
    /// torch.Tensor.scatter with a value: a copy of this tensor with <paramref name="value"/> (cast to its dtype) written at
    /// every place <paramref name="index"/> names along <paramref name="dim"/>. The gradient is zero at those places.
    /// </summary>
    public Tensor Scatter(int dim, Tensor index, double value)
    {
        ArgumentNullException.ThrowIfNull(index);
        return Scatter(dim, index, Full(index.Shape.ToArray(), value, DType, device: Device));
    }

    /// <summary>
    /// Out-of-place torch.Tensor.scatter_reduce: every value of <paramref name="src"/> (over the index's shape) is combined
    /// into the place its index names along <paramref name="dim"/> (as <see cref="Scatter(int, Tensor, Tensor)"/>) with
    /// <paramref name="reduce"/>; with <paramref name="includeSelf"/> false, this tensor's own value at a place that some
    /// index names takes no part (places no index names keep it). Mean divides by the number of values combined (floor
    /// division for integer dtypes, as PyTorch); AMax/AMin propagate NaN. Gradients as PyTorch: sum and mean are linear;
    /// amax/amin share a place's gradient evenly among every element equal to its result; prod's is the product of the
    /// other values, exact with zeros (no division by a zero). Float and integer dtypes (no gradient for integers).
    /// </summary>
    /// <example><code>
    /// var src = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [6]);
    /// var index = Tensor.FromArray(new long[] { 0, 1, 0, 1, 2, 1 }, [6]);
    /// Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [4]).ScatterReduce(0, index, src, ScatterReduction.Sum);   // [5, 14, 8, 4]
    /// </code></example>
    public Tensor ScatterReduce(int dim, Tensor index, Tensor src, ScatterReduction reduce, bool includeSelf = true)
    {
        int d = CheckScatter("ScatterReduce", dim, index, src);
        if (!DType.IsFloating() && !DType.IsInteger())
            throw Errors.Arg("ScatterReduce", $"needs a float or integer tensor, got {DType.TorchName()}.");
        switch (reduce)
        {
            case ScatterReduction.Sum:
                return (includeSelf ? this : Scatter(d, index, 0.0)).ScatterAdd(d, index, src);
            case ScatterReduction.Mean:
                var sum = (includeSelf ? this : Scatter(d, index, 0.0)).ScatterAdd(d, index, src);
                var ones = OnesLike(this);
                var count = (includeSelf ? ones : ones.Scatter(d, index, 0.0)).ScatterAdd(d, index, OnesLike(src));
                return DType.IsFloating() ? sum / count : (sum.To(DType.Float64) / count.To(DType.Float64)).Floor().To(DType);
            case ScatterReduction.Prod or ScatterReduction.AMax or ScatterReduction.AMin:
                return Dispatch.Call(new Primitives.Index.ScatterReduce(d, src.Shape.ToArray(), reduce, includeSelf), this, index, src);
            default:
                throw Errors.Arg("ScatterReduce", $"unknown reduction {reduce}; use Sum, Prod, Mean, AMax or AMin.");
        }
    }

    /// <summary>The checks Scatter, ScatterAdd and ScatterReduce share; the normalized dim.</summary>
    int CheckScatter(string op, int dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        int d = CheckIndex(op, dim, index);
        if (!src.Device.Equals(Device))
            throw Errors.Arg(op, $"src is on {src.Device} but the tensor is on {Device}; move one with To(Device).");
        if (src.DType != DType)
            throw Errors.Arg(op, $"src is {src.DType.TorchName()} but the tensor is {DType.TorchName()}; they must match (use To(DType)).");
        if (src.Rank != Rank)
            throw Errors.Arg(op, $"src {Errors.Describe(src)} must have the tensor's rank {Rank} (shape {Shape}).");
        for (int k = 0; k < Rank; k++)
        {
            if (index.Shape[k] > src.Shape[k])
                throw Errors.Arg(op, $"index {Errors.Describe(index)} is larger than src {src.Shape} in dim {k}.");
            if (k != d && index.Shape[k] > Shape[k])
                throw Errors.Arg(op, $"index {Errors.Describe(index)} is larger than the tensor {Shape} in dim {k} (only dim {d} may differ).");
        }
        CheckIndexValues(op, d, index, Shape[d]);
        return d;
    }
}
