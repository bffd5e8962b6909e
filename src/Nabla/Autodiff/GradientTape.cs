using Nabla.Engine;

namespace Nabla;

/// <summary>
/// TensorFlow-style reverse mode (tf.GradientTape): records the ops run while it is alive on watched
/// tensors; trainable <see cref="Variable"/>s used inside it are watched automatically (unless
/// <c>watchAccessedVariables: false</c>). <see cref="Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/>
/// walks only what this tape recorded. The constructor enters the tape's scope and <see cref="Dispose"/>
/// leaves it (gradients stay available); <see cref="Resume"/> enters it again, as a second
/// <c>with tape:</c> in TensorFlow. Tapes are per async flow (a task started before the tape never
/// records into it; one started inside its scope does). A tape never touches <see cref="Tensor.Grad"/>.
/// </summary>
/// <remarks>
/// <para>Higher orders: a gradient computed while some tape is recording is itself recorded (and is
/// differentiable, also by <see cref="Autograd.Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/>), so
/// nested tapes give second, third and higher derivatives. As in TensorFlow, a non-persistent tape used
/// inside its own scope first stops recording (its gradient is recorded only by outer tapes, and later
/// ops don't count), while a persistent one keeps recording, so it can differentiate its own gradients.
/// Call <see cref="StopRecording"/> around a gradient you don't want traced.</para>
/// <para>Nesting with forward mode follows the order scopes were entered, as in TensorFlow: a tape entered
/// inside a <see cref="ForwardAccumulator"/> treats that accumulator's tangents as constants (it does not
/// record their computation), while a tape entered before an accumulator records it, so it can
/// differentiate a JVP. <see cref="Autograd.StopRecording"/> pauses every tape and accumulator at once.</para>
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
    bool _recording;   // on the flow's tape stack
    bool _inScope;     // entered (constructor, Resume) and not left since
    bool _used;
    int _entries;      // counts entries, so a stale Resume handle cannot leave a later scope

    /// <summary>Enters the tape's scope: it records until disposed. A non-persistent tape allows one gradient computation.</summary>
    public GradientTape(bool persistent = false, bool watchAccessedVariables = true)
    {
        Persistent = persistent;
        _record = new TapeRecord(watchAccessedVariables);
        Enter();
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
    /// To pause every tape and accumulator at once, use <see cref="Autograd.StopRecording"/>.
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
    /// Enters the tape's scope again after it was left (TensorFlow's second <c>with tape:</c>): recording
    /// resumes, and gradients see the ops of every scope. Dispose the result to leave the scope again.
    /// Like any entry, it makes the tape the innermost scope: it then ignores the tangent computations of
    /// accumulators entered before it. Throws if the tape is recording already, or if it is a
    /// non-persistent tape that already computed its gradient (what it recorded is gone).
    /// </summary>
    /// <example><code>
    /// var x = Tensor.Scalar(3.0);
    /// var tape = new GradientTape();
    /// Tensor y, z;
    /// using (tape) { tape.Watch(x); y = 2 * x; }
    /// using (tape.Resume()) z = 2 * y;
    /// var dz = tape.Gradient(z, x);   // 4
    /// </code></example>
    public IDisposable Resume()
    {
        if (_recording)
            throw Errors.State("GradientTape.Resume",
                "the tape is already recording (its scope is active); leave the scope (Dispose) before resuming it.");
        if (_used && !Persistent)
            throw Errors.State("GradientTape.Resume",
                "this non-persistent tape already computed its gradient, which released what it recorded. " +
                "Create it with new GradientTape(persistent: true) to record in several scopes and compute several gradients, " +
                "or call Reset() first to start a fresh recording.");
        Enter();
        int entry = _entries;
        return new RunOnce(() =>
        {
            if (entry == _entries) Leave();
        });
    }

    /// <summary>
    /// Forgets everything recorded and watched so far (tf's <c>tape.reset()</c>: as if the scope were left
    /// and a new tape entered). Inside the scope it records again, even a non-persistent tape that already
    /// computed its gradient (which may then compute one more).
    /// </summary>
    public void Reset()
    {
        _record.Reset();
        _used = false;
        if (_inScope)
        {
            // Re-entering takes a fresh place in the nesting order, as TF's pop and push do.
            if (_recording) Tapes.Remove(_record);
            Tapes.Push(_record);
            _recording = true;
        }
    }

    /// <summary>Leaves the tape's scope: recording stops (see <see cref="Resume"/>). Gradients stay available.</summary>
    public void Dispose() => Leave();

    void Enter()
    {
        Tapes.Push(_record);
        _recording = true;
        _inScope = true;
        _entries++;
    }

    void Leave()
    {
        _inScope = false;
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
        return Gradient([target], sources.ToList(), outputGradient is null ? null : [outputGradient], unconnected);
    }

    /// <summary>
    /// The gradients of the sum of <paramref name="targets"/> with respect to each of
    /// <paramref name="sources"/> (tf's <c>tape.gradient([y, z], [a, b])</c>): target i is weighted by
    /// <c>outputGradients[i]</c> (its shape; a null entry, or no list, means ones). A target that is also
    /// a source contributes its own weight (ones) to that source's gradient; the same target twice counts
    /// twice. Targets this tape did not see, or that are not floating, contribute nothing.
    /// </summary>
    /// <example><code>
    /// // x = 3, y = 5 watched; z = y * y
    /// var g = tape.Gradient([x, y, z], [x, y]);   // [1, 11]
    /// </code></example>
    public Tensor?[] Gradient(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> sources,
        IReadOnlyList<Tensor?>? outputGradients = null, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        var seeds = Seeds("GradientTape.Gradient", targets, outputGradients);
        ArgumentNullException.ThrowIfNull(sources);
        UseOnce("Gradient");
        return Compute(targets, seeds, sources, unconnected);
    }

    /// <summary>Checks targets and their output gradients; ones where none is given (TF sums a non-scalar target).</summary>
    static Tensor[] Seeds(string op, IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor?>? outputGradients)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (outputGradients is not null && outputGradients.Count != targets.Count)
            throw Errors.Arg(op, $"got {outputGradients.Count} output gradients for {targets.Count} targets; give one per target (null for ones).");
        var seeds = new Tensor[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            var t = targets[i] ?? throw new ArgumentNullException(nameof(targets), $"target {i} is null.");
            seeds[i] = outputGradients?[i] is { } og ? Backprop.RootGradient(op, t, og) : Tensor.OnesLike(t);
        }
        return seeds;
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

    /// <summary>Runs the tape-filtered backward for one seed per target; the shared core of gradients and Jacobians.</summary>
    Tensor?[] Compute(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> seeds, IReadOnlyList<Tensor> sources, UnconnectedGradients unconnected)
    {
        var results = new Tensor?[sources.Count];
        var wanted = new List<Tensor>();
        var slots = new List<int>();
        for (int i = 0; i < sources.Count; i++)
        {
            if (sources[i] is null) throw new ArgumentNullException(nameof(sources), $"source {i} is null.");
            if (sources[i].DType.IsFloating() && _record.Tracks(sources[i]))
            {
                wanted.Add(sources[i]);
                slots.Add(i);
            }
        }
        var roots = new List<Tensor>();
        var rootSeeds = new List<Tensor>();
        for (int i = 0; i < targets.Count; i++)
            if (targets[i].DType.IsFloating() && _record.Tracks(targets[i]))
            {
                roots.Add(targets[i]);
                rootSeeds.Add(seeds[i]);
            }
        if (wanted.Count > 0 && roots.Count > 0)
        {
            // A recording tape (this one, or an outer one) records the gradient computation itself.
            var grads = Backprop.Run(roots, rootSeeds, wanted, retainGraph: true, createGraph: Tapes.AnyRecording,
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
