using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Reorders dimensions (a view): output dim i is input dim dims[i].
/// y = permute(x) ; dy = permute(dx) ; gx = permute(gy, inverse(dims))
/// </summary>
internal sealed class Permute(int[] dims) : Primitive
{
    /// <summary>The new order of the dims.</summary>
    public int[] Dims => dims;

    public override string Name => "permute";
    public override bool MayFailInReplay => false;   // moves values by shape alone

    public override bool SavesInputs => false;

    public override Tensor? TryView(Tensor[] x)
    {
        var input = x[0];
        var shape = new int[dims.Length];
        var strides = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            shape[i] = input.Shape[dims[i]];
            strides[i] = input.Strides[dims[i]];
        }
        return input.View(new Shape(shape), strides, input.Offset);
    }

    int[] Inverse()
    {
        var inv = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) inv[dims[i]] = i;
        return inv;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy.Permute(Inverse())];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Permute(dims);

    public override RefArray Reference(RefArray[] x)
    {
        var inShape = x[0].Shape;
        var outShape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) outShape[i] = inShape[dims[i]];
        var y = RefArray.Zeros(outShape);
        var src = new int[dims.Length];
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            for (int d = 0; d < dims.Length; d++) src[dims[d]] = idx[d];
            y.Data[i] = x[0][src];
        }
        return y;
    }
}
