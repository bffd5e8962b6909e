using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// The diagonal x[..., i, i + offset] of the plane (dim1, dim2) as a view (torch.diagonal): those two dims
/// are removed and the diagonal, of length <see cref="Length"/>, becomes the last dim, with stride
/// stride(dim1) + stride(dim2). Linear:
/// y = diag(x) ; dy = diag(dx) ; gx = zeros(x) with its diagonal set to gy (a scatter, so an Inf or NaN in
/// gy stays on the diagonal).
/// </summary>
internal sealed class Diagonal(int[] inputShape, int offset, int dim1, int dim2) : Primitive
{
    /// <summary>The input's shape, the diagonal's offset and the two dims it runs over.</summary>
    public int[] InputShape => inputShape;
    public int Offset => offset;
    public int Dim1 => dim1;
    public int Dim2 => dim2;

    public override string Name => "diagonal";
    public override bool MayFailInReplay => false;   // moves values by shape alone

    public override bool SavesInputs => false;

    /// <summary>Rows to skip (offset &lt; 0) and columns to skip (offset &gt; 0) before the diagonal starts.</summary>
    // NB: -offset in long: Diagonal(int.MinValue) must leave the plane, not wrap back onto the main diagonal.
    int Row0 => (int)Math.Min(Math.Max(-(long)offset, 0), int.MaxValue);
    int Col0 => Math.Max(offset, 0);

    /// <summary>The diagonal's length (0 when the offset leaves the plane).</summary>
    public int Length => Math.Max(0, Math.Min(inputShape[dim1] - Row0, inputShape[dim2] - Col0));

    /// <summary>The dims of the input other than dim1 and dim2, in order.</summary>
    int[] Rest => Enumerable.Range(0, inputShape.Length).Where(d => d != dim1 && d != dim2).ToArray();

    /// <summary>The output shape: the other dims, then the diagonal.</summary>
    public int[] OutputShape() => [.. Rest.Select(d => inputShape[d]), Length];

    public override Tensor? TryView(Tensor[] x)
    {
        var input = x[0];
        var rest = Rest;
        var strides = new int[rest.Length + 1];
        for (int k = 0; k < rest.Length; k++) strides[k] = input.Strides[rest[k]];
        strides[^1] = input.Strides[dim1] + input.Strides[dim2];
        // An empty diagonal keeps the input's offset, so the view never points past the storage.
        int start = Length == 0 ? input.Offset : input.Offset + Row0 * input.Strides[dim1] + Col0 * input.Strides[dim2];
        return input.View(new Shape(OutputShape()), strides, start);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        // gy is [rest..., L]; scatter it into the flattened (dim1, dim2) plane of zeros [rest..., n1·n2].
        var rest = Rest;
        int n1 = inputShape[dim1], n2 = inputShape[dim2], length = Length;
        var positions = new long[length];
        for (int i = 0; i < length; i++) positions[i] = (long)(i + Row0) * n2 + i + Col0;
        var ones = Enumerable.Repeat(1, rest.Length).ToArray();
        var index = Tensor.FromArray(positions, [.. ones, length]).To(gy.Device).Expand(gy.Shape.ToArray());
        var restShape = rest.Select(d => inputShape[d]).ToArray();
        var plane = Tensor.Zeros([.. restShape, n1 * n2], gy.DType, device: gy.Device).ScatterAdd(rest.Length, index, gy);
        // Back from [rest..., n1, n2] to the input's dim order.
        int[] order = [.. rest, dim1, dim2];
        var inverse = new int[order.Length];
        for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return [plane.Reshape([.. restShape, n1, n2]).Permute(inverse)];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : Engine.Dispatch.Call(new Diagonal(inputShape, offset, dim1, dim2), dx[0]!);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(OutputShape());
        var rest = Rest;
        var src = new int[inputShape.Length];
        for (int o = 0; o < y.Count; o++)
        {
            var idx = y.Unravel(o);
            for (int k = 0; k < rest.Length; k++) src[rest[k]] = idx[k];
            src[dim1] = idx[^1] + Row0;
            src[dim2] = idx[^1] + Col0;
            y.Data[o] = x[0][src];
        }
        return y;
    }
}
