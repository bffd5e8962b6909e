using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>
/// A node of the reverse-mode graph (PyTorch's <c>grad_fn</c>): it receives the gradient of one tensor
/// and sends gradients along <see cref="NextFunctions"/> to the nodes that made its inputs. Held as data,
/// not closures. Hooks can watch or replace the gradients flowing through it.
/// </summary>
/// <remarks>
/// Order of hooks at a node during backward (as PyTorch's engine runs them): hooks registered with
/// <see cref="Tensor.RegisterHook"/> on the tensor this node made (in registration order), then the
/// <see cref="Tensor.RetainGrad"/> update (so <c>.Grad</c> sees what tensor hooks returned), then
/// <see cref="RegisterPrehook"/> hooks, then the node runs, then <see cref="RegisterHook"/> hooks. At a
/// leaf's <c>AccumulateGrad</c> node the gradient is added into <c>.Grad</c> where the node runs, and
/// post-accumulate-grad hooks run right after it, before the node's own post hooks. Node hooks fire only
/// when the node runs: <see cref="Autograd.Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/>
/// runs no <c>AccumulateGrad</c> node and no node past the last requested input; <see cref="Autograd.Backward"/>
/// runs every node it reaches, a requested input's own node included.
/// </remarks>
public abstract class GradNode
{
    static long _sequence;

    /// <summary>Readable name, e.g. <c>MulBackward</c> or <c>AccumulateGrad</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Creation order; backward runs ready nodes newest first.</summary>
    internal readonly long Sequence = Interlocked.Increment(ref _sequence);

    /// <summary>For each input of the op, the node that receives its gradient (null: not differentiable).</summary>
    internal abstract GradNode?[] Next { get; }

    /// <summary>The shape of the gradient this node receives (the shape of the tensor it made, or of the leaf).</summary>
    internal abstract Shape GradShape { get; }

    /// <summary>The dtype of the gradient this node receives.</summary>
    internal abstract DType GradDType { get; }

    /// <summary>Hooks on the gradient of the tensor this node made (<see cref="Tensor.RegisterHook"/>), in registration order.</summary>
    internal List<Func<Tensor, Tensor?>>? TensorHooks;

    /// <summary>The <see cref="Tensor.RetainGrad"/> updates; they run after every tensor hook, whatever the registration order.</summary>
    internal List<Action<Tensor>>? RetainsGradHooks;

    /// <summary>Node pre-hooks (<see cref="RegisterPrehook"/>), in registration order.</summary>
    internal List<Func<Tensor?[], Tensor?[]?>>? PreHooks;

    /// <summary>Node post hooks (<see cref="RegisterHook"/>), in registration order.</summary>
    internal List<Func<Tensor?[], Tensor?[], Tensor?[]?>>? PostHooks;

    /// <summary>
    /// For each input of the op this node belongs to, the node its gradient goes to and that node's input
    /// number (always 0: a Nabla node has one output), like PyTorch's <c>next_functions</c>
    /// <c>((node, 0), ...)</c>. <c>Node</c> is null where the input needs no gradient (data, constants, integer
    /// tensors). A leaf that requires grad appears as its <c>AccumulateGrad</c> node; an
    /// <c>AccumulateGrad</c> node itself has none.
    /// </summary>
    /// <example><code>
    /// var a = Tensor.Scalar(2.0, requiresGrad: true);
    /// var y = a * Tensor.Scalar(3.0);
    /// // y.GradFn!.NextFunctions: [(AccumulateGrad of a, 0), (null, 0)]
    /// </code></example>
    public IReadOnlyList<(GradNode? Node, int InputNumber)> NextFunctions => Array.ConvertAll(Next, n => (n, 0));

    /// <summary>
    /// Registers a hook that runs each time this node is executed by a backward pass, after it computed
    /// the gradients of its inputs (PyTorch's <c>Node.register_hook</c>). It receives
    /// <c>gradInputs</c> (one entry per <see cref="NextFunctions"/> entry; null where no gradient was
    /// computed) and <c>gradOutputs</c> (the one gradient this node received, after pre-hooks). Returning
    /// null keeps <c>gradInputs</c>; returning an array of the same length replaces them (a null entry
    /// then sends no gradient). A replacement must have the shape and dtype of the gradient it replaces,
    /// or backward throws naming this node. The hook must not change its arguments in place. Dispose the
    /// handle to remove it.
    /// </summary>
    /// <example><code>
    /// var a = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
    /// var b = a * 3.0;
    /// using (b.GradFn!.RegisterHook((gIn, gOut) => [gIn[0]! * 2.0, gIn[1]]))
    ///     b.Sum().Backward();   // a.Grad: [6, 6]
    /// </code></example>
    public IDisposable RegisterHook(Func<Tensor?[], Tensor?[], Tensor?[]?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var list = PostHooks ??= [];
        list.Add(hook);
        return new RunOnce(() => list.Remove(hook));
    }

