using Nabla.Engine;
using Nabla.Primitives.Index;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Picks values along <paramref name="dim"/> by an integer index tensor, as torch.gather: for
    /// dim 1 of a matrix, <c>y[i, j] = x[i, index[i, j]]</c>. The result has the index's shape; the index
    /// must have this tensor's rank, sizes no larger than this tensor's in the other dims, and values in
    /// 0..size-1 (int64 or int32). Gradients flow to this tensor (summed over repeated indices), never to the index.
    /// </summary>
    /// <example><code>
    /// var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, new[] { 2, 2 });
    /// var i = Tensor.FromArray(new long[] { 1, 0, 0, 0 }, new[] { 2, 2 });
    /// x.Gather(1, i);   // [[2, 1], [3, 3]]
    /// </code></example>
    public Tensor Gather(int dim, Tensor index)
    {
        int d = CheckIndex("Gather", dim, index);
        for (int k = 0; k < Rank; k++)
            if (k != d && index.Shape[k] > Shape[k])
                throw Errors.Arg("Gather", $"index {Errors.Describe(index)} is larger than the input {Shape} in dim {k} (only dim {d} may differ).");
        CheckIndexValues("Gather", d, index, Shape[d]);
        return Dispatch.Call(new Primitives.Index.Gather(d, Shape.ToArray()), this, index);
    }

    /// <summary>
    /// Out-of-place torch.scatter_add: a copy of this tensor where, for dim 0,
    /// <c>y[index[i, j], j] += src[i, j]</c> over every position of <paramref name="index"/> (repeated
    /// indices add up). <paramref name="src"/> must have this tensor's dtype and sizes at least the index's.
    /// Gather's transpose; gradients flow to this tensor and to <paramref name="src"/>, not to the index.
    /// </summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src)
    {
        int d = CheckScatter("ScatterAdd", dim, index, src);
        return Dispatch.Call(new Primitives.Index.ScatterAdd(d, src.Shape.ToArray()), this, index, src);
    }

    /// <summary>
    /// The entries of dim <paramref name="dim"/> listed by the 1-d integer tensor <paramref name="index"/>
    /// (repeats allowed), as torch.index_select: <c>x.IndexSelect(0, i)</c> picks rows. Built on
    /// <see cref="Gather"/>, so the gradient sums into repeated rows.
    /// </summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = NormalizeDim("IndexSelect", dim);
        if (Rank == 0) throw Errors.Arg("IndexSelect", "needs a tensor with at least one dim.");
        if (index.Rank > 1)
            throw Errors.Arg("IndexSelect", $"index must be 1-d (or 0-d), got {Errors.Describe(index)}; use Gather for n-d indices.");
        if (!index.DType.IsInteger())
            throw Errors.Arg("IndexSelect", $"index must be int64 or int32, got {index.DType.TorchName()}.");
        int n = index.NumElements;
        var lined = new int[Rank];
        Array.Fill(lined, 1);
        lined[d] = n;
        var outShape = Shape.ToArray();
        outShape[d] = n;
        CheckIndexValues("IndexSelect", d, index, Shape[d]);
        return Gather(d, index.Reshape(lined).Expand(outShape));
    }

    int CheckIndex(string op, int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (Rank == 0) throw Errors.Arg(op, "needs a tensor with at least one dim.");
        int d = NormalizeDim(op, dim);
        if (!index.DType.IsInteger())
            throw Errors.Arg(op, $"index must be int64 or int32, got {index.DType.TorchName()}.");
        if (!index.Device.Equals(Device))
            throw Errors.Arg(op, $"index is on {index.Device} but the tensor is on {Device}; move one with To(Device).");
        if (index.Rank != Rank)
            throw Errors.Arg(op, $"index {Errors.Describe(index)} must have the same rank as the tensor {Shape} ({Rank}).");
        return d;
    }

    static void CheckIndexValues(string op, int dim, Tensor index, int size) =>
        Dispatch.Check(index, new IndexRangeCheck(null, size, null, $"{op}: index {{0}} is out of range for dim {dim} of size {size}; values must be in 0..{size - 1}"));
}
