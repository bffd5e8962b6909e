using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Slice's transpose: places the input into a zero tensor of <c>outputShape</c> at positions
/// start[d] + i*step[d] along each dim (step 1 is ordinary zero padding). Always a fresh tensor.
/// y = pad(x) ; dy = pad(dx) ; gx = slice(gy) (the same window)
/// </summary>
internal sealed class Pad(int[] inputShape, int[] outputShape, int[] start, int[] step) : Primitive
{
    public override string Name => "pad";
    public override bool MayFailInReplay => false;   // moves values by shape alone
    public override string GradName => "ConstantPadNdBackward";
    public override bool SavesInputs => false;

    /// <summary>The input's shape (the window's size).</summary>
    public int[] InputShape => inputShape;

    /// <summary>The result's shape.</summary>
    public int[] OutputShape => outputShape;

    /// <summary>Where the window starts in the result, per dim.</summary>
    public int[] Start => start;

    /// <summary>The window's step in the result, per dim (positive).</summary>
    public int[] Step => step;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Tensor.SliceWindow(gy, start, step, inputShape)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Tensor.PadWindow(dx[0]!, outputShape, start, step);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(outputShape);
        var dst = new int[outputShape.Length];
        for (int i = 0; i < x[0].Count; i++)
        {
            var idx = x[0].Unravel(i);
            for (int d = 0; d < idx.Length; d++) dst[d] = start[d] + idx[d] * step[d];
            y.Data[y.Ravel(dst)] = x[0].Data[i];
        }
        return y;
    }
}
