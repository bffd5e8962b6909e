using Nabla.Engine;
using Nabla.Primitives;
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
/// random ops draw fresh numbers from the global generator as the eager front end would.
/// </summary>
internal static class Replay
{
    /// <summary>The outputs, or null with <paramref name="failure"/> set when a guard failed (the generator is then restored).</summary>
    public static Tensor[]? Run(TracedGraph graph, Tensor[] args, out GuardFailure? failure)
    {
        failure = null;
        var env = new Tensor[graph.Values.Count];
        for (int i = 0; i < args.Length; i++) env[graph.Parameters[i]] = args[i];
        foreach (var (id, tensor) in graph.Captures) env[id] = tensor;
        // Every generator the graph draws from, and where it stood, to give the draws back if a guard fails.
        var sources = graph.DrawSources;
        var statesAtStart = new (long, long)[sources.Count];
        for (int i = 0; i < statesAtStart.Length; i++) statesAtStart[i] = sources[i].State;
        string? effectsDone = null;
        foreach (var guard in graph.HostGuards)
            if (guard.Mismatch() is { } change)
            {
                failure = new GuardFailure(guard.Site, change);
                return null;
            }

        foreach (var op in graph.Ops)
        {
            if (op.Kind is GraphOpKind.Guard or GraphOpKind.GradGuard)
            {
                var now = op.Kind == GraphOpKind.Guard ? HostValues.Bytes(env[op.Inputs[0]], observed: true) : [env[op.Inputs[0]].Grad is null ? (byte)0 : (byte)1];
                if (now.AsSpan().SequenceEqual(op.Expected)) continue;
                string nowText = op.Kind == GraphOpKind.Guard ? HostValues.Format(now, graph.Values[op.Inputs[0]].DType) : now[0] == 1 ? ".grad present" : ".grad null";
                if (effectsDone is { } done)
                    throw Errors.State("CompiledFunction", $"in this call {nowText} at {op.Site} (traced: {op.ExpectedText}), after side effects of " +
                        $"the graph already ran ({done}); the call can't start over without repeating them. Make the function read it before " +
                        "its updates (for gradients: the same parameters must get gradients on every call), or call it eagerly.");
                // Nothing ran that the retrace would not run again, except draws: give them back, so the
                // retrace draws what eager code would.
                for (int i = 0; i < statesAtStart.Length; i++) sources[i].State = statesAtStart[i];
                failure = new GuardFailure(op.Site, $"value {op.ExpectedText} -> {nowText}");
                return null;
            }
            if (op.Kind is GraphOpKind.Write or GraphOpKind.Backward or GraphOpKind.SetGrad) effectsDone ??= $"{op.Kind} at {op.Site}";
            if (op.GradEnabled || !GradMode.Enabled) RunOp(op, env);
            else
                using (Autograd.NoGrad()) RunOp(op, env);
        }
        return [.. graph.Outputs.Select(id => env[id])];
    }

    static void RunOp(GraphOp op, Tensor[] env)
    {
        var inputs = new Tensor[op.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = env[op.Inputs[i]];
        switch (op.Kind)
        {
            case GraphOpKind.Call:
                var p = op.Op!.ForReplay();
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
                Dispatch.Write(op.Op!.ForReplay(), inputs);
                break;
            case GraphOpKind.Constant:
                Tensor copy;
                using (Autograd.NoGrad()) copy = op.Constant!.CopyData();
                if (op.RequiresGrad) copy.RequiresGrad = true;
                env[op.Outputs[0]] = copy;
                break;
            case GraphOpKind.Alias:
                var (shape, strides, offset) = op.Layout;
                var alias = inputs[0].View(shape, (int[])strides.Clone(), inputs[0].Offset + offset);
                alias.Cut = op.Cut;
                if (op.RequiresGrad) alias.RequiresGrad = true;
                env[op.Outputs[0]] = alias;
                break;
            case GraphOpKind.Backward:
                RunBackward(op, inputs, env);
                break;
            case GraphOpKind.SetGrad:
                inputs[0].Grad = inputs.Length > 1 ? inputs[1] : null;   // shown to an outer tracer, as eager code's assignment
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
            default:
                throw new InvalidOperationException($"internal: graph op kind {op.Kind}");
        }
    }

    static void RunBackward(GraphOp op, Tensor[] inputs, Tensor[] env)
    {
        var call = op.Pass!;
        int n = call.Roots.Length;
        var roots = inputs[..n];
        var rootGrads = inputs[n..(2 * n)];
        Tensor[]? asked = call.Inputs is null ? null : inputs[(2 * n)..];
        if (call.Accumulate)
        {
            Backprop.Accumulate(call.Op, roots, rootGrads, asked, call.RetainGraph, call.CreateGraph);
            return;
        }
        var grads = Backprop.Run(roots, rootGrads, asked, call.RetainGraph, call.CreateGraph, call.AllowUnused);
        for (int i = 0; i < op.Outputs.Length; i++)
            if (op.Outputs[i] >= 0) env[op.Outputs[i]] = grads[i] ?? throw new InvalidOperationException("internal: a replayed backward pass returned no gradient where the traced one did");
    }

    /// <summary>The creation op for this run: random ops that drew from the global generator draw again.</summary>
    static Primitive Fresh(GraphOp op)
    {
        if (op.DrawSource is { } generator && op.Op is IRandomDraws random)
        {
            var (seed, start) = generator.Reserve(random.DrawCount);
            return random.WithDraws(seed, start);
        }
        return op.Op!.ForReplay();
    }
}
