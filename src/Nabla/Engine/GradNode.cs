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
    Tensor[]? _inputs;
    int[]? _inputVersions;
    Tensor? _output;
    int _outputVersion;
    bool _released;

    /// <summary>Where the forward op was called; recorded only under anomaly detection.</summary>
    internal string? ForwardCallSite;

    /// <summary>How an input of this op had been cut from the graph (Detach/NoGrad), if one was.</summary>
    internal GraphCut? CutBelow;

    public OpNode(Primitive op, Tensor[] inputs, Tensor output, GradNode?[] next)
    {
        _op = op;
        _next = next;
        if (op.SavesInputs)
        {
            _inputs = inputs;
            _inputVersions = new int[inputs.Length];
            for (int i = 0; i < inputs.Length; i++) _inputVersions[i] = inputs[i].Version.Value;
        }
        if (op.SavesOutput)
        {
            _output = output;
            _outputVersion = output.Version.Value;
        }
        if (GradMode.AnomalyDetection) ForwardCallSite = CallSite.Describe();
    }

    public override string Name => _op.GradName;

    internal Primitive Op => _op;

    internal override GradNode?[] Next => _next;

    internal override Tensor?[] Apply(Tensor gy, bool[] needs)
    {
        bool needsSaved = _op.SavesInputs || _op.SavesOutput;
        if (_released && needsSaved)
            throw new InvalidOperationException(
                $"{Name}: trying to backward through the graph a second time (or to use its results after they were freed). " +
                "The values this op saved were released after the first backward. Pass retainGraph: true to the first " +
                "Backward/Autograd.Grad call if you need to go through the graph again, or call Detach() on state you carry " +
                "between steps (e.g. an RNN's hidden state).");
        if (_inputs is not null)
            for (int i = 0; i < _inputs.Length; i++) CheckVersion(_inputs[i], _inputVersions![i], $"input {i}");
        if (_output is not null) CheckVersion(_output, _outputVersion, "output");
        return _op.Vjp(gy, _inputs!, _output!, needs);
    }

    void CheckVersion(Tensor t, int saved, string which)
    {
        if (t.Version.Value == saved) return;
        throw new InvalidOperationException(
            $"{Name}: one of the tensors needed for gradient computation ({which} of '{_op.Name}', " +
            $"{Errors.Describe(t)}) has been modified by an in-place operation ({t.Version.LastMutation ?? "unknown op"}) " +
            $"after '{_op.Name}' saved it (version {saved}, now {t.Version.Value})" +
            (ForwardCallSite is null ? "" : $"; '{_op.Name}' was called at {ForwardCallSite}") +
            ". Clone the tensor before changing it, or change it out of place.");
    }

    internal override void Release()
    {
        _released = true;
        _op.Release();
        _inputs = null;
        _inputVersions = null;
        _output = null;
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
