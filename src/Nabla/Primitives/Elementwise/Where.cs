using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = c ? a : b elementwise, with c Bool and a, b, y of one dtype, all of one shape (the front end
/// promotes a and b and broadcasts all three with Expand, so broadcast gradients are summed by Expand).
/// dy = where(c, da, 0) + where(c, 0, db) ; ga = where(c, gy, 0), gb = where(c, 0, gy) ; c gets none.
/// The branch not taken never reaches the output, and this rule sends it exact zeros (NB: that branch's
/// own upstream rule can still turn a zero into NaN, e.g. log's gy/x at x = 0, as in PyTorch).
/// </summary>
internal sealed class Where : Primitive
{
    public override string Name => "where";

    public override Tensor Forward(Tensor[] x)
    {
        var y = Tensor.Empty(x[1].DType, x[1].Shape);
        switch (x[1].DType)
        {
            case DType.Float32: Run<float>(x, y); break;
            case DType.Float64: Run<double>(x, y); break;
            case DType.Int32: Run<int>(x, y); break;
            case DType.Int64: Run<long>(x, y); break;
            case DType.Bool: Run<bool>(x, y); break;
            default: throw new NotSupportedException($"where: no kernel for dtype {x[1].DType.TorchName()}");
        }
        return y;
    }

    static void Run<T>(Tensor[] x, Tensor y) where T : unmanaged
    {
        Tensor c = x[0], a = x[1], b = x[2];
        var loop = new StridedLoop(y.Shape.Span, [c.Strides, a.Strides, b.Strides, y.Strides], [c.Offset, a.Offset, b.Offset, 0]);
        int sc = loop.InnerStride(0), sa = loop.InnerStride(1), sb = loop.InnerStride(2), sy = loop.InnerStride(3);
        var cd = c.Data<bool>();
        var ad = a.Data<T>();
        var bd = b.Data<T>();
        var yd = y.Data<T>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            for (int i = 0, ic = offs[0], ia = offs[1], ib = offs[2], iy = offs[3]; i < n; i++, ic += sc, ia += sa, ib += sb, iy += sy)
                yd[iy] = cd[ic] ? ad[ia] : bd[ib];
        });
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y)
    {
        var zero = Tensor.Scalar(0, gy.DType);
        return [null, Tensor.Where(x[0], gy, zero), Tensor.Where(x[0], zero, gy)];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[1] is null && dx[2] is null) return null;
        var zero = Tensor.Scalar(0, y.DType);
        return Tensor.Where(x[0], dx[1] ?? zero, dx[2] ?? zero);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[1].Shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = x[0].Data[i] != 0 ? x[1].Data[i] : x[2].Data[i];
        return y;
    }
}
