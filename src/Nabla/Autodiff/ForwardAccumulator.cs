using Nabla.Engine;

namespace Nabla;

/// <summary>
/// TensorFlow-style forward mode (tf.autodiff.ForwardAccumulator): while alive, every op computed
/// from the primals also computes its directional derivative along the tangents, and
/// <see cref="Jvp(Tensor, UnconnectedGradients)"/> reads it. Accumulators nest (forward-over-forward gives second derivatives) and
/// compose with reverse mode (a gradient computed inside an accumulator carries its JVP: a
/// Hessian-vector product), without perturbation confusion. The constructor enters the accumulator's
/// scope and <see cref="Dispose"/> leaves it (JVPs already computed stay readable); <see cref="Resume"/>
/// enters it again, as a second <c>with acc:</c> in TensorFlow. Dispose the innermost first.
/// </summary>
/// <remarks>
/// Nesting follows the order scopes were entered, as in TensorFlow: an inner accumulator's tangents
/// carry an outer one's, a <see cref="GradientTape"/> entered inside an accumulator treats its tangents
/// as constants, and a tape entered before it records the JVP computation (so it can differentiate a
/// JVP). <see cref="Autograd.StopRecording"/> pauses every accumulator and tape at once.
/// </remarks>
/// <example><code>
/// var x = Tensor.Scalar(2.0);
/// using var acc = new ForwardAccumulator(x, Tensor.Scalar(1.0));
/// var y = x * x * x;
/// var dy = acc.Jvp(y);   // 3x² = 12
/// </code></example>
public sealed class ForwardAccumulator : IDisposable
{
    IDisposable? _level;
    readonly int _levelId;
    readonly Tensor[] _primals;
    readonly Tensor[] _tangents;
    int _entries;   // counts entries, so a stale Resume handle cannot leave a later scope

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
        AttachTangents();
    }

    void AttachTangents()
    {
        _entries++;
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

    /// <summary>The JVPs of each of <paramref name="tensors"/>, in order (tf's <c>acc.jvp([a, b])</c>); see <see cref="Jvp(Tensor, UnconnectedGradients)"/>.</summary>
    public Tensor?[] Jvp(IReadOnlyList<Tensor> tensors, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new Tensor?[tensors.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Jvp(tensors[i], unconnected);
        return result;
    }

    /// <summary>The JVPs of named tensors, under the same names (tf's <c>acc.jvp({"a": a})</c>).</summary>
    public Dictionary<string, Tensor?> Jvp(IReadOnlyDictionary<string, Tensor> tensors, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new Dictionary<string, Tensor?>(tensors.Count);
        foreach (var (name, t) in tensors) result[name] = Jvp(t, unconnected);
        return result;
    }

    /// <summary>
    /// Enters the accumulator's scope again after it was left (TensorFlow's second <c>with acc:</c>):
    /// tangents are computed again, from the primals and from every tensor whose JVP is already known,
    /// and this becomes the innermost accumulator. Dispose the result to leave the scope again. Throws if
    /// the accumulator is in its scope already.
    /// </summary>
    /// <example><code>
    /// var x = Tensor.Scalar(-2.0);
    /// var acc = new ForwardAccumulator(x, Tensor.Scalar(1.5));
    /// Tensor y, yy;
    /// using (acc) y = 4 * x;             // acc.Jvp(y) = 6
    /// using (acc.Resume()) yy = y * y;   // acc.Jvp(yy) = 2·y·6 = -96
    /// </code></example>
    public IDisposable Resume()
    {
        if (_level is not null)
            throw Errors.State("ForwardAccumulator.Resume",
                "the accumulator is already computing tangents (its scope is active); leave the scope (Dispose) before resuming it.");
        _level = ForwardMode.Reenter(_levelId);
        AttachTangents();
        int entry = _entries;
        return new RunOnce(() =>
        {
            if (entry == _entries) Dispose();
        });
    }

    /// <summary>Leaves the scope: stops computing tangents; results already computed stay readable through <see cref="Jvp(Tensor, UnconnectedGradients)"/>.</summary>
    public void Dispose()
    {
        if (_level is null) return;
        foreach (var p in _primals) p.SetTangent(_levelId, null);
        _level.Dispose();
        _level = null;
    }
}
