using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Same elements in row-major order, other sizes: a view whenever the input's strides allow one
/// (always for contiguous inputs; also e.g. when squeezing or unsqueezing a strided slice), else a
/// copy, as torch.reshape (<see cref="TryView"/> is the view; when it gives none, the backend's kernel
/// makes the input contiguous and views that). A call with equal shapes is <c>Contiguous()</c> and always
/// gives contiguous data, so it never takes the strided view.
/// y = reshape(x) ; dy = reshape(dx) ; gx = reshape(gy, input shape)
/// </summary>
internal sealed class Reshape(int[] inputShape, int[] outputShape) : Primitive
{
    /// <summary>The shape before.</summary>
    public int[] InputShape => inputShape;

    public override string Name => "reshape";
    public override bool MayFailInReplay => false;   // moves values by shape alone

    public override string GradName => "ViewBackward";
    public override bool SavesInputs => false;

    /// <summary>The shape of the result.</summary>
    public int[] OutputShape => outputShape;

    public override Tensor? TryView(Tensor[] x)
    {
        var input = x[0];
        // Equal shapes is Contiguous(): the kernel runs, so a strided input is copied.
        if (!inputShape.AsSpan().SequenceEqual(outputShape) && ViewStrides(input) is { } strides)
            return input.View(new Shape(outputShape), strides, input.Offset);
        return null;
    }

    /// <summary>
    /// Strides that read the input's elements in row-major order under the new shape, or null when
    /// no such strides exist (PyTorch's computeStride): each run of input dims that is contiguous
    /// in memory ("chunk") must be split or merged into whole output dims.
    /// </summary>
    int[]? ViewStrides(Tensor x)
    {
        if (x.IsContiguous || x.NumElements == 0 || x.Rank == 0) return Shape.ContiguousStrides(outputShape);
        var strides = new int[outputShape.Length];
        int viewD = outputShape.Length - 1;
        long chunkBase = x.Strides[^1], tensorNumel = 1, viewNumel = 1;
        for (int d = x.Rank - 1; d >= 0; d--)
        {
            tensorNumel *= inputShape[d];
            bool chunkEnds = d == 0 || (inputShape[d - 1] != 1 && x.Strides[d - 1] != tensorNumel * chunkBase);
            if (!chunkEnds) continue;
            while (viewD >= 0 && (viewNumel < tensorNumel || outputShape[viewD] == 1))
            {
                strides[viewD] = (int)(viewNumel * chunkBase);
                viewNumel *= outputShape[viewD];
                viewD--;
            }
            if (viewNumel != tensorNumel) return null;
            if (d > 0)
            {
                chunkBase = x.Strides[d - 1];
                tensorNumel = 1;
                viewNumel = 1;
            }
        }
        return viewD == -1 ? strides : null;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy.Reshape(inputShape)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Reshape(outputShape);

    public override RefArray Reference(RefArray[] x) => new((double[])x[0].Data.Clone(), (int[])outputShape.Clone());
}
