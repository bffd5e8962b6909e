using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Reverses the order of elements along <c>dims</c>; a copy, as torch.flip (a negative-stride view is
/// read once, so no other kernel ever sees negative strides). Linear and its own transpose.
/// y = flip(x) ; dy = flip(dx) ; gx = flip(gy)
/// </summary>
internal sealed class Flip(int[] dims) : Primitive
{
    public override string Name => "flip";
    public override bool MayFailInReplay => false;   // moves values by shape alone
    public override bool SavesInputs => false;

    /// <summary>The dims to reverse.</summary>
    public int[] Dims => dims;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy.Flip(dims)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Flip(dims);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[0].Shape);
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            foreach (var d in dims) idx[d] = y.Shape[d] - 1 - idx[d];
            y.Data[i] = x[0][idx];
        }
        return y;
    }
}
