using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>
/// Checks a loaded graph by running it once, at load time, on the reference device: on zeros of each
/// argument's and weight's layout, every op through Dispatch with its parameters from the file, every
/// result read back in full and compared with the shape and dtype the file records for it. The reference
/// backend computes with bounds-checked managed arrays, so an op whose parameters do not suit its inputs
/// (a reshape or view that reaches past its tensor, a window geometry larger than the image) fails here
/// with an exception instead of reaching the fast kernels, which trust the parameters the front end
/// checked. Guards are not compared (zeros are no traced value); random ops use the seeds in the file,
/// so the global generator is not touched. The bodies of control-flow ops are checked the same way, each run
/// once on its own (<see cref="GraphFileFlow"/>). Its cost is one reference-speed call per graph and body.
/// </summary>
internal static class GraphFileCheck
{
    public static void Verify(TracedGraph graph, Func<string, Exception> fail)
    {
        var env = new Tensor[graph.Values.Count];
        Tensor Zeros(int id) => Tensor.Zeros(graph.Values[id].Shape.ToArray(), graph.Values[id].DType, device: Device.Reference);
        using var noGrad = Autograd.NoGrad();
        foreach (var id in graph.Parameters) env[id] ??= Zeros(id);
        foreach (var (id, _) in graph.Captures) env[id] = Zeros(id);
        for (int k = 0; k < graph.Ops.Count; k++)
        {
            var op = graph.Ops[k];
            try
            {
                var inputs = Array.ConvertAll(op.Inputs, i => env[i]);
                Run(op, inputs, env, Zeros);
                foreach (var id in op.Outputs) Check(env[id], graph.Values[id], id);
                if (op.Kind == GraphOpKind.Write)
                    foreach (var id in op.Written) Check(env[id], graph.Values[id], id);
            }
            catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
            {
                throw fail($"op {k} ({op.Op?.Name ?? op.Kind.ToString()}, traced at {op.Site}) does not fit its values: running it on the reference device failed: {e.Message}");
            }
        }
    }

    static void Run(GraphOp op, Tensor[] inputs, Tensor[] env, Func<int, Tensor> zeros)
    {
        switch (op.Kind)
        {
            case GraphOpKind.Call:
                var p = op.Op!.ForReplay();
                var ys = p.OutputCount == 1 ? [Dispatch.Call(p, inputs)] : Dispatch.CallMany(p, inputs);
                for (int i = 0; i < ys.Length; i++) env[op.Outputs[i]] = ys[i];
                break;
            case GraphOpKind.Create:
                env[op.Outputs[0]] = Dispatch.Create(op.Op!.ForReplay(), Device.Reference);
                break;
            case GraphOpKind.Transfer:
                env[op.Outputs[0]] = inputs[0].CopyData();   // everything lives on the reference device here
                break;
            case GraphOpKind.Write:
                Dispatch.Write(op.Op!.ForReplay(), inputs);
                break;
            case GraphOpKind.Constant:
                env[op.Outputs[0]] = Dispatch.Transfer(op.Constant!, Device.Reference);
                break;
            case GraphOpKind.Alias:
                var (shape, strides, offset) = op.Layout;
                env[op.Outputs[0]] = inputs[0].View(shape, (int[])strides.Clone(), inputs[0].Offset + offset);
                break;
            case GraphOpKind.Guard:
                HostValues.Bytes(inputs[0], observed: false);   // the value must be readable; zeros are not the traced one
                break;
            case GraphOpKind.ControlFlow:
                // Its bodies were each run so when read, and their parameters and results checked against the op's values
                // (GraphFileFlow); the construct itself is not run: a loop would run as long as the file's data says.
                foreach (var id in op.Outputs) env[id] = zeros(id);
                break;
        }
    }

    static void Check(Tensor t, GraphValue v, int id)
    {
        if (!t.Shape.Equals(v.Shape) || t.DType != v.DType)
            throw new InvalidOperationException($"it makes value %{id} as {t.Shape} {t.DType.TorchName()}, but the file records {v.Shape} {v.DType.TorchName()}");
        HostValues.Bytes(t, observed: false);   // every element reachable: a view past its storage throws here
    }
}
