namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// What the dense linalg kernels (solve, det, Cholesky, triangular solve) share: their operands as row-major
/// doubles (float32 computes in double, as the matrices are small and the factorizations lose digits), results
/// written back in the op's dtype, and a batch loop split across cores when the batch is large enough to pay
/// for it (matrices are independent, so the result does not depend on the thread count).
/// </summary>
internal static class DenseKernel
{
    /// <summary>The elements of <paramref name="x"/> (any view) row-major as doubles.</summary>
    public static double[] Read(Tensor x)
    {
        var d = new double[x.NumElements];
        switch (x.DType)
        {
            case DType.Float64: CopyKernel.CopyInto(x, d, 0); break;
            case DType.Float32:
                var f = new float[x.NumElements];
                CopyKernel.CopyInto(x, f, 0);
                for (int i = 0; i < f.Length; i++) d[i] = f[i];
                break;
            default: throw new NotSupportedException($"linalg: no kernel for {x.DType.TorchName()}");
        }
        return d;
    }

    /// <summary>A new contiguous CPU tensor of <paramref name="dtype"/> holding <paramref name="data"/>.</summary>
    public static Tensor Write(DType dtype, int[] shape, double[] data)
    {
        var y = CpuTensor.Empty(dtype, new Shape(shape));
        switch (dtype)
        {
            case DType.Float64: data.CopyTo(y.Data<double>(), 0); break;
            case DType.Float32:
                var f = y.Data<float>();
                for (int i = 0; i < data.Length; i++) f[i] = (float)data[i];
                break;
            default: throw new NotSupportedException($"linalg: no output of {dtype.TorchName()}");
        }
        return y;
    }

    /// <summary>A new int32 CPU tensor holding <paramref name="data"/> (the factorizations' info per matrix).</summary>
    public static Tensor WriteInt(int[] shape, int[] data)
    {
        var y = CpuTensor.Empty(DType.Int32, new Shape(shape));
        data.CopyTo(y.Data<int>(), 0);
        return y;
    }

    /// <summary>body(i) for each of <paramref name="count"/> matrices, on several cores when the work (≈ count·n³) is large.</summary>
    public static void ForEachMatrix(int count, int n, Action<int> body)
    {
        long work = (long)count * n * n * n;
        if (count > 1 && work >= 1 << 18 && CpuParallel.Threads > 1) CpuWorkers.For(count, CpuParallel.Threads - 1, body);
        else for (int i = 0; i < count; i++) body(i);
    }
}
