namespace Nabla.Distributed;

/// <summary>
/// A collective (gradient bucket all-reduce, buffer broadcast, used-parameter flags) as one op of a compiled graph.
/// A collective is not a primitive: it moves bytes between processes and records nothing, so a trace would see only the
/// copies around it and a replay would skip the communication. Run as a custom function, the trace records one opaque
/// op that runs this C# code again on every call (<see cref="CustomFunction.ApplyAll"/>), with the real tensors of
/// that call. It changes its inputs in place and marks them dirty, which makes the op an effect: never dropped,
/// merged or moved, and a later guard can't restart the call after it (the other ranks would not repeat it).
/// </summary>
/// <remarks>
/// <paramref name="run"/> gets the inputs, changes them in place, and returns tensors it made (returned after the
/// inputs). Outside a trace it simply runs. Nothing is differentiated through a collective: callers apply it under
/// NoGrad, so no node is recorded.
/// </remarks>
internal sealed class CollectiveCall(string name, Func<Tensor[], Tensor[]> run) : CustomFunction
{
    public override string Name => name;

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        var made = run(inputs);
        ctx.MarkDirty(inputs);
        return [.. inputs, .. made];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) =>
        throw new NotSupportedException($"{name}: a collective inside a compiled step is not differentiable (it is applied under NoGrad); " +
            "report this, it should not be reached.");
}
