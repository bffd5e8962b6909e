using Nabla.Engine;

namespace Nabla;

/// <summary>
/// TensorFlow-style reverse mode (tf.GradientTape): records the ops run while it is alive on watched
/// tensors; trainable <see cref="Variable"/>s used inside it are watched automatically (unless
/// <c>watchAccessedVariables: false</c>). <see cref="Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/>
/// walks only what this tape recorded. Disposing stops recording; gradients stay available. Tapes are
/// per async flow (a task started before the tape never records into it; one started inside its scope does).
/// A tape never touches <see cref="Tensor.Grad"/>.
/// </summary>
/// <remarks>
/// <para>Higher orders: a gradient computed while some tape is recording is itself recorded (and is
/// differentiable, also by <see cref="Autograd.Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/>), so
/// nested tapes give second, third and higher derivatives. As in TensorFlow, a non-persistent tape used
/// inside its own scope first stops recording (its gradient is recorded only by outer tapes, and later
/// ops don't count), while a persistent one keeps recording, so it can differentiate its own gradients.
/// Call <see cref="StopRecording"/> around a gradient you don't want traced.</para>
/// <para>Tapes and <see cref="Tensor.RequiresGrad"/> coexist: a trainable variable both requires grad and
/// is watched. A <c>Backward()</c> without <c>retainGraph</c> keeps the values saved by ops that a live
/// tape recorded (the tape may still need them) unless that tape is non-persistent and already used.</para>
/// </remarks>
/// <example><code>
/// var x = new Variable(3.0);
/// using var outer = new GradientTape();
/// using var inner = new GradientTape();
/// var y = x * x * x;
/// var dy = inner.Gradient(y, x)!;        // 27, recorded by the outer tape
/// var d2y = outer.Gradient(dy, x)!;      // 18
/// </code></example>
public sealed partial class GradientTape : IDisposable
{
    readonly TapeRecord _record;
    bool _recording;
    bool _disposed;
    bool _used;

    /// <summary>Starts recording. A non-persistent tape allows one gradient computation.</summary>
    public GradientTape(bool persistent = false, bool watchAccessedVariables = true)
    {
        Persistent = persistent;
        _record = new TapeRecord(watchAccessedVariables);
        Tapes.Push(_record);
        _recording = true;
    }

    /// <summary>Whether <see cref="Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/> may be called more than once.</summary>
    public bool Persistent { get; }

    /// <summary>
    /// Makes the tape follow gradients through <paramref name="tensor"/> (a plain tensor, an intermediate
    /// result, or a non-trainable variable) for the ops that follow. Only floating tensors have
    /// gradients: watching an integer tensor is allowed (TF only warns) and its gradient is null.
    /// </summary>
    public void Watch(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _record.Watch(tensor);
    }

    /// <summary>Watches each of <paramref name="tensors"/>.</summary>
    public void Watch(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Watch(t);
    }

    /// <summary>The variables this tape watches, in the order they were first watched or used.</summary>
    public IReadOnlyList<Variable> WatchedVariables() => _record.WatchOrder.OfType<Variable>().ToList();

    /// <summary>
    /// A scope in which this tape records nothing (tf's <c>tape.stop_recording()</c>); other tapes still
    /// record. Throws when the tape is not recording (disposed, or a non-persistent tape already used).
    /// </summary>
    public IDisposable StopRecording()
    {
        if (!_recording)
            throw Errors.State("GradientTape.StopRecording",
                "the tape is not recording (it was disposed, or it is non-persistent and already computed its gradient); " +
                "call it inside the tape's scope, before Gradient.");
        bool previous = _record.Paused;
        _record.Paused = true;
        return new RunOnce(() => _record.Paused = previous);
    }

    /// <summary>
    /// Forgets everything recorded and watched so far (tf's <c>tape.reset()</c>: as if the scope were left
    /// and a new tape opened). Until the tape is disposed it records again, even a non-persistent tape
    /// that already computed its gradient (which may then compute one more).
    /// </summary>
    public void Reset()
    {
        _record.Reset();
        _used = false;
        if (!_disposed && !_recording)
        {
            Tapes.Push(_record);
            _recording = true;
        }
    }

    /// <summary>Stops recording. Gradients stay available.</summary>
    public void Dispose()
    {
        _disposed = true;
        StopRecordingForGood();
    }

    void StopRecordingForGood()
    {
        if (!_recording) return;
        Tapes.Remove(_record);
        _recording = false;
    }

