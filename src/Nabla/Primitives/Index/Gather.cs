using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Index;

/// <summary>
/// torch.gather: y[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (likewise for other dims); y has the
/// index's shape. Linear in x; the index gets no gradient.
/// y = gather(x, index) ; dy = gather(dx, index) ; gx = scatter_add(zeros, index, gy) (its transpose)
/// </summary>
internal sealed class Gather(int dim, int[] inputShape) : Primitive
{
    public override string Name => "gather";

    public override Tensor Forward(Tensor[] x)
    {
        var values = IndexWalk.Values(x[1]);
        var offsets = IndexWalk.Offsets(x[0], dim, x[1].Shape, values);
        var y = CpuTensor.Empty(x[0].DType, x[1].Shape);
        switch (y.DType)
        {
            case DType.Float32: Run<float>(x[0], offsets, y); break;
            case DType.Float64: Run<double>(x[0], offsets, y); break;
            case DType.Int32: Run<int>(x[0], offsets, y); break;
            case DType.Int64: Run<long>(x[0], offsets, y); break;
            case DType.Bool: Run<bool>(x[0], offsets, y); break;
        }
        return y;
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

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [Tensor.Zeros(inputShape, gy.DType).ScatterAdd(dim, x[1], gy), null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Gather(dim, x[1]);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[1].Shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = x[0][IndexWalk.TargetCoords(x[1], i, dim)];
        return y;
    }
}
