using Nabla.Backends;
using Nabla.Engine;

namespace Nabla.Graphs;

internal static partial class Replay
{
    /// <summary>
    /// An op no interpreter needs to see: straight to its kernel, on the graph's own primitive instance (it
    /// records nothing, so no node keeps it; or the one its rebuild makes from C# state now) with its kernel
    /// looked up once.
    /// </summary>
    /// <remarks>
    /// An op that writes into a kept buffer (<see cref="ReplayBuffers"/>) runs with <paramref name="batch"/> open:
    /// such an op is elementwise and allocates nothing, and a row of them shares one raw-access scope.
    /// </remarks>
    static void RunQuiet(GraphOp op, int index, Tensor[] env, bool reuseInputs, ReplayBuffers? buffers, ref KernelBatch batch)
    {
        Tensor[] inputs;
        bool keep = buffers is not null && buffers.InputsReady(op);
        if (keep) inputs = op.InputBuffer!;
        else
        {
            if (reuseInputs) op.InputsKeptBy = null;
            inputs = reuseInputs ? op.InputBuffer ??= new Tensor[op.Inputs.Length] : new Tensor[op.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = env[op.Inputs[i]];
            keep = buffers is not null && buffers.KeepFilled(index, op, inputs);
        }
        // A write target: straight into the destination of the assignment that follows (which then moves nothing).
        int target = buffers?.WriteTargetOf(index) ?? -1;
        var into = target >= 0 ? env[target] : buffers?.Into(index, op);
        if (into is not null && target < 0) batch.Open();
        else batch.Close();
        var y = Dispatch.CallUnobserved(op.Rebuild is { } make ? make() : op.Op!, inputs, ref op.Kernel, into);
        if (target >= 0 && !ReferenceEquals(y, into)) buffers!.DropWriteTarget(index);
        buffers?.AfterOp(index, y, target >= 0 ? null : into, inputs.Length > 0 ? inputs[0] : y);
        env[op.Outputs[0]] = y;
        if (reuseInputs && !keep)
            for (int i = 0; i < inputs.Length; i++) inputs[i] = null!;   // the graph must not keep this call's tensors alive
    }

    /// <summary>
    /// <see cref="RunQuiet"/> for a call with several outputs that records nothing (max pooling, a fused program): each
    /// output goes where the plan says (<see cref="ReplayBuffers.IntoMany"/>): the destination of the assignment right
    /// after that is its value's only reader, or its buffer.
    /// </summary>
    static void RunQuietMany(GraphOp op, int index, Tensor[] env, bool reuseInputs, ReplayBuffers? buffers)
    {
        if (reuseInputs) op.InputsKeptBy = null;
        var inputs = reuseInputs ? op.InputBuffer ??= new Tensor[op.Inputs.Length] : new Tensor[op.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = env[op.Inputs[i]];
        var into = buffers?.IntoMany(index, op, env) ?? new Tensor?[op.Outputs.Length];
        var y = Dispatch.CallManyUnobserved(op.Rebuild is { } make ? make() : op.Op!, inputs, ref op.Kernel, into);
        buffers?.AfterMany(index, y, into);
        for (int j = 0; j < y.Length; j++)
            if (op.Outputs[j] >= 0) env[op.Outputs[j]] = y[j];
        if (reuseInputs) Array.Clear(inputs);   // the graph must not keep this call's tensors alive
    }
}
