using System.Text;
using Nabla.Primitives.Random;

namespace Nabla.Graphs;

/// <summary>
/// A traced graph as readable SSA, one line per op:
/// <c>%3 = mul(%1, %2) : [64, 10] float32  # Model.Forward (Model.cs:12)</c>.
/// </summary>
internal static class GraphPrinter
{
    public static string Print(TracedGraph g, string name)
    {
        var sb = new StringBuilder();
        sb.Append("graph ").Append(name).Append('(')
          .Append(string.Join(", ", g.Parameters.Select((id, i) => $"%{id} {g.ParameterNames[i]}: {Type(g, id)}"))).AppendLine(")");
        foreach (var (id, t) in g.Captures)
            sb.AppendLine($"  %{id} = capture {CaptureName(t)} : {Type(g, id)}");
        foreach (var op in g.Ops)
        {
            sb.AppendLine("  " + Line(g, op));
            if (op.Flow is { } flow) ControlFlowOp.AppendBodies(sb, flow, "    ");
        }
        sb.Append("  return ").AppendLine(string.Join(", ", g.Outputs.Select(id => $"%{id}")));
        return sb.ToString();
    }

    /// <summary>
    /// The graph in Graphviz DOT: parameters and captures as ellipses, each op as a box labelled with its
    /// SSA line, an edge per value from the op (or argument) that makes it to each op that reads it.
    /// </summary>
    public static string Dot(TracedGraph g, string name)
    {
        var sb = new StringBuilder();
        sb.Append("digraph ").Append(Quote(name)).AppendLine(" {");
        sb.AppendLine("  node [fontname=\"monospace\", fontsize=10];");
        var maker = new Dictionary<int, string>();
        for (int i = 0; i < g.Parameters.Count; i++)
        {
            int id = g.Parameters[i];
            if (maker.ContainsKey(id)) continue;
            maker[id] = $"p{id}";
            sb.AppendLine($"  p{id} [shape=ellipse, label={Quote($"%{id} {g.ParameterNames[i]}: {Type(g, id)}")}];");
        }
        foreach (var (id, t) in g.Captures)
        {
            maker[id] = $"c{id}";
            sb.AppendLine($"  c{id} [shape=ellipse, style=dashed, label={Quote($"%{id} capture {CaptureName(t)}: {Type(g, id)}")}];");
        }
        for (int k = 0; k < g.Ops.Count; k++)
        {
            var op = g.Ops[k];
            sb.AppendLine($"  op{k} [shape=box, label={Quote(Line(g, op))}];");
            foreach (int id in op.Inputs.Distinct())
                if (maker.TryGetValue(id, out var from)) sb.AppendLine($"  {from} -> op{k} [label=\"%{id}\"];");
            foreach (int id in op.Outputs)
                if (id >= 0) maker[id] = $"op{k}";
        }
        foreach (int id in g.Outputs.Distinct())
            if (maker.TryGetValue(id, out var from)) sb.AppendLine($"  {from} -> out [label=\"%{id}\"];");
        sb.AppendLine("  out [shape=doublecircle, label=\"return\"];");
        sb.AppendLine("}");
        return sb.ToString();
    }

    static string CaptureName(Tensor t) => t is Variable v ? $"Variable '{v.Name}'" : "tensor";

    static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    static string Line(TracedGraph g, GraphOp op)
    {
        string args = string.Join(", ", op.Inputs.Select(id => $"%{id}"));
        string results = string.Join(", ", op.Outputs.Select(id => id < 0 ? "_" : $"%{id}"));
        string types = string.Join(", ", op.Outputs.Select(id => id < 0 ? "none" : Type(g, id)));
        // [no_grad]: traced under no-grad; [unrecorded]: traced recording, but nothing outside the function can
        // reach its node (a backward inside consumed it), so replays skip the recording.
        string noGrad = (!op.GradEnabled ? " [no_grad]" : op.RecordsForCaller ? "" : " [unrecorded]") + (op.Rebuild is null ? "" : " [rebuilt per call]");
        string text = op.Kind switch
        {
            GraphOpKind.Write => $"{op.Op!.Name}({args})  writes {string.Join(", ", op.Written.Select(id => $"%{id}"))}{noGrad}",
            GraphOpKind.Guard => $"guard %{op.Inputs[0]} == {op.ExpectedText}",
            GraphOpKind.GradGuard => $"guard %{op.Inputs[0]}{op.ExpectedText}",
            GraphOpKind.Check => $"check %{op.Inputs[0]}: {op.Check}",
            GraphOpKind.SetGrad => $"%{op.Inputs[0]}.grad = {(op.Inputs.Length > 1 ? $"%{op.Inputs[1]}" : "null")}",
            GraphOpKind.GradOf => $"{results} = %{op.Inputs[0]}.grad : {types}",
            GraphOpKind.Constant => $"{results} = constant : {types}",
            GraphOpKind.Alias => $"{results} = alias({args}, strides [{string.Join(", ", op.Layout.Strides)}], offset {op.Layout.RelativeOffset:+0;-0;+0}) : {types}",
            GraphOpKind.Create when op.DrawSource is { } source => $"{results} = {op.Op!.Name}(draws {((IRandomDraws)op.Op!).DrawCount} from " +
                $"{(ReferenceEquals(source, Generator.Default) ? "the global generator" : "its own generator")}) : {types}",
            GraphOpKind.HostEffect => $"host: {op.Effect!.What}",
            GraphOpKind.ControlFlow => $"{results} = {op.Flow!.Describe(op.Inputs)} : {types}{noGrad}",
            GraphOpKind.Transfer => $"{results} = to_{op.Device}({args}) : {types}",
            GraphOpKind.Custom => $"{results} = {op.Custom!.Describe(op.Inputs)} : {types}{noGrad}",
            _ => $"{results} = {op.Op!.Name}({args}) : {types}{noGrad}",
        };
        return $"{text}  # {op.Site}";
    }

    static string Ids(IEnumerable<int> ids) => "[" + string.Join(", ", ids.Select(id => $"%{id}")) + "]";

    static string Type(TracedGraph g, int id)
    {
        var v = g.Values[id];
        return $"{v.Shape} {v.DType.TorchName()}" + (v.Device.Equals(Device.Cpu) ? "" : $" {v.Device}");
    }
}
