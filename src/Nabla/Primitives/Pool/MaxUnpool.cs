using Nabla.Backends;
using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Pool;

/// <summary>
/// Max pooling's transpose for recorded argmax positions (torch's max_unpool, with adds): x [N, C, L] is
/// scattered into zeros [N, C, H·W] at the flat positions <paramref name="index"/> [N, C, L] (int32),
/// repeated positions adding up (overlapping windows that share a maximum). Linear in x:
/// y = scatter(x) ; dy = scatter(dx) ; gx = gather(gy, index) (dim 2). The index carries no gradient.
/// Adds run in position order within a plane and planes are independent, so results do not depend on the
/// thread count.
/// </summary>
internal sealed class MaxUnpool(Tensor index, int planeSize) : Primitive
{
    public override string Name => "max_unpool";
    public override string GradName => "MaxPool2DWithIndicesBackwardBackward";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var src = CopyKernel.AsContiguous(x[0]);
        int n = src.Shape[0], c = src.Shape[1];
        // Each plane is cleared by the thread that scatters into it (in parallel); with no positions
        // there is nothing to scatter and the output is zeroed here.
        var y = CpuTensor.Empty(src.DType, new Shape([n, c, planeSize]), zeroed: src.Shape[2] == 0);
        switch (src.DType)
        {
            case DType.Float32: Run(src.Data<float>(), src.Offset, y.Data<float>(), n * c, src.Shape[2]); break;
            case DType.Float64: Run(src.Data<double>(), src.Offset, y.Data<double>(), n * c, src.Shape[2]); break;
            default: throw new NotSupportedException($"max_unpool: no kernel for {src.DType.TorchName()}");
        }
        return y;
    }

    void Run<T>(T[] x, int offset, T[] y, int planes, int l) where T : unmanaged, INumber<T>
    {
        var idx = index.Data<int>();
        int io = index.Offset, hw = planeSize;
        CpuParallel.ForRange(planes * l, (start, count) =>
        {
            // Whole planes only: the chunk that holds a plane's first position does all of it.
            int first = (start + l - 1) / l, end = (start + count + l - 1) / l;
            for (int p = first; p < end; p++)
            {
                // Spans per plane: the loop over src/at needs no bounds checks, and a write stays in its plane.
                var plane = y.AsSpan(p * hw, hw);
                plane.Clear();
                ReadOnlySpan<T> src = x.AsSpan(offset + p * l, l);
                ReadOnlySpan<int> at = idx.AsSpan(io + p * l, l);
                for (int q = 0; q < src.Length && q < at.Length; q++) plane[at[q]] += src[q];
            }
        });
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy.Gather(2, index)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new MaxUnpool(index, planeSize), dx[0]!);

    public override RefArray Reference(RefArray[] x)
    {
        var src = x[0];
        int planes = src.Shape[0] * src.Shape[1], l = src.Shape[2];
        var idx = index.ToArray<int>();
        var y = RefArray.Zeros([src.Shape[0], src.Shape[1], planeSize]);
        for (int p = 0; p < planes; p++)
            for (int q = 0; q < l; q++) y.Data[p * planeSize + idx[p * l + q]] += src.Data[p * l + q];
        return y;
    }
}
