using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>
/// The node a replay with a joint graph gives a differentiable output: one for the whole compiled call
/// (PyTorch shows <c>CompiledFunctionBackward</c> for the same thing), from the inputs that require grad to
/// that output. Its backward replays the <see cref="BackwardGraph"/> on what the forward kept; a backward
/// that itself records (createGraph) replays the forward again with a node per op instead, so gradients of
/// any order see how every kept value depends on the inputs.
/// </summary>
internal sealed class CompiledCall(CompiledCallRecord call, int output) : Primitive
{
    public override string Name => "compiled_function";
    public override string GradName => "CompiledFunctionBackward";

    // The record keeps (and version-checks) what the backward reads.
    public override bool SavesInputs => false;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => call.Backward(output, gy);

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        throw new InvalidOperationException("internal: a joint graph is replayed only without forward mode");

    public override bool HasReference => false;

    public override RefArray Reference(RefArray[] x) => throw new NotSupportedException("compiled_function: no reference implementation.");

    public override void Release() => call.Release();
}

/// <summary>One replayed call of a joint graph: the values its backward needs, shared by its outputs' nodes.</summary>
internal sealed class CompiledCallRecord
{
    readonly TracedGraph _forward;
    readonly BackwardGraph _backward;
    readonly Tensor[] _args;
    readonly Tensor[] _outputs;
    readonly (long, long)[] _drawStates;
    SavedTensors _saved;
    bool _released;
    int _liveNodes;

    CompiledCallRecord(TracedGraph forward, BackwardGraph backward, Tensor[] args, Tensor[] outputs, Tensor[] saved, (long, long)[] drawStates)
    {
        _forward = forward;
        _backward = backward;
        _args = (Tensor[])args.Clone();   // the caller may reuse its array
        _outputs = outputs;
        _drawStates = drawStates;
        _saved = new SavedTensors(saved);
        _liveNodes = backward.OutputIndices.Length;
    }

    /// <summary>
    /// Gives each differentiable output of a replay its node: <paramref name="env"/> holds the replay's values,
    /// <paramref name="drawStates"/> where the graph's generators stood before it ran (to draw the same again).
    /// </summary>
    public static void Attach(TracedGraph forward, BackwardGraph backward, Tensor[] args, Tensor[] env, Tensor[] outputs, (long, long)[] drawStates)
    {
        var saved = new Tensor[backward.SavedIds.Length];
        for (int i = 0; i < saved.Length; i++) saved[i] = env[backward.SavedIds[i]];
        var inputs = new Tensor[backward.InputIds.Length];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = env[backward.InputIds[i]];
        var record = new CompiledCallRecord(forward, backward, args, outputs, saved, drawStates);
        for (int k = 0; k < backward.OutputIndices.Length; k++)
            Dispatch.Record(new CompiledCall(record, k), inputs, outputs[backward.OutputIndices[k]]);
    }

    /// <summary>The gradients of the node's inputs from the gradient <paramref name="gy"/> of its output number <paramref name="k"/>.</summary>
    public Tensor?[] Backward(int k, Tensor gy)
    {
        if (_released) throw SavedTensors.Freed("CompiledFunctionBackward");
        if (GradMode.Enabled) return Recomputed(k, gy);
        var saved = _saved.Unpack("CompiledFunctionBackward", "compiled_function", "saved value");
        var outputs = _backward.OutputIndices;
        var args = new Tensor[outputs.Length + saved.Length];
        for (int j = 0; j < outputs.Length; j++)
            args[j] = j == k ? gy : Tensor.ZerosLike(_outputs[outputs[j]]);   // by linearity, one output at a time
        saved.CopyTo(args, outputs.Length);
        var grads = Replay.Run(_backward.Graph, args, out var failure);
        if (grads is null) return Recomputed(k, gy);   // a guard of the backward's trace did not hold: go the general way
        var result = new Tensor?[_backward.GradSlots.Length];
        for (int i = 0; i < result.Length; i++) result[i] = _backward.GradSlots[i] < 0 ? null : grads[_backward.GradSlots[i]];
        return result;
    }

    /// <summary>
    /// The gradients through a forward replayed again with a node per op (from the same arguments and generator
    /// states), so a recording backward sees how every value depends on the inputs.
    /// </summary>
    Tensor?[] Recomputed(int k, Tensor gy)
    {
        _saved.Unpack("CompiledFunctionBackward", "compiled_function", "saved value");   // the inputs are unchanged
        var sources = _forward.DrawSources;
        var now = sources.Select(g => g.State).ToArray();
        for (int i = 0; i < sources.Count; i++) sources[i].State = _drawStates[i];
        Tensor[]? outputs;
        try
        {
            using (Autograd.EnableGrad()) outputs = Replay.Run(_forward, _args, out _, joint: false);
        }
        finally
        {
            for (int i = 0; i < sources.Count; i++) sources[i].State = now[i];
        }
        if (outputs is null)
            throw new InvalidOperationException("CompiledFunctionBackward: a guard of the compiled function failed when its forward was replayed " +
                "again for a backward with createGraph; call the function eagerly to differentiate it twice.");
        return Autograd.Grad([outputs[_backward.OutputIndices[k]]], Inputs(), [gy], retainGraph: true, createGraph: true, allowUnused: true);
    }

    /// <summary>The node's inputs: arguments and captures of the original call (captures are read by reference).</summary>
    Tensor[] Inputs()
    {
        var result = new Tensor[_backward.InputIds.Length];
        for (int i = 0; i < result.Length; i++)
        {
            int id = _backward.InputIds[i];
            int p = _forward.Parameters.IndexOf(id);
            result[i] = p >= 0 ? _args[p] : _forward.Captures.First(c => c.Id == id).Tensor;
        }
        return result;
    }

    /// <summary>Frees the kept values once every output's node was released (a backward without retainGraph ran through it).</summary>
    public void Release()
    {
        if (--_liveNodes > 0) return;
        _released = true;
        _saved = default;
    }
}
