using System.Numerics.Tensors;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// Sum over <c>axes</c>, keeping them as size 1 (the front end squeezes for keepDim: false).
/// y = sum(x) ; dy = sum(dx) ; gx = expand(gy, input shape)  (Expand's transpose)
/// </summary>
internal sealed class Sum(int[] axes, int[] inputShape) : Primitive
{
    public override string Name => "sum";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x) => x[0].DType switch
    {
        DType.Float32 => ReduceDriver.Run<float>(x[0], axes, r => TensorPrimitives.Sum(r)),
        DType.Float64 => ReduceDriver.Run<double>(x[0], axes, r => TensorPrimitives.Sum(r)),
        DType.Int32 => ReduceDriver.Run<int>(x[0], axes, r => TensorPrimitives.Sum(r)),
        DType.Int64 => ReduceDriver.Run<long>(x[0], axes, r => TensorPrimitives.Sum(r)),
        _ => throw new NotSupportedException($"sum: no kernel for {x[0].DType.TorchName()}"),
    };

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y) => [gy.Expand(inputShape)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.SumKeepAxes(axes);

    public override RefArray Reference(RefArray[] x)
    {
        var outShape = (int[])inputShape.Clone();
        foreach (var a in axes) outShape[a] = 1;
        var y = RefArray.Zeros(outShape);
        for (int i = 0; i < x[0].Count; i++)
        {
            var idx = x[0].Unravel(i);
            foreach (var a in axes) idx[a] = 0;
            y.Data[y.Ravel(idx)] += x[0].Data[i];
        }
        return y;
    }
}
