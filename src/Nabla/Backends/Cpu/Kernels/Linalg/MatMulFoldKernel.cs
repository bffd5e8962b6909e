using System.Numerics;
using Nabla.Primitives.Linalg;
using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="MatMulFold"/> on the CPU: per image, the GEMM makes that image's column gradient [R, L] in a per-thread
/// buffer (cache-sized) and col2im folds it into the image's [C, H, W] block at once, so the [R, B·L] column gradient
/// is never written to memory. Same bits as eager code's whole GEMM and fold: the blocked GEMM's sums depend on k alone
/// (checked, as for <see cref="ConvEpilogueKernel"/>: no side of 1, no split k, else one whole GEMM and fold), and the fold
/// of one image reads only that image's columns, in the same order.
/// </summary>
internal static class MatMulFoldKernel
{
    public static Tensor Run(MatMulFold op, Tensor[] x)
    {
        var g = op.Geometry;
        int n = x[1].Shape[x[1].Rank - 1];
        var y = CpuTensor.Empty(x[0].DType, new Shape(g.ImageShape(n / Math.Max(1, g.L))));
        if (!Fill(op, x, y)) throw new InvalidOperationException($"internal: matmul_fold on {x[0].DType.TorchName()} {x[0].Shape} · {x[1].Shape}");
        return y;
    }

    /// <summary>The into-form: false, with nothing written, unless y is a contiguous CPU image tensor of the dtype at offset 0, sharing no memory with an input.</summary>
    public static bool Into(MatMulFold op, Tensor[] x, Tensor y)
    {
        var g = op.Geometry;
        int n = x[1].Shape[x[1].Rank - 1];
        if (y.DType != x[0].DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || y.Offset != 0 || !y.IsContiguous) return false;
        if (g.L == 0 || !y.Shape.Span.SequenceEqual(g.ImageShape(n / g.L)) || x[0].SharesStorage(y) || x[1].SharesStorage(y)) return false;
        return Fill(op, x, y);
    }

    static bool Fill(MatMulFold op, Tensor[] x, Tensor y)
    {
        var (a, b, g) = (x[0], x[1], op.Geometry);
        int rank = a.Rank;
        if (rank is not (2 or 3) || b.Rank != rank || (rank == 3 && (a.Shape[0] != 1 || b.Shape[0] != 1))) return false;
        if (a.Shape[rank - 2] != g.Rows || b.Shape[rank - 2] != a.Shape[rank - 1] || g.L == 0 || b.Shape[rank - 1] % g.L != 0 || !g.RowsOuter) return false;
        if (y.DType == DType.Float32) Run<float>(g, a, b, y);
        else if (y.DType == DType.Float64) Run<double>(g, a, b, y);
        else return false;
        return true;
    }

    static void Run<T>(Im2Col g, Tensor a, Tensor b, Tensor y) where T : unmanaged, INumber<T>
    {
        using var raw = RawAccess.Enter();
        int rank = a.Rank;
        int r = g.Rows, k = a.Shape[rank - 1], n = b.Shape[rank - 1], l = g.L, batch = n / l, image = g.C * g.H * g.W;
        var ga = new GemmOperand(a.Offset, a.Strides[rank - 2], a.Strides[rank - 1], 0);
        int rowStride = b.Strides[rank - 2], colStride = b.Strides[rank - 1];
        var (ad, bd, yd) = (a.Data<T>(), b.Data<T>(), y.Data<T>());
        if (batch == 0) return;
        if (!(r >= 2 && l >= 2 && GemmSplitKRule.ChunkLength(r, k, n) == 0 && GemmSplitKRule.ChunkLength(r, k, l) == 0))
        {
            // One GEMM and one fold, as eager code runs them.
            var cols = new T[(long)r * n];
            Gemm.Run(ad, ga, bd, new GemmOperand(b.Offset, rowStride, colStride, 0), cols, new GemmOperand(0, n, 1, r * n), 1, r, k, n);
            yd.AsSpan(0, batch * image).Clear();
            Im2ColKernel.Fold(g, cols, 0, yd, batch);
            return;
        }
        void Image(int i)
        {
            var cols = Buffer<T>.Get(r * l);
            Gemm.Run(ad, ga, bd, new GemmOperand(b.Offset + i * l * colStride, rowStride, colStride, 0), cols, new GemmOperand(0, l, 1, r * l), 1, r, k, l);
            yd.AsSpan(i * image, image).Clear();
            Im2ColKernel.Fold(g, cols, 0, yd, 1, i * image);
        }
        if (CpuParallel.Threads > 1 && batch > 1 && (long)r * k * n >= Gemm.ParallelThreshold) CpuWorkers.For(batch, CpuParallel.Threads - 1, Image);
        else
            for (int i = 0; i < batch; i++) Image(i);
    }

    /// <summary>One image's column gradient per thread, reused across calls.</summary>
    static class Buffer<T>
    {
        [ThreadStatic] static T[]? data;

        public static T[] Get(int length) => data is { } d && d.Length >= length ? d : data = new T[length];
    }
}
