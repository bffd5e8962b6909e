using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives.Elementwise;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// A convolution's backward prologue as one op (made by the graph pass <c>EpilogueFusion</c>, never by user code): ReLU's
/// gradient mask on the conv's output layout, reordered to the rows of the conv's GEMM,
/// y = relu_backward(g, r).Permute(1, 0, 2, 3).Reshape(O, B·OH·OW) for g and r [B, O, OH, OW] (r: the ReLU's output).
/// Eager code masks in one pass and reorders with a copying reshape in a second; the weight and bias gradients read the
/// rows. The mask selects (out = g where r &gt; 0 or r is NaN, else 0), so any order of work gives eager's bits.
/// Linear in g, piecewise constant in r: dy = relu_backward_rows(dg, r) ; gg = relu_backward(gy reordered back, r).
/// </summary>
internal sealed class ReluBackwardRows : Primitive
{
    public override string Name => "relu_backward_rows";
    public override bool MayFailInReplay => false;   // products and their epilogues: total on every value
    public override string GradName => "ThresholdBackwardBackward";

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var s = x[0].Shape;
        var back = gy.Reshape(s[1], s[0], s[2], s[3]).Permute(1, 0, 2, 3);
        return [needs[0] ? Dispatch.Call(new ReluBackward(), back, x[1]) : null, null];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new ReluBackwardRows(), dx[0]!, x[1]);

    public override RefArray Reference(RefArray[] x)
    {
        int[] s = x[0].Shape;
        var (b, o, l) = (s[0], s[1], s[2] * s[3]);
        var y = RefArray.Zeros([o, b * l]);
        for (int i = 0; i < b; i++)
            for (int c = 0; c < o; c++)
                for (int p = 0; p < l; p++)
                {
                    double g = x[0].Data[(i * o + c) * l + p], r = x[1].Data[(i * o + c) * l + p];
                    y.Data[c * b * l + i * l + p] = r > 0 || double.IsNaN(r) ? g : 0;
                }
        return y;
    }
}
