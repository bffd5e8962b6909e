using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Random;
using Nabla.Primitives.Write;

namespace Nabla.Graphs;

/// <summary>A guard that did not hold on a run: the value read now differs from the traced one.</summary>
internal sealed record GuardFailure(GraphOp Guard, string Now);

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
        var generatorAtStart = Generator.Default.State;

        foreach (var op in graph.Ops)
        {
            if (op.Kind == GraphOpKind.Guard)
            {
                var now = HostValues.Bytes(env[op.Inputs[0]]);
                if (now.AsSpan().SequenceEqual(op.Expected)) continue;
                // Nothing ran that the retrace would not run again (the tracer refuses writes before a guard),
                // except draws: give them back, so the retrace draws what eager code would.
                Generator.Default.State = generatorAtStart;
                failure = new GuardFailure(op, HostValues.Format(now, graph.Values[op.Inputs[0]].DType));
                return null;
            }
            if (op.GradEnabled || !GradMode.Enabled) RunOp(op, env);
            else
                using (Autograd.NoGrad()) RunOp(op, env);
        }
        return [.. graph.Outputs.Select(id => env[id])];
    }

    static void RunOp(GraphOp op, Tensor[] env)
    {
        var inputs = op.Inputs.Select(id => env[id]).ToArray();
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
                env[op.Outputs[0]] = alias;
                break;
            default:
                throw new InvalidOperationException($"internal: graph op kind {op.Kind}");
        }
    }

    /// <summary>The creation op for this run: random ops that drew from the global generator draw again.</summary>
    static Primitive Fresh(GraphOp op)
    {
        if (op.FreshDraws > 0 && op.Op is IRandomDraws random)
        {
            var (seed, start) = Generator.Default.Reserve(op.FreshDraws);
            return random.WithDraws(seed, start);
        }
        return op.Op!.ForReplay();
    }
}
