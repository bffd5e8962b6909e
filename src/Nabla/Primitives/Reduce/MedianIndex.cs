using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// The index (int64) of the median along <c>dim</c>, which is kept as size 1: the element of rank
/// ⌊(n - 1)/2⌋ in ascending order, so an even count gives the lower of the two middle values, as
/// torch.median. Equal values are ranked by position (the first of them comes first). A row holding NaN
/// gives the index of its first NaN (the median is then NaN, as torch.median). Not differentiable (an
/// integer output): the front end gathers the values with it, so the gradient flows to the chosen element.
/// The front end rejects an empty dim.
/// </summary>
internal sealed class MedianIndex(int dim) : Primitive
{
    public override string Name => "median";
    public override bool MayFailInReplay => false;   // a reduction: total on every value
    public override bool SavesInputs => false;

    /// <summary>The output is the index, int64 whatever the input's dtype.</summary>
    public override DType OutputDType(Tensor[] x) => DType.Int64;

    /// <summary>The dim searched (kept as size 1 in the output).</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    /// <summary>The position of the median in <paramref name="row"/> (see the class comment).</summary>
    public static int Select(ReadOnlySpan<double> row)
    {
        for (int i = 0; i < row.Length; i++) if (double.IsNaN(row[i])) return i;
        var order = new int[row.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var values = row.ToArray();
        // Stable: by value, then by position.
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : a.CompareTo(b));
        return order[(row.Length - 1) / 2];
    }

    public override RefArray Reference(RefArray[] x)
    {
        var inShape = x[0].Shape;
        var outShape = (int[])inShape.Clone();
        outShape[dim] = 1;
        var y = RefArray.Zeros(outShape);
        var row = new double[inShape[dim]];
        for (int o = 0; o < y.Count; o++)
        {
            var idx = y.Unravel(o);
            for (int i = 0; i < row.Length; i++)
            {
                idx[dim] = i;
                row[i] = x[0][idx];
            }
            y.Data[o] = Select(row);
        }
        return y;
    }
}
