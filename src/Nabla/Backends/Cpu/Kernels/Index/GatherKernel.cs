using Nabla.Primitives.Index;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary><see cref="Gather"/> on the CPU: the source offset of every output element, then one parallel read each.</summary>
internal static class GatherKernel
{
    public static Tensor Run(Gather op, Tensor[] x)
    {
        var y = CpuTensor.Empty(x[0].DType, x[1].Shape);
        Run(op, x, y);
        return y;
    }

    /// <summary>The same gather written into <paramref name="y"/> (see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunInto(Gather op, Tensor[] x, Tensor y)
    {
        if (!IntoOutput.Fits(y, x[0].DType, x[1].Shape.Span, x[0], x[1])) return false;
        Run(op, x, y);
        return true;
    }

    static void Run(Gather op, Tensor[] x, Tensor y)
    {
        var values = IndexOffsets.Values(x[1]);
        var offsets = IndexOffsets.Of(x[0], op.Dim, x[1].Shape, values);
        switch (y.DType)
        {
            case DType.Float32: Run<float>(x[0], offsets, y); break;
            case DType.Float64: Run<double>(x[0], offsets, y); break;
            case DType.Int32: Run<int>(x[0], offsets, y); break;
            case DType.Int64: Run<long>(x[0], offsets, y); break;
            case DType.Bool: Run<bool>(x[0], offsets, y); break;
        }
    }

    static void Run<T>(Tensor x, int[] offsets, Tensor y) where T : unmanaged
    {
        var src = x.Data<T>();
        var dst = y.Data<T>();
        CpuParallel.ForRange(offsets.Length, (start, count) =>
        {
            for (int i = start; i < start + count; i++) dst[i] = src[offsets[i]];
        });
    }
}
