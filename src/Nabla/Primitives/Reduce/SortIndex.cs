using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// The permutation (int64, the input's shape) that sorts each line along <c>dim</c>, ascending or descending, stably:
/// equal values keep their order (so the result is the same on every run and thread count, as torch.sort(stable=True)).
/// NaN counts as larger than every number (last ascending, first descending), as PyTorch; -0 and +0 are equal. Not
/// differentiable: the front end gathers the values with it, so the gradient flows back to each value's old place.
/// </summary>
internal sealed class SortIndex(int dim, bool descending) : Primitive
{
    public override string Name => "sort";
    public override bool SavesInputs => false;

    public override bool MayFailInReplay => false;   // any values sort (NaN included)

    /// <summary>The output is the permutation, int64 whatever the input's dtype.</summary>
    public override DType OutputDType(Tensor[] x) => DType.Int64;

    /// <summary>The sorted dim.</summary>
    public int Dim => dim;

    /// <summary>Whether the largest value comes first.</summary>
    public bool Descending => descending;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    /// <summary>The order of a and b in a sort (NaN largest), before ties are broken by position.</summary>
    public static int Compare(double a, double b, bool descending)
    {
        int c = double.IsNaN(a) ? (double.IsNaN(b) ? 0 : 1) : double.IsNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
        return descending ? -c : c;
    }

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[0].Shape);
        int n = x[0].Shape[dim];
        for (int o = 0; o < x[0].Count; o++)
        {
            var idx = x[0].Unravel(o);
            if (idx[dim] != 0) continue;
            var values = new double[n];
            for (int i = 0; i < n; i++) { idx[dim] = i; values[i] = x[0][idx]; }
            var order = Enumerable.Range(0, n).ToArray();
            // LINQ's OrderBy is stable.
            order = [.. order.OrderBy(i => i, Comparer<int>.Create((a, b) => Compare(values[a], values[b], descending)))];
            for (int i = 0; i < n; i++) { idx[dim] = i; y.Data[y.Ravel(idx)] = order[i]; }
        }
        return y;
    }
}
