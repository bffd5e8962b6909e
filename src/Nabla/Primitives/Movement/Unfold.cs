using Nabla.Backends;
using Nabla.Engine;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// im2col: every kh×kw window of an image [B, C, H, W] (zero padded, strided, dilated) as a column of
/// [B, C·kh·kw, OH·OW], so a convolution becomes one batched MatMul. Linear; its transpose is Fold.
/// y = unfold(x) ; dy = unfold(dx) ; gx = fold(gy)
/// </summary>
internal sealed class Unfold(Im2Col g) : Primitive
{
    public override string Name => "unfold";
    public override string GradName => "Im2ColBackward";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var input = CopyKernel.AsContiguous(x[0]);
        int batch = input.Shape[0];
        var y = CpuTensor.Empty(input.DType, new Shape(g.ColumnShape(batch)));
        switch (input.DType)
        {
            case DType.Float32: g.Unfold(input.Data<float>(), input.Offset, y.Data<float>(), batch); break;
            case DType.Float64: g.Unfold(input.Data<double>(), input.Offset, y.Data<double>(), batch); break;
            default: throw new NotSupportedException($"unfold: no kernel for {input.DType.TorchName()}");
        }
        return y;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new Fold(g), gy)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new Unfold(g), dx[0]!);

    public override RefArray Reference(RefArray[] x) => Im2Col.ReferenceUnfold(g, x[0]);
}
