namespace Nabla;

public sealed partial class GradientTape
{
    /// <summary>
    /// The full Jacobian (tf's <c>tape.jacobian</c>): shape <c>target.Shape + source.Shape</c>, entry
    /// [i..., j...] = ∂target[i...]/∂source[j...]. Null when the target does not depend on the source
    /// (zeros with <see cref="UnconnectedGradients.Zero"/>). One reverse pass per target element. A target
    /// with no elements gives an empty Jacobian of that shape when the tape connects it to the source
    /// (as TensorFlow's), and the unconnected rule otherwise.
    /// </summary>
    public Tensor? Jacobian(Tensor target, Tensor source, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Jacobian(target, [source], unconnected)[0];
    }

    /// <summary>
    /// The Jacobians of <paramref name="target"/> with respect to each of <paramref name="sources"/>
    /// (tf's <c>tape.jacobian(y, [a, b])</c>), in the sources' order; see <see cref="Jacobian(Tensor, Tensor, UnconnectedGradients)"/>.
    /// </summary>
    public Tensor?[] Jacobian(Tensor target, IReadOnlyList<Tensor> sources, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sources);
        for (int s = 0; s < sources.Count; s++)
            if (sources[s] is null) throw new ArgumentNullException(nameof(sources), $"source {s} is null.");
        UseOnce("Jacobian");
        int n = target.NumElements;
        if (n == 0) return EmptyJacobians(target, sources, source => [.. target.Shape, .. source.Shape], unconnected);
        var rows = new Tensor?[sources.Count][];
        for (int s = 0; s < sources.Count; s++) rows[s] = new Tensor?[n];
        for (int i = 0; i < n; i++)
        {
            var seed = Tensor.OneHot(target.Shape.ToArray(), target.DType, i, target.Device);
            var g = Compute([target], [seed], sources, UnconnectedGradients.None);
            for (int s = 0; s < sources.Count; s++) rows[s][i] = g[s];
        }
        var result = new Tensor?[sources.Count];
        for (int s = 0; s < sources.Count; s++)
        {
            var source = sources[s];
            if (Array.TrueForAll(rows[s], r => r is null))
            {
                if (unconnected == UnconnectedGradients.Zero) result[s] = Tensor.Zeros([.. target.Shape, .. source.Shape], source.DType, device: source.Device);
                continue;
            }
            var filled = Array.ConvertAll(rows[s], r => r ?? Tensor.ZerosLike(source));
            result[s] = Tensor.Stack(filled).Reshape([.. target.Shape, .. source.Shape]);
        }
        return result;
    }

    /// <summary>
    /// Per-example Jacobians (tf's <c>tape.batch_jacobian</c>) for a target [B, ...] whose example b
    /// depends only on source example b: result shape [B, target dims after the first..., source dims
    /// after the first...]. One reverse pass per target element of one example. Unlike TensorFlow, which
    /// asks for rank 2 or more, a rank-1 target or source is accepted ([B] gives per-example gradients).
    /// If examples are not independent, entry [b, ...] sums the cross-example terms (as in TF). A target
    /// with no elements gives an empty result of that shape when connected (a [1, 0] target of a [1, 0]
    /// source: [1, 0, 0], as in TF).
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
        var sourceRest = source.Shape.ToArray()[1..];
        int[] shape = [batch, .. rest, .. sourceRest];
        if (target.NumElements == 0) return EmptyJacobians(target, [source], _ => shape, unconnected)[0];
        int m = target.NumElements / batch;
        int perExample = source.NumElements / batch;   // batch > 0 here: the target has elements
        var columns = new Tensor[m];
        bool any = false;
        for (int j = 0; j < m; j++)
        {
            // Seed element j of every example at once: example b's row lands in source example b.
            var one = Tensor.OneHot(rest, target.DType, j, target.Device).Unsqueeze(0).Expand([batch, .. rest]);
            var g = Compute([target], [one.Contiguous()], [source], UnconnectedGradients.None)[0];
            any |= g is not null;
            columns[j] = (g ?? Tensor.ZerosLike(source)).Reshape(batch, perExample);
        }
        if (!any) return unconnected == UnconnectedGradients.Zero ? Tensor.Zeros(shape, source.DType, device: source.Device) : null;
        return Tensor.Stack(columns, dim: 1).Reshape(shape);
    }

    /// <summary>
    /// Jacobians of a target with no elements: a zero-size tensor of <paramref name="shapeFor"/>(source)
    /// for each source the tape connects to the target, the unconnected rule for the others. TensorFlow
    /// decides the same way: its vectorized loop traces one gradient and keeps what that gives.
    /// </summary>
    Tensor?[] EmptyJacobians(Tensor target, IReadOnlyList<Tensor> sources, Func<Tensor, int[]> shapeFor, UnconnectedGradients unconnected)
    {
        var result = new Tensor?[sources.Count];
        for (int s = 0; s < sources.Count; s++)
            if (Connected(target, sources[s]) || unconnected == UnconnectedGradients.Zero)
                result[s] = Tensor.Zeros(shapeFor(sources[s]), sources[s].DType, device: sources[s].Device);
        return result;
    }
}
