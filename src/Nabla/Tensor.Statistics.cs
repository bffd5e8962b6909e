using Nabla.Engine;
using Nabla.Primitives.Reduce;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Sum over several dims at once (torch.sum(x, dim=(0, 2), keepdim)): <c>x.Sum([0, 2])</c>. Negative dims count
    /// from the end; an empty list sums everything (as PyTorch); a dim named twice is an error.
    /// </summary>
    public Tensor Sum(int[] dims, bool keepDim = false) => SumAxes(Dims("Sum", dims), keepDim);

    /// <summary>Mean over several dims at once (see <see cref="Sum(int[], bool)"/> for the dims); floating tensors only.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        var x = FloatForMean("Mean");
        var axes = Dims("Mean", dims);
        return x.SumAxes(axes, keepDim) / x.CountAlong(axes, DType);
    }

    /// <summary>The largest value over several dims at once (torch.amax(dim=...)); ties share the gradient evenly; NaN wins.</summary>
    public Tensor Max(int[] dims, bool keepDim = false) => AMax(dims, keepDim);

    /// <summary>The smallest value over several dims at once (torch.amin(dim=...)); the counterpart of <see cref="Max(int[], bool)"/>.</summary>
    public Tensor Min(int[] dims, bool keepDim = false) => AMin(dims, keepDim);

    /// <summary>
    /// The largest value over <paramref name="dims"/> (all when empty), as torch.amax: values only, the gradient shared
    /// evenly by equal maxima, NaN wins. An empty reduced dim is an error (there is no value).
    /// </summary>
    public Tensor AMax(int[] dims, bool keepDim = false) => ExtremumOver("AMax", dims, keepDim, isMin: false);

    /// <summary>The largest value along <paramref name="dim"/> (torch.amax); the same as <see cref="Max(int, bool)"/>.</summary>
    public Tensor AMax(int dim, bool keepDim = false) => ExtremumOver("AMax", [dim], keepDim, isMin: false);

    /// <summary>The smallest value over <paramref name="dims"/> (all when empty), as torch.amin; see <see cref="AMax(int[], bool)"/>.</summary>
    public Tensor AMin(int[] dims, bool keepDim = false) => ExtremumOver("AMin", dims, keepDim, isMin: true);

    /// <summary>The smallest value along <paramref name="dim"/> (torch.amin); the same as <see cref="Min(int, bool)"/>.</summary>
    public Tensor AMin(int dim, bool keepDim = false) => ExtremumOver("AMin", [dim], keepDim, isMin: true);

    Tensor ExtremumOver(string op, int[] dims, bool keepDim, bool isMin)
    {
        var axes = Dims(op, dims);
        foreach (var a in axes)
            if (Shape[a] == 0) throw Errors.Arg(op, $"cannot reduce the empty dimension {a} of shape {Shape}: the result has no value.");
        if (Rank == 0) return Alias();
        if (DType == DType.Bool) return To(DType.Int32).ExtremumOver(op, dims, keepDim, isMin).To(DType.Bool);
        var y = Dispatch.Call(new Max(axes, Shape.ToArray(), isMin), this);
        return keepDim ? y : y.Reshape(Dropped(axes));
    }

    /// <summary>log Σ exp(x) over several dims at once, computed stably (see <see cref="LogSumExp(int, bool)"/>).</summary>
    public Tensor LogSumExp(int[] dims, bool keepDim = false)
    {
        var axes = Dims("LogSumExp", dims);
        var x = DType.IsFloating() ? this : To(DType.Float32);
        if (x.Rank == 0) return x.Alias();
        var m = x.Detach().AMax(axes, keepDim: true);
        // A max of ±Inf would give Inf - Inf = NaN in the shift: shift by 0 there (the sum is then ±Inf or 0 as it should).
        m = Where(m.Abs().Eq(double.PositiveInfinity), ZerosLike(m), m);
        var y = m + (x - m).Exp().SumAxes(axes, keepDim: true).Log();
        return keepDim ? y : y.Reshape(Dropped(axes));
    }

    /// <summary>
    /// The variance over <paramref name="dims"/> (all when null or empty), as torch.var: Σ (x - mean)² / max(0, N - correction),
    /// with N the count of reduced elements; <paramref name="correction"/> 1 (the default) is Bessel's unbiased estimate,
    /// 0 the population variance. Computed in two passes (the mean first), so large offsets do not cancel. N ≤ correction
    /// gives NaN or +Inf, as PyTorch. Floating tensors only. Differentiable to any order.
    /// </summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false) => Moments("Var", dims, correction, keepDim).Var;

    /// <summary>The variance along <paramref name="dim"/> (see <see cref="Var(int[], int, bool)"/>).</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>
    /// The standard deviation over <paramref name="dims"/>: √<see cref="Var(int[], int, bool)"/>, as torch.std. NB: its
    /// gradient where every reduced element is equal is NaN (0/0), as PyTorch's.
    /// </summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>The standard deviation along <paramref name="dim"/> (see <see cref="Std(int[], int, bool)"/>).</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => Std([dim], correction, keepDim);

    /// <summary>The variance and the mean over <paramref name="dims"/> in one go, as torch.var_mean (the variance first).</summary>
    public (Tensor Var, Tensor Mean) VarMean(int[]? dims = null, int correction = 1, bool keepDim = false) => Moments("VarMean", dims, correction, keepDim);

    /// <summary>The variance and the mean along <paramref name="dim"/> (see <see cref="VarMean(int[], int, bool)"/>).</summary>
    public (Tensor Var, Tensor Mean) VarMean(int dim, int correction = 1, bool keepDim = false) => VarMean([dim], correction, keepDim);

    /// <summary>The standard deviation and the mean over <paramref name="dims"/>, as torch.std_mean.</summary>
    public (Tensor Std, Tensor Mean) StdMean(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        var (v, m) = Moments("StdMean", dims, correction, keepDim);
        return (v.Sqrt(), m);
    }

    (Tensor Var, Tensor Mean) Moments(string op, int[]? dims, int correction, bool keepDim)
    {
        if (!DType.IsFloating())
            throw Errors.Arg(op, $"needs a floating-point tensor, not {Errors.Describe(this)} (as PyTorch); convert it with To(DType.Float32) first.");
        if (correction < 0) throw Errors.Arg(op, $"correction must be 0 or more, not {correction} (1: unbiased, 0: population).");
        var axes = Dims(op, dims ?? []);
        var count = CountAlong(axes.Length == 0 ? [] : axes, DType);
        var mean = SumAxes(axes, keepDim: true) / count;
        var deviation = this - mean;
        var divisor = (count - correction).Maximum(ZerosLike(count));
        var variance = (deviation * deviation).SumAxes(axes, keepDim: true) / divisor;
        return keepDim ? (variance, mean) : (variance.Reshape(Dropped(axes)), mean.Reshape(Dropped(axes)));
    }

    /// <summary>
    /// The running sum along <paramref name="dim"/> (torch.cumsum): element i is the sum of elements 0..i. Integer and
    /// bool tensors sum in int64 (as PyTorch); float32 accumulates in double. The gradient is the reverse running sum.
    /// </summary>
    public Tensor CumSum(int dim)
    {
        int d = NormalizeDim("CumSum", dim);
        var x = DType.IsFloating() || DType == DType.Int64 ? this : To(DType.Int64);
        return x.Rank == 0 ? x.Alias() : Dispatch.Call(new CumSum(d), x);
    }

    /// <summary>
    /// The running product along <paramref name="dim"/> (torch.cumprod). Integers and bools multiply in int64. The
    /// gradient is exact with zeros in the input (never y/x where x is 0), to any order.
    /// </summary>
    public Tensor CumProd(int dim)
    {
        int d = NormalizeDim("CumProd", dim);
        var x = DType.IsFloating() || DType == DType.Int64 ? this : To(DType.Int64);
        return x.Rank == 0 ? x.Alias() : Dispatch.Call(new CumProd(d), x);
    }

    /// <summary>
    /// log Σ_{j ≤ i} exp(x_j) along <paramref name="dim"/> (torch.logcumsumexp), as a running log-add-exp: large values
    /// do not overflow and small ones far below the largest still count. Integers are promoted to float32. -Inf
    /// elements add nothing; +Inf gives +Inf from there on; NaN propagates.
    /// </summary>
    public Tensor LogCumSumExp(int dim)
    {
        int d = NormalizeDim("LogCumSumExp", dim);
        var x = DType.IsFloating() ? this : To(DType.Float32);
        return x.Rank == 0 ? x.Alias() : Dispatch.Call(new LogCumSumExp(d), x);
    }

    /// <summary>
    /// <paramref name="dims"/> normalized (negative from the end) and sorted; every dim when empty. A dim out of range
    /// or named twice is an error naming <paramref name="op"/>.
    /// </summary>
    int[] Dims(string op, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0) return AllAxes();
        var axes = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) axes[i] = NormalizeDim(op, dims[i]);
        Array.Sort(axes);
        for (int i = 1; i < axes.Length; i++)
            if (axes[i] == axes[i - 1])
                throw Errors.Arg(op, $"dim {axes[i]} appears more than once in dims [{string.Join(", ", dims)}] (shape {Shape}); name each dim once.");
        return Rank == 0 ? [] : axes;
    }

    /// <summary>The shape without <paramref name="axes"/> (sorted).</summary>
    int[] Dropped(int[] axes) => [.. Shape.ToArray().Where((_, d) => Array.BinarySearch(axes, d) < 0)];
}
