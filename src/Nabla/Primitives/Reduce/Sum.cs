using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// Sum over <c>axes</c>; they stay as size 1 with <c>keepDim</c>, else they are dropped (a view of
/// the kept-dims result, so the graph shows one SumBackward node, as PyTorch's).
/// y = sum(x) ; dy = sum(dx) ; gx = expand(gy, input shape)  (Expand's transpose)
/// </summary>
internal sealed class Sum(int[] axes, int[] inputShape, bool keepDim = true) : Primitive
{
    /// <summary>The summed tensor's shape.</summary>
    public int[] InputShape => inputShape;

    public override string Name => "sum";
    public override bool MayFailInReplay => false;   // a reduction: total on every value

    public override bool SavesInputs => false;

    /// <summary>The summed axes.</summary>
    public int[] Axes => axes;

    /// <summary>Whether the summed axes stay as size 1 (else the output drops them).</summary>
    public bool KeepDim => keepDim;

    /// <summary>The input's shape without the summed axes (the output's when <see cref="KeepDim"/> is false).</summary>
    public int[] OutputShape() => inputShape.Where((_, d) => !axes.Contains(d)).ToArray();

    int[] KeptShape()
    {
        var shape = (int[])inputShape.Clone();
        foreach (var a in axes) shape[a] = 1;
        return shape;
    }

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
