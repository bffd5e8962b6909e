using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// Sum over <c>axes</c>; they stay as size 1 with <c>keepDim</c>, else they are dropped (a view of
/// the kept-dims result, so the graph shows one SumBackward node, as PyTorch's).
/// y = sum(x) ; dy = sum(dx) ; gx = expand(gy, input shape)  (Expand's transpose)
/// </summary>
internal sealed class Sum(int[] axes, int[] inputShape, bool keepDim = true) : Primitive
{
    public override string Name => "sum";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var kept = Reduce(x[0]);
        if (keepDim) return kept;
        var shape = OutputShape();
        return kept.View(new Shape(shape), Shape.ContiguousStrides(shape), kept.Offset);
    }

    int[] OutputShape() => inputShape.Where((_, d) => !axes.Contains(d)).ToArray();

    int[] KeptShape()
    {
        var shape = (int[])inputShape.Clone();
        foreach (var a in axes) shape[a] = 1;
        return shape;
    }

    Tensor Reduce(Tensor x) => x.DType switch
    {
        DType.Float32 => ReduceDriver.Run<float, ReduceOps.Sum<float>>(x, axes),
        DType.Float64 => ReduceDriver.Run<double, ReduceOps.Sum<double>>(x, axes),
        DType.Int32 => ReduceDriver.Run<int, ReduceOps.Sum<int>>(x, axes),
        DType.Int64 => ReduceDriver.Run<long, ReduceOps.Sum<long>>(x, axes),
        _ => throw new NotSupportedException($"sum: no kernel for {x.DType.TorchName()}"),
    };

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [(keepDim ? gy : gy.Reshape(KeptShape())).Expand(inputShape)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : Engine.Dispatch.Call(new Sum(axes, inputShape, keepDim), dx[0]!);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(KeptShape());
        for (int i = 0; i < x[0].Count; i++)
        {
            var idx = x[0].Unravel(i);
            foreach (var a in axes) idx[a] = 0;
            y.Data[y.Ravel(idx)] += x[0].Data[i];
        }
        return keepDim ? y : new RefArray(y.Data, OutputShape());
    }
}
