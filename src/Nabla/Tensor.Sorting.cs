using Nabla.Engine;
using Nabla.Primitives.Reduce;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The index (int64) of the smallest value along <paramref name="dim"/>, as torch.argmin: ties give the first index,
    /// and NaN counts as the smallest (the first NaN wins). An empty dim is an error.
    /// </summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtreme("ArgMin", dim, keepDim, d => new ArgMin(d));

    /// <summary>The index (int64, 0-d) of the smallest element of the flattened tensor (torch.argmin without dim).</summary>
    public Tensor ArgMin() => Reshape(-1).ArgMin(0);

    /// <summary>
    /// The values along <paramref name="dim"/> sorted, with the int64 indices each came from (torch.sort), always stable:
    /// equal values keep their order (torch.sort(stable=True)), so the result is the same on every run. NaN sorts as the
    /// largest value (last ascending, first with <paramref name="descending"/>). The gradient flows back to each value's
    /// old position.
    /// </summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false)
    {
        var indices = ArgSort(dim, descending);
        int d = Rank == 0 ? 0 : NormalizeDim("Sort", dim);
        return (Rank == 0 ? Alias() : Gather(d, indices), indices);
    }

    /// <summary>The int64 indices that sort <paramref name="dim"/> (torch.argsort, stable); see <see cref="Sort"/>.</summary>
    public Tensor ArgSort(int dim = -1, bool descending = false)
    {
        int d = NormalizeDim("ArgSort", dim);
        if (Rank == 0) return Full([], 0, DType.Int64, device: Device);
        var x = DType == DType.Bool ? To(DType.Int32) : this;
        return Dispatch.Call(new SortIndex(d, descending), x.DetachFor("argsort"));
    }

    /// <summary>
    /// The <paramref name="k"/> largest values along <paramref name="dim"/> (the smallest with <paramref name="largest"/>
    /// false) and their int64 indices, as torch.topk: in order from the largest (or smallest); equal values in their
    /// original order. NaN counts as the largest. k must lie in [0, size of dim]. The gradient flows to the chosen elements.
    /// NB: <paramref name="sorted"/> false is accepted for PyTorch's signature and gives the same sorted order.
    /// </summary>
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        int d = NormalizeDim("TopK", dim);
        int n = Rank == 0 ? 1 : Shape[d];
        if (k < 0 || k > n)
            throw Errors.Arg("TopK", $"k = {k} is outside [0, {n}], the size of dim {dim} of shape {Shape}; choose k within it.");
        if (Rank == 0) return (Alias(), Full([], 0, DType.Int64, device: Device));
        var indices = ArgSort(d, descending: largest).Narrow(d, 0, k);
        return (Gather(d, indices), indices);
    }
}
