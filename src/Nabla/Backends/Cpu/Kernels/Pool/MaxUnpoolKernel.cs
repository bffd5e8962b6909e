using System.Numerics;
using Nabla.Primitives.Pool;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="MaxUnpool"/> on the CPU: each plane of x [N, C, L] is scattered into a zeroed plane of
/// [N, C, H·W] at the int32 flat positions of input 1, repeated positions adding up. Adds run in position
/// order within a plane and planes are independent, so results do not depend on the thread count.
/// </summary>
internal static class MaxUnpoolKernel
{
    public static Tensor Run(MaxUnpool op, Tensor x, Tensor positions)
    {
        // Each plane is cleared by the thread that scatters into it (in parallel); with no positions
        // there is nothing to scatter and the output is zeroed here.
        var y = CpuTensor.Empty(x.DType, new Shape([x.Shape[0], x.Shape[1], op.PlaneSize]), zeroed: x.Shape[2] == 0);
        Run(op, x, positions, y);
        return y;
    }

    /// <summary>The same unpooling written into <paramref name="y"/> (see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunInto(MaxUnpool op, Tensor x, Tensor positions, Tensor y)
    {
        if (!IntoOutput.Fits(y, x.DType, [x.Shape[0], x.Shape[1], op.PlaneSize], x, positions)) return false;
        if (x.Shape[2] == 0)
        {
            if (y.DType == DType.Float32) y.ContiguousSpan<float>().Clear();
            else if (y.DType == DType.Float64) y.ContiguousSpan<double>().Clear();
        }
        Run(op, x, positions, y);
        return true;
    }

    static void Run(MaxUnpool op, Tensor x, Tensor positions, Tensor y)
    {
        var src = CopyKernel.AsContiguous(x);
        var index = CopyKernel.AsContiguous(positions);
        int n = src.Shape[0], c = src.Shape[1];
        switch (src.DType)
        {
            case DType.Float32: Run(index, op.PlaneSize, src.Data<float>(), src.Offset, y.Data<float>(), n * c, src.Shape[2]); break;
            case DType.Float64: Run(index, op.PlaneSize, src.Data<double>(), src.Offset, y.Data<double>(), n * c, src.Shape[2]); break;
            default: throw new NotSupportedException($"max_unpool: no kernel for {src.DType.TorchName()}");
        }
    }

    static void Run<T>(Tensor index, int planeSize, T[] x, int offset, T[] y, int planes, int l) where T : unmanaged, INumber<T>
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
                // Position -1 marks a max-pooling window entirely in the padding: its gradient goes nowhere.
                for (int q = 0; q < src.Length && q < at.Length; q++)
                    if (at[q] >= 0) plane[at[q]] += src[q];
            }
        });
    }
}
