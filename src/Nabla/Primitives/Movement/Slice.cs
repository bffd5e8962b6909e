using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// A strided window (a view, no copy): along each dim d, elements start[d], start[d]+step[d], ...,
/// count[d] of them (steps are positive). The front end (indexer, Narrow) has already checked bounds
/// and turns dropped dims into a Reshape afterwards, so input and output have the same rank.
/// y = x[start : start+count*step : step] ; dy = slice(dx) ; gx = pad(gy) (its transpose: zeros elsewhere)
/// </summary>
internal sealed class Slice(int[] inputShape, int[] start, int[] step, int[] count) : Primitive
{
    /// <summary>The sliced tensor's shape, and per dim the window's first index, step and length.</summary>
    public int[] InputShape => inputShape;
    public int[] Start => start;
    public int[] Step => step;
    public int[] Count => count;

    public override string Name => "slice";
    public override bool MayFailInReplay => false;   // moves values by shape alone

    public override bool SavesInputs => false;

    public override Tensor? TryView(Tensor[] x) => Window(x[0], start, step, count);

    /// <summary>
    /// The window of <paramref name="input"/> as a view (also how Pad's and Concat's kernels address the
    /// part of their fresh output that one input fills).
    /// </summary>
    public static Tensor Window(Tensor input, int[] start, int[] step, int[] count)
    {
        var strides = new int[count.Length];
        int offset = input.Offset;
        for (int d = 0; d < count.Length; d++)
        {
            strides[d] = input.Strides[d] * step[d];
            if (count[d] > 0) offset += start[d] * input.Strides[d];
        }
        return input.View(new Shape(count), strides, offset);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Tensor.PadWindow(gy, inputShape, start, step)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Tensor.SliceWindow(dx[0]!, start, step, count);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(count);
        var src = new int[count.Length];
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            for (int d = 0; d < idx.Length; d++) src[d] = start[d] + idx[d] * step[d];
            y.Data[i] = x[0][src];
        }
        return y;
    }
}
