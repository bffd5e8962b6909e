using System.Runtime.CompilerServices;
using CallSite = Nabla.Engine.CallSite;
using Nabla.Engine;
using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>
/// How a <see cref="CustomFunction"/> (and so Autograd.CustomGradient and Autograd.Checkpoint) runs inside a
/// compiled function. Its Forward and Backward are user C# code that a graph of primitives cannot hold (the
/// saved context, closures, C# branches on NeedsInputGrad), so a trace records the call as ONE op
/// (<see cref="CustomCallOp"/>) that runs the function again on every call, as torch.compile keeps a custom op
/// opaque: the tracers are paused while it runs, so its inner ops are not recorded a second time, and the
/// outputs are new values of the graph. Each run then records the user's node for the caller's autodiff exactly
/// as eager code does (Backward, Jvp, MarkDirty, SetMaterializeGrads, OnceDifferentiable all as eager).
/// A backward pass inside the traced function that reaches such a call's node is recorded the same way, as one
/// op that runs the user's Backward on that run's context (its saved tensors and items are that run's).
/// Outside a trace both are the plain eager code.
/// </summary>
internal static class CustomCalls
{
    // The forward op each tracer recorded for each context, for the tracer's life only (a context lives as long as
    // the traced call's graph, which must not keep a tracer and its tensors).
    static readonly ConditionalWeakTable<Tracer, Dictionary<FunctionContext, CustomCallOp>> Recorded = new();

    /// <summary>
    /// <see cref="CustomFunction.ApplyAll"/>: eager, or run eagerly and recorded as one op in the recording tracers.
    /// <paramref name="needs"/>: see <see cref="CustomFunction.ApplyEagerly"/>.
    /// </summary>
    public static Tensor[] Apply(CustomFunction function, Tensor[] inputs, out FunctionContext ctx, bool[]? needs = null)
    {
        var tracers = Tracer.RecordingTracers();
        if (tracers is null) return function.ApplyEagerly(inputs, out ctx, needs);

        string site = CallSite.Describe();
        Tensor[] outputs;
        var made = new MadeInside();
        using (Tracer.PauseAll(tracers))
        using (Dispatch.Observe(made))
            outputs = function.ApplyEagerly(inputs, out ctx, needs);
        if (Array.Exists(outputs, y => y.CurrentTangents is not null))
        {
            // The tangents its Jvp computed are tensors the graph can't name; a replay would read them as frozen captures.
            GiveUp(tracers, $"it calls the custom function {function.Name} at {site} under a ForwardAccumulator opened inside the function, and " +
                "the tangents of a custom function can't be recorded; open the accumulator around the compiled call instead");
            return outputs;
        }
        var op = new CustomCallOp
        {
            Function = function, Site = site, GivenCount = inputs.Length, Writes = ctx.Dirty.Count > 0,
            OutputLayouts = [.. outputs.Select(y => (y.Shape, y.DType))],
            Needs = [.. Enumerable.Range(0, ctx.InputCount).Select(ctx.NeedsInputGrad)],
        };
        foreach (var tracer in tracers)
        {
            tracer.RecordCustom(op, ctx.AllInputs, outputs);
            Recorded.GetOrCreateValue(tracer)[ctx] = op;
        }
        made.Report(tracers, outputs, $"the C# Forward of the custom function {function.Name} (applied at {site})");
        return outputs;
    }

    /// <summary>
    /// The input gradients of output <paramref name="index"/> of a call (its node's VJP): eager, or, when a
    /// recording trace recorded the call, run eagerly and recorded as one op.
    /// </summary>
    public static Tensor?[] Backward(CustomFunction function, FunctionContext ctx, int index, Tensor gy)
    {
        var tracers = Tracer.RecordingTracers();
        // A call the trace did not record (applied before the traced function ran): its Backward's ops are
        // recorded as they run, as for any node of a graph built outside.
        if (tracers is null) return function.RunBackward(ctx, index, gy);
        CustomCallOp? forward = null;
        var knowing = new List<Tracer>();
        foreach (var tracer in tracers)
            if (Recorded.TryGetValue(tracer, out var calls) && calls.TryGetValue(ctx, out var recorded))
            {
                forward = recorded;
                knowing.Add(tracer);
            }
        if (forward is null) return function.RunBackward(ctx, index, gy);
        if (knowing.Count < tracers.Count)
            GiveUp([.. tracers.Except(knowing)], $"its backward pass reaches the custom function {function.Name} applied at {forward.Site} " +
                "by code traced in another compiled function; compile the function that applies it instead");

        bool[] needs = [.. Enumerable.Range(0, ctx.InputCount).Select(ctx.NeedsInputGrad)];
        Tensor?[] gx;
        var made = new MadeInside();
        using (Tracer.PauseAll(knowing))
        using (Dispatch.Observe(made))
            gx = function.RunBackward(ctx, index, gy);
        int[] slots = [.. Enumerable.Range(0, gx.Length).Where(i => gx[i] is not null)];
        var op = new CustomCallOp
        {
            Function = function, Site = CallSite.Describe(), Forward = forward, OutputIndex = index, Needs = needs, GradSlots = slots,
        };
        forward.KeepsContext = true;
        Tensor[] grads = [.. slots.Select(i => gx[i]!)];
        foreach (var tracer in knowing) tracer.RecordCustom(op, [gy, ctx.Outputs[0]], grads);
        made.Report(knowing, grads, $"the C# Backward of the custom function {function.Name} (applied at {forward.Site})");
        return gx;
    }

    /// <summary>
    /// The error a trace gives up with when code after a custom call uses a tensor its C# code made, other than
    /// the call's results: the graph has no value for it (only the call is an op), and reading the traced tensor
    /// on every replay would freeze it. This happens when a gradient inside the function differentiates the
    /// custom Backward's own ops (a second-order gradient inside the compiled function), or when C# code keeps
    /// an intermediate of Forward (in a field) and the function uses it.
    /// </summary>
    internal static string UsedOutside(Tensor t, string where) =>
        $"it uses a tensor ({Errors.Describe(t)}) made inside {where} at {CallSite.Describe()}, and a compiled function holds that call as one op " +
        "(its C# code runs on every call) with no value for the tensors made inside it. This happens with a higher-order gradient taken inside " +
        "the compiled function through the custom Backward's ops (take that gradient outside the compiled function: it works through replays), " +
        "or a tensor the C# code kept aside (return it as an output of the custom function instead)";

    /// <summary>Collects the tensors made while a custom function's C# code runs in a trace.</summary>
    sealed class MadeInside : Interpreter
    {
        readonly List<Tensor> _made = [];

        public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
        {
            foreach (var y in outputs) _made.Add(y);
        }

        public override void HostWrite(Tensor t) => _made.Add(t);

        /// <summary>Tells <paramref name="tracers"/> that the tensors made, except the op's <paramref name="results"/>, have no value in their graphs.</summary>
        public void Report(List<Tracer> tracers, Tensor[] results, string where)
        {
            var inside = _made.Where(t => !Array.Exists(results, y => ReferenceEquals(y, t))).ToList();
            if (inside.Count == 0) return;
            foreach (var tracer in tracers) tracer.MadeInCustomCode(inside, where);
        }
    }


    static void GiveUp(List<Tracer> tracers, string reason)
    {
        foreach (var tracer in tracers) tracer.GiveUp(reason);
    }
}
