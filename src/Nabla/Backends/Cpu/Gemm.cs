using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Batched matrix multiply C[b] = A[b] · B[b] on contiguous row-major operands.
/// NB: a plain row-broadcast kernel (C row += a_ik * B row); the packed, blocked micro-kernel GEMM
/// replaces it in Gemm work. Batches and row blocks are split across cores; each output element is
/// computed by one thread in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static class Gemm
{
    public static void Run<T>(T[] a, int aOffset, T[] b, int bOffset, T[] c, int batch, int m, int k, int n)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        long work = (long)batch * m * n * Math.Max(k, 1);
        int tasks = batch * m;
        void Row(int t)
        {
            int bi = t / m, i = t % m;
            var crow = c.AsSpan(bi * m * n + i * n, n);
            crow.Clear();
            int aRow = aOffset + bi * m * k + i * k;
            for (int p = 0; p < k; p++)
            {
                var aip = a[aRow + p];
                if (aip == T.Zero) continue;
                var brow = new ReadOnlySpan<T>(b, bOffset + bi * k * n + p * n, n);
                Axpy(aip, brow, crow);
            }
        }
        if (work < 1 << 16 || CpuParallel.Threads <= 1)
            for (int t = 0; t < tasks; t++) Row(t);
        else
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = CpuParallel.Threads }, Row);
    }

    static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, System.Numerics.INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            var xf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
            var yf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(y);
            TensorPrimitives.MultiplyAdd(xf, (float)(object)alpha, yf, yf);
        }
        else if (typeof(T) == typeof(double))
        {
            var xd = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(x);
            var yd = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(y);
            TensorPrimitives.MultiplyAdd(xd, (double)(object)alpha, yd, yd);
        }
        else
        {
            for (int j = 0; j < y.Length; j++) y[j] += alpha * x[j];
        }
    }
}
