using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Resizes the spatial dims of [N, C, L] or [N, C, H, W] (torch.nn.functional.interpolate). Give exactly one
    /// of <paramref name="size"/> (the output's spatial sizes; one number is used for every spatial dim) and
    /// <paramref name="scaleFactor"/> (each output size is ⌊input size · factor⌋; one number for all dims).
    /// <see cref="InterpolationMode.Nearest"/> (3-d or 4-d): output i copies input min(⌊i·scale⌋, in - 1).
    /// <see cref="InterpolationMode.Linear"/> (3-d) and <see cref="InterpolationMode.Bilinear"/> (4-d) mix the two
    /// nearest inputs at source position (i + 0.5)·scale - 0.5, clamped at 0 (or i·(in - 1)/(out - 1) with
    /// <paramref name="alignCorners"/>, which then defaults to false; nearest refuses it, as PyTorch). Here scale is
    /// in/out for a <paramref name="size"/> and 1/factor for a <paramref name="scaleFactor"/> (PyTorch's default), or
    /// in/out with <paramref name="recomputeScaleFactor"/>. Floating inputs only; differentiable to any order (a
    /// gather and a weighted sum per dim).
    /// </summary>
    /// <example><code>
    /// var x = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [1, 1, 2, 2]);
    /// F.Interpolate(x, scaleFactor: [2]);                                         // each pixel becomes a 2×2 block
    /// F.Interpolate(x, scaleFactor: [2], mode: InterpolationMode.Bilinear);        // rows 1, 1.25, 1.75, 2 on top
    /// </code></example>
    public static Tensor Interpolate(Tensor input, int[]? size = null, double[]? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest,
        bool? alignCorners = null, bool recomputeScaleFactor = false)
    {
        const string op = "Interpolate";
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (3 or 4))
            throw Errors.Arg(op, $"input must be 3-d [N, C, L] or 4-d [N, C, H, W] (a batch and channels first, as PyTorch), got {Errors.Describe(input)}.");
        var x = FloatInput(op, input);
        int spatial = input.Rank - 2;
        if (!Enum.IsDefined(mode)) throw Errors.Arg(op, $"{(int)mode} is not an InterpolationMode; use Nearest, Linear or Bilinear.");
        if (mode == InterpolationMode.Linear && spatial != 1 || mode == InterpolationMode.Bilinear && spatial != 2)
            throw Errors.Arg(op, $"mode {mode} needs a {(mode == InterpolationMode.Linear ? "3-d [N, C, L]" : "4-d [N, C, H, W]")} input, got {Errors.Describe(input)}.");
        if (mode == InterpolationMode.Nearest && alignCorners is not null)
            throw Errors.Arg(op, "alignCorners only applies to Linear and Bilinear modes; leave it null for Nearest (as PyTorch).");
        if ((size is null) == (scaleFactor is null))
            throw Errors.Arg(op, "give exactly one of size and scaleFactor.");
        if (recomputeScaleFactor && scaleFactor is null)
            throw Errors.Arg(op, "recomputeScaleFactor needs a scaleFactor (with a size the scale is always in/out).");
        var outSizes = new int[spatial];
        var scales = new double[spatial];
        for (int d = 0; d < spatial; d++)
        {
            int inSize = input.Shape[d + 2];
            if (size is not null)
            {
                outSizes[d] = Broadcast(op, "size", size, spatial, d, input);
                scales[d] = (double)inSize / outSizes[d];
            }
            else
            {
                double factor = Broadcast(op, "scaleFactor", scaleFactor!, spatial, d, input);
                if (!(factor > 0) || double.IsInfinity(factor))
                    throw Errors.Arg(op, $"scaleFactor [{string.Join(", ", scaleFactor!)}] must hold positive finite numbers.");
                double outSize = Math.Floor(inSize * factor);
                if (outSize > int.MaxValue) throw Errors.Arg(op, $"scaleFactor {factor} makes dim {d + 2} of {Errors.Describe(input)} too large.");
                outSizes[d] = (int)outSize;
                scales[d] = recomputeScaleFactor ? (double)inSize / outSizes[d] : 1 / factor;
            }
            if (outSizes[d] < 1 || inSize < 1)
                throw Errors.Arg(op, $"input and output sizes must be positive: input {Errors.Describe(input)}, output size {Shape.Format(outSizes)} in dim {d + 2}.");
        }
        var y = x;
        for (int d = 0; d < spatial; d++)
        {
            int dim = d + 2, inSize = x.Shape[dim], outSize = outSizes[d];
            y = mode == InterpolationMode.Nearest
                ? y.IndexSelect(dim, Tensor.FromArray(NearestSources(inSize, outSize, scales[d]), [outSize]).To(x.Device))
                : LinearAlong(y, dim, inSize, outSize, alignCorners ?? false, scales[d]);
        }
        return ReferenceEquals(y, x) ? x.Alias() : y;
    }

    static T Broadcast<T>(string op, string name, T[] values, int spatial, int d, Tensor input) =>
        values.Length == 1 ? values[0] : values.Length == spatial ? values[d]
            : throw Errors.Arg(op, $"{name} must hold 1 or {spatial} number(s) for {Errors.Describe(input)}, got {values.Length}.");

    /// <summary>
    /// PyTorch's nearest source index min(⌊i·scale⌋, in - 1), computed in float32 as its CPU kernel does, so a
    /// product landing just below a whole number picks the same input.
    /// </summary>
    static long[] NearestSources(int inSize, int outSize, double scale)
    {
        var source = new long[outSize];
        float s = (float)scale;
        for (int i = 0; i < outSize; i++)
            source[i] = inSize == outSize ? i : Math.Min((long)MathF.Floor(i * s), inSize - 1);
        return source;
    }

    /// <summary>
    /// Linear interpolation along <paramref name="dim"/>: y[i] = (1 - λ)·x[lo] + λ·x[hi] with PyTorch's source
    /// position (align corners: i·(in - 1)/(out - 1); otherwise (i + 0.5)·scale - 0.5 clamped at 0), lo = ⌊position⌋,
    /// hi = lo + 1 except at the last input, λ = position - lo.
    /// </summary>
    static Tensor LinearAlong(Tensor x, int dim, int inSize, int outSize, bool alignCorners, double scale)
    {
        var lo = new long[outSize];
        var hi = new long[outSize];
        var lambda = new double[outSize];
        double step = alignCorners ? (outSize > 1 ? (double)(inSize - 1) / (outSize - 1) : 0) : scale;
        for (int i = 0; i < outSize; i++)
        {
            double position = alignCorners ? i * step : Math.Max(0, (i + 0.5) * step - 0.5);
            lo[i] = Math.Min((long)position, inSize - 1);
            hi[i] = lo[i] + (lo[i] < inSize - 1 ? 1 : 0);
            lambda[i] = Math.Min(position - lo[i], 1);
        }
        var weightShape = new int[x.Rank - dim];
        Array.Fill(weightShape, 1);
        weightShape[0] = outSize;
        var w1 = Tensor.FromArray(lambda, weightShape).To(x.DType).To(x.Device);
        var w0 = Tensor.FromArray(lambda.Select(l => 1 - l).ToArray(), weightShape).To(x.DType).To(x.Device);
        var device = x.Device;
        return x.IndexSelect(dim, Tensor.FromArray(lo, [outSize]).To(device)) * w0
             + x.IndexSelect(dim, Tensor.FromArray(hi, [outSize]).To(device)) * w1;
    }
}