    /// <summary>
    /// The gradient of <paramref name="target"/> (summed if not a scalar, or weighted by
    /// <paramref name="outputGradient"/>, which must have the target's shape) with respect to
    /// <paramref name="source"/>, with the source's shape and dtype: null when the source is not watched,
    /// is not floating, or the target does not depend on it through ops this tape recorded (zeros with
    /// <see cref="UnconnectedGradients.Zero"/>); <see cref="ExplainNullGradient"/> says why. The gradient
    /// of a watched tensor with respect to itself is ones. A non-persistent tape allows one call (of
    /// Gradient, Jacobian or BatchJacobian); see the class remarks for calls inside the tape's scope.
    /// </summary>
    public Tensor? Gradient(Tensor target, Tensor source, Tensor? outputGradient = null,
        UnconnectedGradients unconnected = UnconnectedGradients.None) =>
        Gradient(target, [source], outputGradient, unconnected)[0];

    /// <summary>The gradients of <paramref name="target"/> with respect to each of <paramref name="sources"/>.</summary>
    public Tensor?[] Gradient(Tensor target, IEnumerable<Tensor> sources, Tensor? outputGradient = null,
        UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sources);
        var list = sources.ToList();
        UseOnce("Gradient");
        var seed = outputGradient is null ? Tensor.OnesLike(target) : Backprop.RootGradient("GradientTape.Gradient", target, outputGradient);
        return Compute(target, seed, list, unconnected);
    }

    /// <summary>Why <see cref="Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/> gives null for this pair, or "connected".</summary>
    public string ExplainNullGradient(Tensor target, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        if (!_record.Tracks(target) && _record.Tracks(source) && source.DType.IsFloating())
            return "the target was not computed from watched tensors while this tape was recording: " +
                   Explain.WhyUnconnected([target], source, _record);
        var probe = Connected(target, source);
        return probe ? "connected: the gradient is not null" : Explain.WhyUnconnected([target], source, _record);
    }

    /// <summary>
    /// Whether a path of nodes this tape recorded leads from the target back to the source. A graph
    /// walk only: no gradient rule and no user hook runs while explaining.
    /// </summary>
    bool Connected(Tensor target, Tensor source)
    {
        if (!_record.Tracks(target) || !_record.Tracks(source) || !source.DType.IsFloating()) return false;
        if (ReferenceEquals(target, source)) return true;
        var goal = source.ExistingGradEdge;
        if (goal is null || target.GradFn is not { } start) return false;
        var seen = new HashSet<Engine.GradNode>(ReferenceEqualityComparer.Instance) { start };
        var stack = new Stack<Engine.GradNode>([start]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (ReferenceEquals(node, goal)) return true;
            if (!_record.Allows(node)) continue;
            foreach (var next in node.Next)
                if (next is not null && (ReferenceEquals(next, goal) || _record.Allows(next)) && seen.Add(next)) stack.Push(next);
        }
        return false;
    }

    /// <summary>Runs the tape-filtered backward for one seed; the shared core of gradients and Jacobians.</summary>
    Tensor?[] Compute(Tensor target, Tensor seed, IReadOnlyList<Tensor> sources, UnconnectedGradients unconnected)
    {
        var results = new Tensor?[sources.Count];
        var wanted = new List<Tensor>();
        var slots = new List<int>();
        for (int i = 0; i < sources.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(sources[i]);
            if (sources[i].DType.IsFloating() && _record.Tracks(sources[i]))
            {
                wanted.Add(sources[i]);
                slots.Add(i);
            }
        }
        if (wanted.Count > 0 && _record.Tracks(target))
        {
            // A recording tape (this one, or an outer one) records the gradient computation itself.
            var grads = Backprop.Run([target], [seed], wanted, retainGraph: true, createGraph: Tapes.AnyRecording,
                allowUnused: true, tape: _record);
            for (int k = 0; k < grads.Length; k++) results[slots[k]] = grads[k];
        }
        if (unconnected == UnconnectedGradients.Zero)
            for (int i = 0; i < results.Length; i++) results[i] ??= Tensor.ZerosLike(sources[i]);
        return results;
    }

    void UseOnce(string method)
    {
        if (Persistent) return;
        if (_used)
            throw Errors.State($"GradientTape.{method}",
                "a non-persistent GradientTape can only be used to compute one set of gradients (or Jacobians). " +
                "Create it with new GradientTape(persistent: true) to call Gradient/Jacobian several times.");
        _used = true;
        // As TF does, a non-persistent tape used inside its scope stops recording first: its gradient
        // computation is not recorded on itself (only outer tapes record it), and later ops don't count.
        StopRecordingForGood();
        _record.Spent = true;
    }
}
