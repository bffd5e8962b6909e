using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="MatMul"/> on the CPU: one GEMM call per run of batch dims. Strided and expanded operands
/// are read in place: the GEMM packs through any row/column strides, and the batch dims are walked as
/// runs with one batch stride each.
/// </summary>
internal static class MatMulKernel
{
    public static Tensor Run(Tensor a, Tensor b)
    {
        int rank = a.Rank;
        int m = a.Shape[rank - 2], k = a.Shape[rank - 1], n = b.Shape[rank - 1];
        var outShape = a.Shape.ToArray();
        outShape[rank - 1] = n;
        var y = CpuTensor.Empty(a.DType, new Shape(outShape));
        switch (a.DType)
        {
            case DType.Float32: Run<float>(a, b, y, m, k, n); break;
            case DType.Float64: Run<double>(a, b, y, m, k, n); break;
            case DType.Int32: Run<int>(a, b, y, m, k, n); break;
            case DType.Int64: Run<long>(a, b, y, m, k, n); break;
            default: throw new NotSupportedException($"matmul: no kernel for {a.DType.TorchName()}");
        }
        return y;
    }

    /// <summary>
    /// The product written into <paramref name="y"/> (a graph replay's kept buffer); false, with nothing written, unless
    /// y is what <see cref="Run(Tensor, Tensor)"/> would make: a contiguous CPU tensor of the output's shape and dtype at
    /// offset 0, sharing no memory with an input. The GEMM overwrites every element (k = 0 writes zeros).
    /// </summary>
    public static bool RunInto(Tensor a, Tensor b, Tensor y)
    {
        int rank = a.Rank;
        if (y.DType != a.DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || y.Rank != rank || y.Offset != 0 || !y.IsContiguous) return false;
        for (int d = 0; d < rank - 1; d++)
            if (y.Shape[d] != a.Shape[d]) return false;
        if (y.Shape[rank - 1] != b.Shape[rank - 1] || a.SharesStorage(y) || b.SharesStorage(y)) return false;
        int m = a.Shape[rank - 2], k = a.Shape[rank - 1], n = b.Shape[rank - 1];
        switch (a.DType)
        {
            case DType.Float32: Run<float>(a, b, y, m, k, n); break;
            case DType.Float64: Run<double>(a, b, y, m, k, n); break;
            case DType.Int32: Run<int>(a, b, y, m, k, n); break;
            case DType.Int64: Run<long>(a, b, y, m, k, n); break;
            default: return false;
        }
        return true;
    }

    static void Run<T>(Tensor a, Tensor b, Tensor y, int m, int k, int n) where T : unmanaged, System.Numerics.INumber<T>
    {
        int rank = a.Rank;
        if (m == 0 || n == 0) return;
        var batchShape = a.Shape.Span[..(rank - 2)];
        var loop = new StridedLoop(batchShape, [a.Strides[..(rank - 2)], b.Strides[..(rank - 2)]], [a.Offset, b.Offset]);
        int sa = loop.InnerStride(0), sb = loop.InnerStride(1);
        var (ad, bd, yd) = (a.Data<T>(), b.Data<T>(), y.Data<T>());
        int yOffset = 0;
        loop.ForEachRun((offs, count) =>
        {
            Gemm.Run(ad, new GemmOperand(offs[0], a.Strides[rank - 2], a.Strides[rank - 1], sa),
                bd, new GemmOperand(offs[1], b.Strides[rank - 2], b.Strides[rank - 1], sb),
                yd, new GemmOperand(yOffset, n, 1, m * n), count, m, k, n);
            yOffset += count * m * n;
        });
    }
}
