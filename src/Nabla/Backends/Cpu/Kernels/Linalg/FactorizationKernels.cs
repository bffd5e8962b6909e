using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernels of the dense factorization primitives (solve, det, slogdet, adjugate, Cholesky, triangular
/// solve): operands read as doubles, each matrix of the batch factored by <see cref="DenseMatrix"/>'s loops,
/// results written back in the op's dtype (see <see cref="DenseKernel"/>).
/// </summary>
internal static class FactorizationKernels
{
    public static Tensor[] Solve(Tensor a, Tensor b)
    {
        var (count, n, k) = LinearSolve.Sizes(a.Shape.ToArray(), b.Shape.ToArray());
        var (ad, bd) = (DenseKernel.Read(a), DenseKernel.Read(b));
        var x = new double[bd.Length];
        var info = new int[count];
        DenseKernel.ForEachMatrix(count, n, i => info[i] = LinearSolve.SolveOne(ad, bd, x, i, n, k));
        return [DenseKernel.Write(a.DType, b.Shape.ToArray(), x), DenseKernel.WriteInt(a.Shape.ToArray()[..^2], info)];
    }

    public static Tensor Det(Tensor a)
    {
        int n = a.Shape[^1];
        var ad = DenseKernel.Read(a);
        var batch = a.Shape.ToArray()[..^2];
        var y = new double[Shape.CheckedCount("det", batch)];
        DenseKernel.ForEachMatrix(y.Length, n, i => y[i] = DenseMatrix.Det(ad.AsSpan(i * n * n, n * n), n));
        return DenseKernel.Write(a.DType, batch, y);
    }

    public static Tensor[] SlogDet(Tensor a)
    {
        int n = a.Shape[^1];
        var ad = DenseKernel.Read(a);
        var batch = a.Shape.ToArray()[..^2];
        var (sign, log) = (new double[Shape.CheckedCount("slogdet", batch)], new double[Shape.CheckedCount("slogdet", batch)]);
        DenseKernel.ForEachMatrix(log.Length, n, i => (sign[i], log[i]) = LogAbsDet.SlogDetOne(ad, i, n));
        return [DenseKernel.Write(a.DType, batch, log), DenseKernel.Write(a.DType, batch, sign)];
    }

    public static Tensor Adjugate(Tensor a)
    {
        int n = a.Shape[^1];
        var ad = DenseKernel.Read(a);
        var y = new double[ad.Length];
        int count = n == 0 ? 0 : ad.Length / (n * n);
        DenseKernel.ForEachMatrix(count, n, i => DenseMatrix.Adjugate(ad.AsSpan(i * n * n, n * n), n, y.AsSpan(i * n * n, n * n)));
        return DenseKernel.Write(a.DType, a.Shape.ToArray(), y);
    }

    public static Tensor[] Cholesky(Tensor a)
    {
        int n = a.Shape[^1];
        var ad = DenseKernel.Read(a);
        var batch = a.Shape.ToArray()[..^2];
        var l = new double[ad.Length];
        var info = new int[Shape.CheckedCount("cholesky", batch)];
        DenseKernel.ForEachMatrix(info.Length, n, i => info[i] = DenseMatrix.Cholesky(ad.AsSpan(i * n * n, n * n), n, l.AsSpan(i * n * n, n * n)));
        return [DenseKernel.Write(a.DType, a.Shape.ToArray(), l), DenseKernel.WriteInt(batch, info)];
    }

    public static Tensor TriangularSolve(TriangularSolve op, Tensor a, Tensor b)
    {
        var (count, n, k) = LinearSolve.Sizes(a.Shape.ToArray(), b.Shape.ToArray());
        var (ad, x) = (DenseKernel.Read(a), DenseKernel.Read(b));
        DenseKernel.ForEachMatrix(count, n, i => Primitives.Linalg.TriangularSolve.SolveOne(ad, x, i, n, k, op.Upper, op.Unit));
        return DenseKernel.Write(a.DType, b.Shape.ToArray(), x);
    }
}
