using System.Globalization;

namespace Nabla.NN;

/// <summary>
/// torch.nn.Upsample: resizes [N, C, L] or [N, C, H, W] to <see cref="Size"/> or by <see cref="ScaleFactor"/> with
/// nearest, linear or bilinear interpolation. See <see cref="Functional.Interpolate"/> for the source-index rules.
/// </summary>
/// <example><code>
/// var up = new Upsample(scaleFactor: [2], mode: InterpolationMode.Bilinear);
/// var y = up.Call(images);   // [N, C, 2H, 2W]
/// </code></example>
public sealed class Upsample(int[]? size = null, double[]? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest,
    bool? alignCorners = null, bool recomputeScaleFactor = false) : Module
{
    /// <summary>The output's spatial sizes (one number for all dims), or null when <see cref="ScaleFactor"/> is given.</summary>
    public int[]? Size { get; } = size?.ToArray();

    /// <summary>The factor each spatial size is multiplied by (one number for all dims), or null when <see cref="Size"/> is given.</summary>
    public double[]? ScaleFactor { get; } = scaleFactor?.ToArray();

    /// <summary>Nearest, Linear or Bilinear.</summary>
    public InterpolationMode Mode { get; } = mode;

    /// <summary>Whether the corner samples of input and output line up (Linear and Bilinear only; null for the default).</summary>
    public bool? AlignCorners { get; } = alignCorners;

    /// <summary>Whether a scale factor's interpolation scale is recomputed as in/out.</summary>
    public bool RecomputeScaleFactor { get; } = recomputeScaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Interpolate(x, Size, ScaleFactor, Mode, AlignCorners, RecomputeScaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr
    {
        get
        {
            var what = Size is not null ? $"size={Format(Size.Select(s => s.ToString(CultureInfo.InvariantCulture)))}"
                : $"scale_factor={Format(ScaleFactor!.Select(f => f.ToString("0.0###", CultureInfo.InvariantCulture)))}";
            var corners = AlignCorners is bool a ? $", align_corners={(a ? "True" : "False")}" : "";
            return $"{what}, mode='{Mode.ToString().ToLowerInvariant()}'{corners}";
        }
    }

    static string Format(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 1 ? list[0] : $"({string.Join(", ", list)})";
    }
}
