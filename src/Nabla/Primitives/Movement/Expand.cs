using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Broadcast view: sizes of 1 are repeated to the target size by giving them stride 0 (no copy).
/// Input and output have the same rank (the front end reshapes to prepend ones).
/// y = expand(x) ; dy = expand(dx) ; gx = sum of gy over the broadcast axes (its transpose).
/// </summary>
internal sealed class Expand(int[] inputShape, int[] outputShape) : Primitive
{
    /// <summary>The shapes before and after.</summary>
    public int[] InputShape => inputShape;
    public int[] OutputShape => outputShape;

    public override string Name => "expand";
    public override bool MayFailInReplay => false;   // moves values by shape alone

    public override bool SavesInputs => false;

    public override Tensor? TryView(Tensor[] x)
    {
        var input = x[0];
        var strides = new int[outputShape.Length];
        for (int d = 0; d < strides.Length; d++)
            strides[d] = inputShape[d] == outputShape[d] ? input.Strides[d] : 0;
        return input.View(new Shape(outputShape), strides, input.Offset);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy.SumTo(inputShape)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Expand(outputShape);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(outputShape);
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            for (int d = 0; d < idx.Length; d++) if (inputShape[d] == 1) idx[d] = 0;
            y.Data[i] = x[0][idx];
        }
        return y;
    }
}
