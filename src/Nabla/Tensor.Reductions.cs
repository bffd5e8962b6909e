using Nabla.Engine;
using Nabla.Primitives.Reduce;

namespace Nabla;

public partial class Tensor
{
    /// <summary>Sum of all elements (a 0-d tensor). Integer and bool tensors sum to int64, as in PyTorch.</summary>
    public Tensor Sum() => Rank == 0 ? Alias() : SumKeepAxes(AllAxes()).Reshape([]);

    /// <summary>Sum over <paramref name="dim"/>; with <paramref name="keepDim"/> the dim stays as size 1.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = NormalizeDim("Sum", dim);
        var y = SumKeepAxes([d]);
        return keepDim ? y : y.Squeeze(d);
    }

    /// <summary>Mean of all elements (floating result).</summary>
    public Tensor Mean() => FloatForMean("Mean").Sum() / Math.Max(NumElements, 0);

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        int d = NormalizeDim("Mean", dim);
        return FloatForMean("Mean").Sum(d, keepDim) / (double)(Rank == 0 ? 1 : Shape[d]);
    }

    Tensor FloatForMean(string op) => DType.IsFloating() ? this : throw Errors.Arg(op,
        $"mean needs a floating tensor, got {DType.TorchName()}; convert with To(DType.Float32) first.");

    internal Tensor SumKeepAxes(int[] axes)
    {
        var x = DType is DType.Bool or DType.Int32 ? To(DType.Int64) : this;
        if (axes.Length == 0) return x.Alias();
        return Dispatch.Call(new Sum(axes, x.Shape.ToArray()), x);
    }

    internal int[] AllAxes()
    {
        var axes = new int[Rank];
        for (int i = 0; i < Rank; i++) axes[i] = i;
        return axes;
    }
}
