namespace Nabla;

public sealed partial class GradientTape
{
    /// <summary>
    /// The full Jacobian (tf's <c>tape.jacobian</c>): shape <c>target.Shape + source.Shape</c>, entry
    /// [i..., j...] = ∂target[i...]/∂source[j...]. Null when the target does not depend on the source
    /// (zeros with <see cref="UnconnectedGradients.Zero"/>). One reverse pass per target element.
    /// </summary>
    public Tensor? Jacobian(Tensor target, Tensor source, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        UseOnce("Jacobian");
        int n = target.NumElements;
        var rows = new Tensor[n];
        bool any = false;
        for (int i = 0; i < n; i++)
        {
            var seed = Tensor.OneHot(target.Shape.ToArray(), target.DType, i, target.Device);
            var g = Compute(target, seed, [source], UnconnectedGradients.None)[0];
            any |= g is not null;
            rows[i] = g ?? Tensor.ZerosLike(source);
        }
        if (!any && unconnected == UnconnectedGradients.None) return null;
        int[] shape = [.. target.Shape, .. source.Shape];
        return n == 0 ? Tensor.Zeros(shape, source.DType) : Tensor.Stack(rows).Reshape(shape);
    }

    /// <summary>
    /// Per-example Jacobians (tf's <c>tape.batch_jacobian</c>) for a target [B, ...] whose example b
    /// depends only on source example b: result shape [B, target dims after the first..., source dims
    /// after the first...]. One reverse pass per target element of one example. Unlike TensorFlow, which
    /// asks for rank 2 or more, a rank-1 target or source is accepted ([B] gives per-example gradients).
    /// If examples are not independent, entry [b, ...] sums the cross-example terms (as in TF).
    /// </summary>
    public Tensor? BatchJacobian(Tensor target, Tensor source, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        if (target.Rank < 1 || source.Rank < 1 || target.Shape[0] != source.Shape[0])
            throw Engine.Errors.Arg("GradientTape.BatchJacobian",
                $"target {target.Shape} and source {source.Shape} need the same first (batch) dimension.");
        UseOnce("BatchJacobian");
        int batch = target.Shape[0];
        var rest = target.Shape.ToArray()[1..];
        int m = target.NumElements / Math.Max(batch, 1);
        var columns = new Tensor[m];
        bool any = false;
        for (int j = 0; j < m; j++)
        {
            // Seed element j of every example at once: example b's row lands in source example b.
            var one = Tensor.OneHot(rest, target.DType, j, target.Device).Unsqueeze(0).Expand([batch, .. rest]);
            var g = Compute(target, one.Contiguous(), [source], UnconnectedGradients.None)[0];
            any |= g is not null;
            columns[j] = (g ?? Tensor.ZerosLike(source)).Reshape(batch, -1);
        }
        if (!any && unconnected == UnconnectedGradients.None) return null;
        int[] shape = [batch, .. rest, .. source.Shape.ToArray()[1..]];
        if (m == 0 || batch == 0) return Tensor.Zeros(shape, source.DType);
        return Tensor.Stack(columns, dim: 1).Reshape(shape);
    }
}
