using Nabla.Engine;

namespace Nabla;

/// <summary>
/// TensorFlow-style forward mode (tf.autodiff.ForwardAccumulator): while alive, every op computed
/// from the primals also computes its directional derivative along the tangents, and
/// <see cref="Jvp"/> reads it. Accumulators nest (forward-over-forward gives second derivatives) and
/// compose with reverse mode (a gradient computed inside an accumulator carries its JVP: a
/// Hessian-vector product), without perturbation confusion. Dispose the innermost first.
/// </summary>
/// <example><code>
/// var x = Tensor.Scalar(2.0);
/// using var acc = new ForwardAccumulator(x, Tensor.Scalar(1.0));
/// var y = x * x * x;
/// var dy = acc.Jvp(y);   // 3x² = 12
/// </code></example>
public sealed class ForwardAccumulator : IDisposable
{
    readonly IDisposable _level;
    readonly int _levelId;
    readonly Tensor[] _primals;
    readonly Tensor[] _tangents;
    bool _disposed;

    /// <summary>Watches <paramref name="primal"/> with direction <paramref name="tangent"/> (same shape).</summary>
    public ForwardAccumulator(Tensor primal, Tensor tangent) : this([primal], [tangent]) { }

    /// <summary>Watches several primals, each with its tangent.</summary>
    public ForwardAccumulator(IReadOnlyList<Tensor> primals, IReadOnlyList<Tensor> tangents)
    {
        ArgumentNullException.ThrowIfNull(primals);
        ArgumentNullException.ThrowIfNull(tangents);
        if (primals.Count != tangents.Count)
            throw Errors.Arg("ForwardAccumulator", $"got {primals.Count} primals but {tangents.Count} tangents; give one tangent per primal.");
        _primals = primals.ToArray();
        _tangents = new Tensor[_primals.Length];
        for (int i = 0; i < _primals.Length; i++)
        {
            var p = _primals[i] ?? throw new ArgumentNullException(nameof(primals));
            var t = tangents[i] ?? throw new ArgumentNullException(nameof(tangents));
            // As TF: the same tensor twice would silently keep only one of its tangents.
            for (int k = 0; k < i; k++)
                if (ReferenceEquals(_primals[k], p))
                    throw Errors.Arg("ForwardAccumulator", $"primals {k} and {i} are the same tensor; watch it once, with the sum of the tangents.");
            if (!p.DType.IsFloating())
                throw Errors.Arg("ForwardAccumulator", $"primal {i} has dtype {p.DType.TorchName()}; only floating tensors have tangents.");
            if (!t.Shape.Equals(p.Shape))
                throw Errors.Arg("ForwardAccumulator", $"tangent {i} has shape {t.Shape} but its primal has shape {p.Shape}.");
            _tangents[i] = t.To(p.DType);
        }
        _level = ForwardMode.Enter(out _levelId);
        for (int i = 0; i < _primals.Length; i++) _primals[i].SetTangent(_levelId, _tangents[i]);
    }

    /// <summary>
    /// The JVP of <paramref name="tensor"/> along the tangents: null when it was not computed from the
    /// primals inside this accumulator (zeros with <see cref="UnconnectedGradients.Zero"/>).
    /// </summary>
    public Tensor? Jvp(Tensor tensor, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var t = tensor.TangentAt(_levelId);
        if (t is null)
            for (int i = 0; i < _primals.Length; i++)
                if (ReferenceEquals(_primals[i], tensor)) t = _tangents[i];
        return t ?? (unconnected == UnconnectedGradients.Zero ? Tensor.ZerosLike(tensor) : null);
    }

    /// <summary>Stops computing tangents; results already computed stay readable through <see cref="Jvp"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _primals) p.SetTangent(_levelId, null);
        _level.Dispose();
    }
}
