using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// torch.nn.functional.pad with a mode: <paramref name="padding"/> holds (before, after) pairs starting from the LAST
    /// dim, as <see cref="Pad(int[])"/>. <see cref="PadMode.Constant"/> fills with <paramref name="value"/> (cast to this
    /// dtype), pads any number of dims, and a negative amount crops. <see cref="PadMode.Reflect"/>,
    /// <see cref="PadMode.Replicate"/> and <see cref="PadMode.Circular"/> pad the last 1, 2 or 3 dims of a tensor with one
    /// or two dims more (PyTorch's (C, W) / (N, C, W) for 1 dim, and so on): reflect needs each amount below the dim's
    /// size, circular at most the size (negative amounts crop), replicate a non-empty dim; reflect and replicate refuse
    /// negative amounts. Gradients sum back into the elements each border copies.
    /// </summary>
    /// <example><code>
    /// var x = Tensor.FromArray(new[] { 1f, 2, 3 }, [1, 3]);
    /// x.Pad([2, 1], PadMode.Reflect);     // [[3, 2, 1, 2, 3, 2]]
    /// x.Pad([2, 1], PadMode.Replicate);   // [[1, 1, 1, 2, 3, 3]]
    /// x.Pad([2, 1], PadMode.Circular);    // [[2, 3, 1, 2, 3, 1]]
    /// x.Pad([1, 1], PadMode.Constant, 9); // [[9, 1, 2, 3, 9]]
    /// </code></example>
    public Tensor Pad(int[] padding, PadMode mode = PadMode.Constant, double value = 0)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (padding.Length % 2 != 0 || padding.Length / 2 > Rank)
            throw Errors.Arg("Pad", $"padding {Shape.Format(padding)} must hold (before, after) pairs for at most {Rank} dims (shape {Shape}).");
        if (mode == PadMode.Constant) return PadConstant(padding, value);
        if (mode is not (PadMode.Reflect or PadMode.Replicate or PadMode.Circular))
            throw Errors.Arg("Pad", $"unknown mode {mode}; use Constant, Reflect, Replicate or Circular.");
        int dims = padding.Length / 2;
        if (dims is < 1 or > 3 || Rank != dims + 1 && Rank != dims + 2)
            throw Errors.Arg("Pad", $"{mode} padding {Shape.Format(padding)} pads {dims} dim(s), which needs a tensor of {dims + 1} or {dims + 2} dims " +
                $"(as PyTorch: padding of 2, 4 or 6 numbers), got {Errors.Describe(this)}.");
        var y = this;
        for (int i = 0; i < dims; i++)
        {
            int dim = Rank - 1 - i, size = Shape[dim], before = padding[2 * i], after = padding[2 * i + 1];
            CheckPadAmount(mode, padding, dim, size, before, after);
            if (before == 0 && after == 0) continue;
            var source = new long[size + before + after];
            for (int j = 0; j < source.Length; j++) source[j] = PadSource(mode, j - before, size);
            y = y.IndexSelect(dim, FromArray(source, [source.Length]).To(Device));
        }
        return ReferenceEquals(y, this) ? Alias() : y;
    }

    void CheckPadAmount(PadMode mode, int[] padding, int dim, int size, int before, int after)
    {
        if (mode != PadMode.Circular && (before < 0 || after < 0))
            throw Errors.Arg("Pad", $"{mode} padding {Shape.Format(padding)} has a negative amount; only Constant and Circular crop.");
        if (mode == PadMode.Reflect && (before >= size || after >= size))
            throw Errors.Arg("Pad", $"Reflect padding ({before}, {after}) of dim {dim} must be less than its size {size} (shape {Shape}).");
        if (mode == PadMode.Circular && (before > size || after > size))
            throw Errors.Arg("Pad", $"Circular padding ({before}, {after}) of dim {dim} must be at most its size {size} (shape {Shape}).");
        if (mode == PadMode.Replicate && size == 0 && (before > 0 || after > 0))
            throw Errors.Arg("Pad", $"Replicate padding of dim {dim} needs a non-empty dim (shape {Shape}).");
        if ((long)size + before + after < 0)
            throw Errors.Arg("Pad", $"padding ({before}, {after}) crops more than dim {dim} holds ({size}, shape {Shape}).");
    }

    /// <summary>Which element of a dim of <paramref name="size"/> the padded position <paramref name="j"/> (0 = the old first) copies.</summary>
    static long PadSource(PadMode mode, int j, int size) => mode switch
    {
        PadMode.Reflect => j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j,
        PadMode.Replicate => Math.Clamp(j, 0, size - 1),
        _ => ((j % size) + size) % size,
    };

    Tensor PadConstant(int[] padding, double value)
    {
        // Negative amounts crop first (a view); the rest is the zero Pad, and a nonzero value fills the new border.
        var x = this;
        var grow = new int[padding.Length];
        for (int i = 0; i < padding.Length / 2; i++)
        {
            int dim = Rank - 1 - i, before = padding[2 * i], after = padding[2 * i + 1];
            int cropBefore = Math.Max(0, -before), cropAfter = Math.Max(0, -after);
            if (cropBefore + cropAfter > x.Shape[dim])
                throw Errors.Arg("Pad", $"padding ({before}, {after}) crops more than dim {dim} holds ({x.Shape[dim]}, shape {Shape}).");
            if (cropBefore + cropAfter > 0) x = x.Narrow(dim, cropBefore, x.Shape[dim] - cropBefore - cropAfter);
            (grow[2 * i], grow[2 * i + 1]) = (Math.Max(0, before), Math.Max(0, after));
        }
        var padded = x.Pad(grow);
        if (value == 0 || padded.NumElements == x.NumElements) return ReferenceEquals(padded, this) ? Alias() : padded;
        var inside = Ones(x.Shape.ToArray(), DType.Float32, device: Device).Pad(grow) > 0.5;
        return Where(inside, padded, Full([], value, DType, device: Device));
    }
}
