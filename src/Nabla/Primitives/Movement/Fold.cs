using Nabla.Backends;
using Nabla.Engine;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// col2im, Unfold's transpose: columns [B, C·kh·kw, OH·OW] summed back into an image [B, C, H, W]
/// (overlapping windows add up; entries that fell in the padding are dropped). Linear.
/// y = fold(x) ; dy = fold(dx) ; gx = unfold(gy)
/// </summary>
internal sealed class Fold(Im2Col g) : Primitive
{
    public override string Name => "fold";
    public override string GradName => "Col2ImBackward";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var cols = CopyKernel.AsContiguous(x[0]);
        int batch = g.ColumnBatch(cols.Shape);
        var y = CpuTensor.Empty(cols.DType, new Shape(g.ImageShape(batch)), zeroed: true);
        switch (cols.DType)
        {
            case DType.Float32: g.Fold(cols.Data<float>(), cols.Offset, y.Data<float>(), batch); break;
            case DType.Float64: g.Fold(cols.Data<double>(), cols.Offset, y.Data<double>(), batch); break;
            default: throw new NotSupportedException($"fold: no kernel for {cols.DType.TorchName()}");
        }
        return y;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new Unfold(g), gy)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new Fold(g), dx[0]!);

    public override RefArray Reference(RefArray[] x) => Im2Col.ReferenceFold(g, x[0]);
}
