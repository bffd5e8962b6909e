using Nabla.Backends;
using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Random;
using Nabla.Primitives.Write;

namespace Nabla.Graphs;

/// <summary>A guard that did not hold on a run: the value read now differs from the traced one.</summary>
/// <summary>Why a replay stopped before running: where the guard was and what changed.</summary>
internal sealed record GuardFailure(string Site, string Change);

/// <summary>
/// Runs a <see cref="TracedGraph"/> on new arguments by calling Dispatch for each op, exactly as the
/// eager code did: so reverse-mode recording, tapes, forward mode and anomaly checks see compiled code
/// as they see eager code. Each op runs on a fresh primitive instance (<see cref="Primitive.ForReplay"/>);
/// random ops draw fresh numbers from the global generator as the eager front end would. When nothing but
/// reverse-mode recording would look, ops that record no node go straight to their kernels
/// (<see cref="RunQuiet"/>), writing values no one outside the call can see into buffers the graph keeps
/// (<see cref="ReplayBuffers"/>).
/// </summary>
internal static partial class Replay
{
    /// <summary>The outputs, or null with <paramref name="failure"/> set when a guard failed (the generator is then restored).</summary>
    /// <remarks><paramref name="joint"/>: whether a graph with a <see cref="TracedGraph.Backward"/> may replay as one node (false: a node per op, for a recomputation).</remarks>
    public static Tensor[]? Run(TracedGraph graph, Tensor[] args, out GuardFailure? failure, bool joint = true)
    {
        failure = null;
        if ((CapturesChanged(graph) ?? HostStateChanged(graph)) is { } changed)
        {
            failure = changed;
            return null;
        }
        // One environment per graph, reused by its calls (a compiled function runs one call at a time); a
        // call that re-enters the same graph (from a hook) gets its own.
        bool owns = Interlocked.Exchange(ref graph.EnvInUse, 1) == 0;
        var env = owns ? graph.Env ??= new Tensor[graph.Values.Count] : new Tensor[graph.Values.Count];
        var outerSite = CallSite.Replaying;
        try { return RunOps(graph, args, env, owns, joint, out failure); }
        finally
        {
            CallSite.Replaying = outerSite;
            if (owns)
            {
                Array.Clear(env);   // the graph must not keep this call's tensors alive
                Volatile.Write(ref graph.EnvInUse, 0);
            }
        }
    }

