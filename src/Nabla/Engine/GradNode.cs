using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>
/// A node of the reverse-mode graph: it receives the gradient of one tensor and sends gradients
/// along <see cref="Next"/> to the nodes that made its inputs. Held as data, not closures.
/// </summary>
public abstract class GradNode
{
    static long _sequence;

    /// <summary>Readable name, e.g. <c>MulBackward</c> or <c>AccumulateGrad</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Creation order; backward runs ready nodes newest first.</summary>
    internal readonly long Sequence = Interlocked.Increment(ref _sequence);

    /// <summary>For each input of the op, the node that receives its gradient (null: not differentiable).</summary>
    internal abstract GradNode?[] Next { get; }

    /// <summary>Hooks run on the incoming gradient before the node uses it (tensor hooks, retain_grad).</summary>
    internal List<Func<Tensor, Tensor?>>? PreHooks;

    /// <summary>
    /// Computes the gradients for <see cref="Next"/> from this node's gradient; <paramref name="needs"/>[i]
    /// says whether the running backward uses input i's gradient (a rule may return null where it does not).
    /// </summary>
    internal abstract Tensor?[] Apply(Tensor gy, bool[] needs);

    internal abstract void Release();

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
        if (op.SavesInputs) _inputs = new SavedTensors(inputs);
        if (op.SavesOutput) _output = new SavedTensors(output);
        if (GradMode.AnomalyDetection) ForwardCallSite = CallSite.Describe();
    }

    public override string Name => _op.GradName;

    internal Primitive Op => _op;

    internal override GradNode?[] Next => _next;

    internal override Tensor?[] Apply(Tensor gy, bool[] needs)
    {
        if (_released && (_op.SavesInputs || _op.SavesOutput)) throw SavedTensors.Freed(Name);
        var x = _inputs.HasValue ? _inputs.Unpack(Name, _op.Name, "input", ForwardCallSite) : null;
        var y = _output.HasValue ? _output.UnpackOne(Name, _op.Name, "output", ForwardCallSite) : null;
        return _op.Vjp(gy, x!, y!, needs);
    }

    internal override void Release()
    {
        _released = true;
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

    public AccumulateGrad(Tensor leaf) { Leaf = leaf; }

    public override string Name => "AccumulateGrad";

    internal override GradNode?[] Next => [];

    internal override Tensor?[] Apply(Tensor gy, bool[] needs) => [];

    internal override void Release() { }
}
