using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The CPU kernel of the matrix decompositions (QR, eigh, SVD, triangular inverse): each matrix of the batch is read as
/// double, factored by the shared double-precision algorithm (Backends/Reference/Linalg: they are accuracy-bound, not
/// bandwidth-bound, and float32 gains nothing from a float32 variant's lost digits) and written in the input's dtype.
/// Matrices of a batch run in parallel; each is computed by one thread, so results do not depend on the thread count.
/// </summary>
internal static class DecompositionKernel
{
    /// <summary>Below this many flops (batch·rows·cols·min) one thread does the whole batch.</summary>
    const long ParallelWork = 1 << 16;

    /// <summary>[..., rows, cols] in, [..., outTail] out, one <paramref name="factor"/> call per matrix.</summary>
    public static Tensor Run(Tensor x, int[] outTail, MatrixFactor factor)
    {
        var a = CopyKernel.AsContiguous(x);
        int rows = x.Shape[-2], cols = x.Shape[-1], size = rows * cols;
        var y = CpuTensor.Empty(x.DType, new Shape([.. x.Shape.ToArray()[..^2], .. outTail]));
        int outSize = outTail.Aggregate(1, (p, d) => p * d);
        int batch = outSize == 0 ? 0 : y.NumElements / outSize;
        if (batch == 0) return y;
        Action<int> one = x.DType == DType.Float64
            ? b => factor(a.Data<double>().AsSpan(a.Offset + b * size, size), y.Data<double>().AsSpan(b * outSize, outSize))
            : b =>
            {
                var src = a.Data<float>().AsSpan(a.Offset + b * size, size);
                var matrix = new double[size];
                for (int i = 0; i < size; i++) matrix[i] = src[i];
                var packed = new double[outSize];
                factor(matrix, packed);
                var dst = y.Data<float>().AsSpan(b * outSize, outSize);
                for (int i = 0; i < outSize; i++) dst[i] = (float)packed[i];
            };
        long work = (long)batch * size * Math.Max(1, Math.Min(rows, cols));
        if (batch == 1 || work < ParallelWork || CpuParallel.Threads <= 1)
            for (int b = 0; b < batch; b++) one(b);
        else
            CpuWorkers.For(batch, CpuParallel.Threads - 1, one);
        return y;
    }
}