    /// <summary>
    /// Registers a hook that runs each time this node is executed by a backward pass, before it runs
    /// (PyTorch's <c>Node.register_prehook</c>), with <c>gradOutputs</c>: the one gradient this node
    /// received, after the tensor hooks. Returning null keeps it; returning a one-element array replaces
    /// it (same shape and dtype, or backward throws naming this node; a null element means the node
    /// receives no gradient and sends none). Dispose the handle to remove it.
    /// </summary>
    /// <example><code>
    /// var a = Tensor.FromArray(new[] { 0.0, 0.0 }, [2], requiresGrad: true);
    /// var b = a.Clone();
    /// using (b.GradFn!.RegisterPrehook(gOut => [gOut[0]! * 2.0]))
    ///     b.Sum().Backward();   // a.Grad: [2, 2]
    /// </code></example>
    public IDisposable RegisterPrehook(Func<Tensor?[], Tensor?[]?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var list = PreHooks ??= [];
        list.Add(hook);
        return new RunOnce(() => list.Remove(hook));
    }

    /// <summary>
    /// Computes the gradients for <see cref="Next"/> from this node's gradient; <paramref name="needs"/>[i]
    /// says whether the running backward uses input i's gradient (a rule may return null where it does not).
    /// </summary>
    internal abstract Tensor?[] Apply(Tensor gy, bool[] needs);

    internal abstract void Release();

    /// <summary>Whether a backward pass without retainGraph freed what this node saved.</summary>
    internal virtual bool IsReleased => false;

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";
}

/// <summary>The node recorded for one primitive call.</summary>
internal sealed class OpNode : GradNode
{
    readonly Primitive _op;
    readonly GradNode?[] _next;
    SavedTensors _inputs;
    SavedTensors _output;
    bool _released;

    /// <summary>Where the forward op was called; recorded only under anomaly detection.</summary>
    internal string? ForwardCallSite;

    /// <summary>How an input of this op had been cut from the graph (Detach/NoGrad), if one was.</summary>
    internal GraphCut? CutBelow;

    public OpNode(Primitive op, Tensor[] inputs, Tensor output, GradNode?[] next)
    {
        _op = op;
        _next = next;
        GradShape = output.Shape;
        GradDType = output.DType;
        if (op.SavesInputs) _inputs = new SavedTensors(inputs);
        if (op.SavesOutput) _output = new SavedTensors(output);
        if (GradMode.AnomalyDetection) ForwardCallSite = CallSite.Describe();
    }

    public override string Name => _op.GradName;

    internal Primitive Op => _op;

    internal override GradNode?[] Next => _next;

    internal override Shape GradShape { get; }

    internal override DType GradDType { get; }

    internal override Tensor?[] Apply(Tensor gy, bool[] needs)
    {
        // A pass on another thread over a shared subgraph may Release this node meanwhile (PyTorch allows
        // that race and reports it as the "backward a second time" error). Without a lock: copy the saved
        // state, fence, then read the flag. Release sets the flag, fences, then clears; so a copy taken
        // while the flag still reads false is whole, never half cleared.
        var inputs = _inputs;
        var output = _output;
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _released) && (_op.SavesInputs || _op.SavesOutput)) throw SavedTensors.Freed(Name);
        var x = inputs.HasValue ? inputs.Unpack(Name, _op.Name, "input", ForwardCallSite) : null;
        var y = output.HasValue ? output.UnpackOne(Name, _op.Name, "output", ForwardCallSite) : null;
        return _op.Vjp(gy, x!, y!, needs);
    }

    internal override bool IsReleased => Volatile.Read(ref _released);

    internal override void Release()
    {
        Volatile.Write(ref _released, true);
        Interlocked.MemoryBarrier();   // the flag is visible before any field is cleared (see Apply)
        _op.Release();
        _inputs = default;
        _output = default;
    }
}

/// <summary>The node at a leaf that requires grad: adds the incoming gradient into <see cref="Tensor.Grad"/>.</summary>
internal sealed class AccumulateGrad : GradNode
{
    public readonly Tensor Leaf;

    /// <summary>Hooks run after the gradient was added to <see cref="Tensor.Grad"/>.</summary>
    internal List<Action<Tensor>>? PostAccumulateHooks;

    /// <summary>
    /// Serializes writes to the leaf's <see cref="Tensor.Grad"/> (and its post-accumulate hooks) across
    /// threads. A separate object: nodes are hash keys during backward, so their headers hold a hash code
    /// and locking the node itself would inflate a sync block for every leaf.
    /// </summary>
    internal readonly object Gate = new();

    public AccumulateGrad(Tensor leaf) { Leaf = leaf; }

    public override string Name => "AccumulateGrad";

    internal override GradNode?[] Next => [];

    internal override Shape GradShape => Leaf.Shape;

    internal override DType GradDType => Leaf.DType;

    internal override Tensor?[] Apply(Tensor gy, bool[] needs) => [];

    internal override void Release() { }
}
