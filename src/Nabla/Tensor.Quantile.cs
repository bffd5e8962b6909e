using Nabla.Engine;

namespace Nabla;

/// <summary>How <see cref="Tensor.Quantile(double, int?, bool, QuantileInterpolation)"/> picks between the two order statistics around a quantile's position (torch.quantile's interpolation).</summary>
public enum QuantileInterpolation
{
    /// <summary>lower + (higher - lower)·fraction (the default).</summary>
    Linear,
    /// <summary>The lower of the two.</summary>
    Lower,
    /// <summary>The higher of the two.</summary>
    Higher,
    /// <summary>The nearer of the two (a position halfway rounds to the even index).</summary>
    Nearest,
    /// <summary>Their mean.</summary>
    Midpoint,
}

public partial class Tensor
{
    /// <summary>
    /// The <paramref name="q"/>-quantile along <paramref name="dim"/> (of all elements when null), as torch.quantile: the
    /// sorted values' position q·(n - 1), interpolated by <paramref name="interpolation"/>. A line holding NaN gives NaN.
    /// q must lie in [0, 1]. Floating tensors only. The gradient flows to the one or two values used.
    /// </summary>
    public Tensor Quantile(double q, int? dim = null, bool keepDim = false, QuantileInterpolation interpolation = QuantileInterpolation.Linear) =>
        Quantiles([q], dim, keepDim, interpolation, single: true);

    /// <summary>Several quantiles at once: the result has one leading dim of <paramref name="q"/>.Length (torch.quantile with a 1-D q).</summary>
    public Tensor Quantile(double[] q, int? dim = null, bool keepDim = false, QuantileInterpolation interpolation = QuantileInterpolation.Linear) =>
        Quantiles(q, dim, keepDim, interpolation, single: false);

    Tensor Quantiles(double[] qs, int? dim, bool keepDim, QuantileInterpolation interpolation, bool single)
    {
        ArgumentNullException.ThrowIfNull(qs);
        if (!DType.IsFloating()) throw Errors.Arg("Quantile", $"needs a floating-point tensor, not {Errors.Describe(this)} (as PyTorch).");
        foreach (var q in qs)
            if (!(q >= 0 && q <= 1)) throw Errors.Arg("Quantile", $"q = {q} is outside [0, 1].");
        if (!Enum.IsDefined(interpolation)) throw Errors.Arg("Quantile", $"{(int)interpolation} is not a QuantileInterpolation.");
        var x = dim is null ? Reshape(-1) : this;
        int d = dim is null ? 0 : NormalizeDim("Quantile", dim.Value);
        if (x.Rank == 0) x = x.Reshape(1);
        int n = x.Shape[d];
        if (n == 0) throw Errors.Arg("Quantile", $"cannot take a quantile of the empty dim {d} (shape {Shape}).");
        var sorted = x.Sort(d).Values;
        var hasNaN = x.Ne(x).To(DType.Int32).AMax(d, keepDim: true).Gt(0L);
        var results = new Tensor[qs.Length];
        for (int i = 0; i < qs.Length; i++)
        {
            double position = qs[i] * (n - 1);
            int lo = (int)Math.Floor(position), hi = (int)Math.Ceiling(position);
            double fraction = position - lo;
            Tensor At(int k) => sorted.Narrow(d, k, 1);
            var value = interpolation switch
            {
                QuantileInterpolation.Lower => At(lo),
                QuantileInterpolation.Higher => At(hi),
                QuantileInterpolation.Nearest => At((int)Math.Round(position, MidpointRounding.ToEven)),
                QuantileInterpolation.Midpoint => lo == hi ? At(lo) : (At(lo) + At(hi)) * 0.5,
                _ => lo == hi ? At(lo) : Lerp(At(lo), At(hi), fraction),
            };
            value = Where(hasNaN, Full([], double.NaN, DType, device: Device), value);
            results[i] = dim is null ? (keepDim ? value.Reshape([.. Enumerable.Repeat(1, Math.Max(Rank, 0))]) : value.Reshape([])) : keepDim ? value : value.Squeeze(d);
        }
        return single ? results[0] : Stack(results, 0);
    }

    /// <summary>torch.lerp's formula: start + w·(end - start) for w &lt; 0.5, else end - (end - start)·(1 - w).</summary>
    static Tensor Lerp(Tensor start, Tensor end, double w) => w < 0.5 ? start + (end - start) * w : end - (end - start) * (1 - w);
}
