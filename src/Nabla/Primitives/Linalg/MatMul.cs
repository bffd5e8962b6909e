using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// Batched matrix product on [..., m, k] · [..., k, n] with equal batch dims (the front end
/// broadcasts batch dims with Expand and handles 1-D operands, as torch.matmul).
/// y = a·b ; dy = da·b + a·db ; ga = gy·bᵀ, gb = aᵀ·gy  (bilinear)
/// </summary>
internal sealed class MatMul : Primitive
{
    public override string Name => "matmul";
    public override string GradName => "MmBackward";

    public override Tensor Forward(Tensor[] x)
    {
        var a = CopyKernel.AsContiguous(x[0]);
        var b = CopyKernel.AsContiguous(x[1]);
        int rank = a.Rank;
        int m = a.Shape[rank - 2], k = a.Shape[rank - 1], n = b.Shape[rank - 1];
        var outShape = a.Shape.ToArray();
        outShape[rank - 1] = n;
        var y = Tensor.Empty(a.DType, new Shape(outShape));
        int batch = m * n == 0 ? 0 : y.NumElements / (m * n);
        switch (a.DType)
        {
            case DType.Float32: Gemm.Run(a.Data<float>(), a.Offset, b.Data<float>(), b.Offset, y.Data<float>(), batch, m, k, n); break;
            case DType.Float64: Gemm.Run(a.Data<double>(), a.Offset, b.Data<double>(), b.Offset, y.Data<double>(), batch, m, k, n); break;
            case DType.Int32: Gemm.Run(a.Data<int>(), a.Offset, b.Data<int>(), b.Offset, y.Data<int>(), batch, m, k, n); break;
            case DType.Int64: Gemm.Run(a.Data<long>(), a.Offset, b.Data<long>(), b.Offset, y.Data<long>(), batch, m, k, n); break;
            default: throw new NotSupportedException($"matmul: no kernel for {a.DType.TorchName()}");
        }
        return y;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y) => [gy.MatMul(x[1].T), x[0].T.MatMul(gy)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        SumTangents(dx[0]?.MatMul(x[1]), dx[1] is null ? null : x[0].MatMul(dx[1]!));

    public override RefArray Reference(RefArray[] x)
    {
        var a = x[0];
        var b = x[1];
        int rank = a.Shape.Length;
        int m = a.Shape[rank - 2], k = a.Shape[rank - 1], n = b.Shape[rank - 1];
        var outShape = (int[])a.Shape.Clone();
        outShape[rank - 1] = n;
        var y = RefArray.Zeros(outShape);
        int batch = m * n == 0 ? 0 : y.Count / (m * n);
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a.Data[bi * m * k + i * k + p] * b.Data[bi * k * n + p * n + j];
                    y.Data[bi * m * n + i * n + j] = s;
                }
        return y;
    }
}
