using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// This tensor with <paramref name="value"/> where the bool <paramref name="mask"/> is true (torch.masked_fill); the mask
    /// broadcasts to this tensor's shape. The gradient flows to the elements kept.
    /// </summary>
    public Tensor MaskedFill(Tensor mask, double value) => MaskedFill(mask, Full([], value, DType, device: Device));

    /// <summary>This tensor with the 0-d tensor <paramref name="value"/> where <paramref name="mask"/> is true; the gradient also reaches <paramref name="value"/>.</summary>
    public Tensor MaskedFill(Tensor mask, Tensor value)
    {
        CheckMask("MaskedFill", mask);
        if (value.Rank != 0) throw Errors.Arg("MaskedFill", $"value must be a 0-d tensor, got {Errors.Describe(value)}; use Tensor.Where to fill from a tensor of values.");
        return Where(mask, value.To(DType), this);
    }

    /// <summary>
    /// The elements where the bool <paramref name="mask"/> is true, in row-major order, as a 1-D tensor (torch.masked_select);
    /// the mask and this tensor broadcast together. The mask is read on the host (a compiled function guards it, as
    /// the result's length depends on it). The gradient flows back to the selected elements.
    /// </summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        RequireBoolMask("MaskedSelect", mask);
        var shape = BroadcastShapes("MaskedSelect", Shape, mask.Shape);
        var flags = mask.BroadcastTo(shape).Reshape(-1).ToArray<bool>();
        var index = new List<long>();
        for (int i = 0; i < flags.Length; i++) if (flags[i]) index.Add(i);
        return BroadcastTo(shape).Reshape(-1).IndexSelect(0, FromArray(index.ToArray(), [index.Count]).To(Device));
    }

    /// <summary>
    /// Elements of the flattened tensor at <paramref name="index"/> (int64), in the shape of the index (torch.take). The
    /// gradient adds into the elements taken (twice for an index named twice).
    /// </summary>
    public Tensor Take(Tensor index) => Reshape(-1).IndexSelect(0, index.Reshape(-1)).Reshape(index.Shape.ToArray());

    static void RequireBoolMask(string op, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.DType != DType.Bool) throw Errors.Arg(op, $"mask must be a bool tensor, got {Errors.Describe(mask)}; build one with a comparison (x > 0).");
    }

    void CheckMask(string op, Tensor mask)
    {
        RequireBoolMask(op, mask);
        var shape = BroadcastShapes(op, Shape, mask.Shape);
        if (!shape.AsSpan().SequenceEqual(Shape.Span))
            throw Errors.Arg(op, $"the mask {Errors.Describe(mask)} would make the result larger than this tensor ({Errors.Describe(this)}); it must broadcast to this tensor's shape.");
    }

    /// <summary>
    /// <paramref name="steps"/> values evenly spaced from <paramref name="start"/> to <paramref name="end"/>, both included
    /// (torch.linspace; float32 unless <paramref name="dtype"/> says otherwise). Computed in double from whichever end is
    /// nearer, so both ends are exact.
    /// </summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null)
    {
        if (steps < 0) throw Errors.Arg("Tensor.Linspace", $"steps must be >= 0, not {steps}.");
        if (!double.IsFinite(start) || !double.IsFinite(end)) throw Errors.Arg("Tensor.Linspace", $"start {start} and end {end} must be finite.");
        var values = new double[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) values[i] = i < steps / 2 ? start + step * i : end - step * (steps - 1 - i);
        return FromArray(values, [steps]).To(dtype).To(device ?? Device.Cpu);
    }

    /// <summary><paramref name="steps"/> values from base^start to base^end, evenly spaced in the exponent (torch.logspace).</summary>
    public static Tensor Logspace(double start, double end, int steps, double @base = 10, DType dtype = DType.Float32, Device? device = null)
    {
        var exponents = Linspace(start, end, steps, DType.Float64).ToArray<double>();
        return FromArray(exponents.Select(e => Math.Pow(@base, e)).ToArray(), [steps]).To(dtype).To(device ?? Device.Cpu);
    }

    /// <summary><paramref name="value"/> everywhere, with the shape, dtype and device of <paramref name="like"/> (torch.full_like).</summary>
    public static Tensor FullLike(Tensor like, double value) => Full(like.Shape.ToArray(), value, like.DType, device: like.Device);

    /// <summary>The n×m matrix with ones on the main diagonal (torch.eye(n, m)).</summary>
    public static Tensor Eye(int n, int m, DType dtype = DType.Float32, Device? device = null)
    {
        if (n < 0 || m < 0) throw Errors.Arg("Tensor.Eye", $"n and m must be non-negative, got {n} and {m}.");
        return Arange(n, device: device).Unsqueeze(1).Eq(Arange(m, device: device)).To(dtype);
    }

    /// <summary>
    /// Coordinate grids from 1-D tensors (torch.meshgrid): with <paramref name="indexing"/> "ij" output k has shape
    /// [n0, n1, ...] and varies along dim k; with "xy" (NumPy's default, for plotting) the first two dims are swapped.
    /// Each output is an expanded view. Differentiable.
    /// </summary>
    public static Tensor[] Meshgrid(IReadOnlyList<Tensor> tensors, string indexing = "ij")
    {
        if (indexing is not ("ij" or "xy")) throw Errors.Arg("Tensor.Meshgrid", $"indexing must be \"ij\" or \"xy\", not \"{indexing}\".");
        foreach (var t in tensors)
            if (t.Rank > 1) throw Errors.Arg("Tensor.Meshgrid", $"every input must be 0-d or 1-D, got {Errors.Describe(t)}.");
        var vectors = tensors.Select(t => t.Reshape(-1)).ToArray();
        bool swap = indexing == "xy" && vectors.Length >= 2;
        var order = Enumerable.Range(0, vectors.Length).ToArray();
        if (swap) (order[0], order[1]) = (order[1], order[0]);
        var shape = order.Select(k => vectors[k].Shape[0]).ToArray();
        var grids = new Tensor[vectors.Length];
        for (int k = 0; k < vectors.Length; k++)
        {
            int at = Array.IndexOf(order, k);
            var view = Enumerable.Repeat(1, vectors.Length).ToArray();
            view[at] = vectors[k].Shape[0];
            grids[k] = vectors[k].Reshape(view).Expand(shape);
        }
        return grids;
    }
}