    static void BuildBackward(TracedGraph graph, Tensor[] env)
    {
        graph.BackwardPending = false;
        var ids = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int id = 0; id < env.Length; id++)
            if (env[id] is { } t) ids.TryAdd(t, id);
        graph.Backward = BackwardGraph.TryBuild(graph, env, t => ids.TryGetValue(t, out var id) ? id : null);
    }

    static GuardFailure? CapturesChanged(TracedGraph graph)
    {
        for (int i = 0; i < graph.Captures.Count; i++)
            if (graph.Captures[i].Tensor.RequiresGrad != graph.CaptureRequiresGrad[i])
            {
                var t = graph.Captures[i].Tensor;
                return new GuardFailure("the captured tensors", $"{(t is Variable v ? $"Variable '{v.Name}'" : $"capture %{graph.Captures[i].Id}")} " +
                    $"({t.Shape}): requires_grad {(graph.CaptureRequiresGrad[i] ? "true -> false" : "false -> true")}");
            }
        return null;
    }

    static GuardFailure? HostStateChanged(TracedGraph graph)
    {
        foreach (var guard in graph.HostGuards)
            if (guard.Mismatch() is { } change) return new GuardFailure(guard.Site, change);
        return null;
    }

    static Tensor[]? RunOps(TracedGraph graph, Tensor[] args, Tensor[] env, bool reuseInputs, bool joint, out GuardFailure? failure)
    {
        failure = null;
        for (int i = 0; i < args.Length; i++) env[graph.Parameters[i]] = args[i];
        foreach (var (id, tensor) in graph.Captures) env[id] = tensor;
        // Every generator the graph draws from, and where it stood, to give the draws back if a guard fails.
        var sources = graph.DrawSources;
        (long, long)[]? statesAtStart = null;
        // Nothing but reverse-mode recording looks at an op: ops that record no node skip the interpreters.
        bool recordAll = Tapes.Open is not null;
        bool quiet = !recordAll && !ForwardMode.Active && !GradMode.AnomalyDetection && Dispatch.Observers is null;
        // A joint graph: the forward records nothing, and each differentiable output gets one node at the end.
        var backward = joint && quiet && GradMode.Enabled ? graph.Backward : null;
        // The first replay that would use a joint graph records a node per op, then traces the joint backward from them.
        bool buildBackward = joint && quiet && GradMode.Enabled && backward is null && graph.BackwardPending;
        if (graph.GuardCount > 0 || backward is not null)
        {
            statesAtStart = new (long, long)[sources.Count];
            for (int i = 0; i < statesAtStart.Length; i++) statesAtStart[i] = sources[i].State;
        }
        string? effectsDone = null;
        // Intermediate values go into the graph's kept buffers, unless this call re-entered the graph (another
        // call uses them now).
        var buffers = quiet && reuseInputs && ReplayBuffers.Enabled
            ? ReplayBuffers.For(graph, !GradMode.Enabled ? ReplayRecording.None : backward is not null ? ReplayRecording.Joint : ReplayRecording.PerOp, env)
            : null;

        var ops = graph.Ops;
        var batch = new KernelBatch();   // open while consecutive ops write into kept buffers (see RunQuiet)
        try
        {
            for (int index = 0; index < ops.Count; index++)
            {
                var op = ops[index];
                // The common case first, with nothing else to decide: an op the plan runs straight to its kernel.
                // NB: no CallSite.Replaying for it: a kernel names no call site, and a failure names op.Site below.
                if (buffers is not null && buffers.RunsQuiet(index))
                {
                    try { RunQuiet(op, index, env, reuseInputs, buffers, ref batch); }
                    catch (Exception e) when (NamesNoSite(op, e)) { throw ReplayError(op, e); }
                    continue;
                }
                batch.Close();
                CallSite.Replaying = op.SiteSource;
                if (op.Kind is GraphOpKind.Guard or GraphOpKind.GradGuard)
                {
                    if (GuardHolds(graph, op, env, effectsDone, out string now)) continue;
                    // Nothing ran that the retrace would not run again, except draws: give them back, so the
                    // retrace draws what eager code would.
                    for (int i = 0; i < statesAtStart!.Length; i++) sources[i].State = statesAtStart[i];
                    failure = new GuardFailure(op.Site, $"value {op.ExpectedText} -> {now}");
                    return null;
                }
                if (op.Kind is GraphOpKind.Write or GraphOpKind.SetGrad or GraphOpKind.HostEffect || op.Custom is { Writes: true }) effectsDone ??= $"{op.Kind} at {op.Site}";
                // A tape open around the call may follow tensors the trace did not see followed: record as traced.
                bool records = backward is null && GradMode.Enabled && op.GradEnabled && (op.RecordsForCaller || recordAll);
                try
                {
                    if (quiet && op.Kind == GraphOpKind.Call && op.Op!.OutputCount == 1 && !(records && AnyRequiresGrad(op, env)))
                        RunQuiet(op, index, env, reuseInputs, buffers, ref batch);
                    else if (quiet && op.Kind == GraphOpKind.Call && op.Outputs.Length == op.Op!.OutputCount && !(records && AnyRequiresGrad(op, env)))
                        RunQuietMany(op, index, env, reuseInputs, buffers);
                    else if (records || !GradMode.Enabled) RunOp(op, env);
                    else
                        using (Autograd.NoGrad()) RunOp(op, env);
                    if (buffers is not null && buffers.ReadsBuffers(index)) buffers.AfterReader(index, op.Outputs, env);
                }
                catch (Exception e) when (NamesNoSite(op, e)) { throw ReplayError(op, e); }
            }
        }
        finally { batch.Close(); }
        var outputs = new Tensor[graph.Outputs.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = env[graph.Outputs[i]];
        if (backward is not null) CompiledCallRecord.Attach(graph, backward, args, env, outputs, statesAtStart!);
        if (buildBackward) BuildBackward(graph, env);
        foreach (var (index, name) in graph.ReleasedOutputs)
            if (outputs[index].GradFn is null) outputs[index].GradFn = new ReleasedNode(name, outputs[index].Shape, outputs[index].DType);
        return outputs;
    }

    /// <summary>
    /// Whether a guard op reads what it read when traced (else <paramref name="now"/>: what it reads, as text); an
    /// error when it does not and side effects of the call already ran.
    /// </summary>
    static bool GuardHolds(TracedGraph graph, GraphOp op, Tensor[] env, string? effectsDone, out string now)
    {
        now = "";
        var bytes = op.Kind == GraphOpKind.Guard ? HostValues.Bytes(env[op.Inputs[0]], observed: true) : [env[op.Inputs[0]].Grad is null ? (byte)0 : (byte)1];
        if (bytes.AsSpan().SequenceEqual(op.Expected)) return true;
        now = op.Kind == GraphOpKind.Guard ? HostValues.Format(bytes, graph.Values[op.Inputs[0]].DType) : bytes[0] == 1 ? ".grad present" : ".grad null";
        if (effectsDone is { } done)
            throw Errors.State("CompiledFunction", $"in this call {now} at {op.Site} (traced: {op.ExpectedText}), after side effects of " +
                $"the graph already ran ({done}); the call can't start over without repeating them. Make the function read it before " +
                "its updates (for gradients: the same parameters must get gradients on every call), or call it eagerly.");
        return false;
    }

    // An exception that does not name the op's traced line yet gets wrapped (ReplayError).
    static bool NamesNoSite(GraphOp op, Exception e) => e is not OutOfMemoryException && !e.Message.Contains(op.Site, StringComparison.Ordinal);

    static bool AnyRequiresGrad(GraphOp op, Tensor[] env)
    {
        foreach (var id in op.Inputs)
            if (env[id].RequiresGrad) return true;
        return false;
    }

    /// <summary>An op failed in a replay: the same kind of exception, naming the op and the user's line it was traced from.</summary>
    static Exception ReplayError(GraphOp op, Exception e)
    {
        string what = $"{op.Op?.Name ?? op.Custom?.Name ?? op.Kind.ToString().ToLowerInvariant()} (traced at {op.Site}) failed in a replay of the compiled function: {e.Message}";
        return e switch
        {
            ArgumentException => new ArgumentException(what, e),
            NotSupportedException => new NotSupportedException(what, e),
            _ => new InvalidOperationException(what, e),
        };
    }

    static void RunOp(GraphOp op, Tensor[] env)
    {
        var inputs = new Tensor[op.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = env[op.Inputs[i]];
        switch (op.Kind)
        {
            case GraphOpKind.Call:
                var p = ReplayHooks.PrimitiveFor(op);
                if (p.OutputCount == 1) env[op.Outputs[0]] = Dispatch.Call(p, inputs);
                else
                {
                    var ys = Dispatch.CallMany(p, inputs);
                    for (int i = 0; i < ys.Length; i++) env[op.Outputs[i]] = ys[i];
                }
                break;
            case GraphOpKind.Create:
                var made = Dispatch.Create(Fresh(op), op.Device);
                if (op.RequiresGrad) made.RequiresGrad = true;
                env[op.Outputs[0]] = made;
                break;
            case GraphOpKind.Transfer:
                env[op.Outputs[0]] = Dispatch.Transfer(inputs[0], op.Device);
                break;
            case GraphOpKind.Write when op.Op is Assign:
                // An in-place op of the front end: the write and the history that follows it (Tensor.Apply's tail).
                var (target, result) = (inputs[0], inputs[1]);
                target.WriteResult("in-place op (compiled)", result, GradMode.Enabled && (target.RequiresGrad || result.RequiresGrad));
                break;
            case GraphOpKind.Write:
                Dispatch.Write(ReplayHooks.PrimitiveFor(op), inputs);
                break;
            case GraphOpKind.Constant:
                Tensor copy;
                using (Autograd.NoGrad()) copy = op.Constant!.CopyData();
                if (op.RequiresGrad) copy.RequiresGrad = true;
                env[op.Outputs[0]] = copy;
                break;
            case GraphOpKind.Alias:
                var (shape, strides, offset) = op.Layout;
                if (op.ReshapesSource && !inputs[0].IsContiguous)
                    throw Errors.State("CompiledFunction", $"the graph reshapes %{op.Inputs[0]} {inputs[0].Shape} as a contiguous tensor, but it is not contiguous in this call; call the function eagerly (Graph.RunEagerly) and report this.");
                var alias = op.SameLayoutAsSource ? inputs[0].View(inputs[0].Shape, (int[])inputs[0].Strides.Clone(), inputs[0].Offset)
                    : inputs[0].View(shape, (int[])strides.Clone(), inputs[0].Offset + offset);
                alias.Cut = op.Cut;
                if (op.RequiresGrad) alias.RequiresGrad = true;
                env[op.Outputs[0]] = alias;
                break;
            case GraphOpKind.Check:
                Dispatch.Check(inputs[0], op.Check!);
                break;
            case GraphOpKind.SetGrad:
                inputs[0].Grad = inputs.Length > 1 ? inputs[1] : null;   // shown to an outer tracer, as eager code's assignment
                break;
            case GraphOpKind.HostEffect:
                ReplayHooks.RunEffect(op);
                break;
            case GraphOpKind.GradOf:
                env[op.Outputs[0]] = inputs[0].Grad ?? throw Errors.State("CompiledFunction",
                    $"the traced function read .Grad of a tensor ({Errors.Describe(inputs[0])}) at {op.Site}, and in this call it is null " +
                    "(no backward reached it). Run the backward pass before reading .Grad, as in the traced call.");
                break;
            case GraphOpKind.ControlFlow:
                var results = op.Flow!.Run(inputs);
                for (int i = 0; i < results.Length; i++) env[op.Outputs[i]] = results[i];
                break;
            case GraphOpKind.Custom:
                var custom = op.Custom!.Run(inputs);
                for (int i = 0; i < custom.Length; i++) env[op.Outputs[i]] = custom[i];
                break;
            default:
                throw new InvalidOperationException($"internal: graph op kind {op.Kind}");
        }
    }

    /// <summary>The creation op for this run: random ops that drew from the global generator draw again.</summary>
    static Primitive Fresh(GraphOp op)
    {
        if (op.DrawSource is { } generator && op.Op is IRandomDraws random)
        {
            var (seed, start) = generator.Reserve(random.DrawCount);
            return random.WithDraws(seed, start);
        }
        return ReplayHooks.PrimitiveFor(op);
    }
}
