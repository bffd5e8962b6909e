using System.Text;
using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>Which control-flow construct a <see cref="ControlFlowOp"/> is.</summary>
internal enum ControlFlowKind
{
    /// <summary>Graph.Cond: inputs (pred, captures...); bodies (ifTrue, ifFalse).</summary>
    Cond,
    /// <summary>Graph.WhileLoop: inputs (loop vars..., captures...); bodies (cond, body).</summary>
    While,
    /// <summary>Graph.Scan: inputs (init..., xs..., captures...); body (step).</summary>
    Scan,
}

/// <summary>
/// A control-flow construct recorded as one graph op (<see cref="GraphOpKind.ControlFlow"/>): its bodies as
/// graphs, and which of the op's inputs each body reads. A body's parameters are its explicit arguments (loop
/// variables, carry and slices; none for a branch) followed by the tensors it captured from the enclosing
/// function, which are inputs of the op (by value id), so the enclosing graph sees every dependency.
/// Running it (<see cref="Run"/>) issues the taken body's ops through Dispatch, so autodiff records them as it
/// records any other op: reverse mode keeps what each iteration needs, forward mode follows, any order.
/// </summary>
internal sealed class ControlFlowOp
{
    public required ControlFlowKind Kind { get; init; }

    /// <summary>The user's call of Graph.Cond / WhileLoop / Scan.</summary>
    public required string Site { get; init; }

    /// <summary>Cond: ifTrue, ifFalse; While: cond, body; Scan: step.</summary>
    public required TracedGraph[] Bodies { get; init; }

    /// <summary>For each body, the op input index of each captured tensor (its trailing parameters).</summary>
    public required int[][] CaptureInputs { get; init; }

    /// <summary>How many op inputs come before the captures (pred; loop vars; init and xs).</summary>
    public required int OperandCount { get; init; }

    /// <summary>While: the iteration limit (null: none).</summary>
    public int? MaxIterations { get; init; }

    /// <summary>Scan: how many of the operands are the initial carry (the rest are xs).</summary>
    public int CarryCount { get; init; }

    /// <summary>Scan: steps from the last slice to the first.</summary>
    public bool Reverse { get; init; }

    internal string Api => Kind switch { ControlFlowKind.Cond => ControlFlow.CondName, ControlFlowKind.While => ControlFlow.WhileName, _ => ControlFlow.ScanName };

    static readonly string[][] Roles = [["the ifTrue branch", "the ifFalse branch"], ["the cond function", "the body"], ["the step function"]];

    /// <summary>The generators the bodies draw from (so a failed guard of the enclosing graph gives their draws back).</summary>
    public IEnumerable<Generator> DrawSources => Bodies.SelectMany(b => b.DrawSources);

    /// <summary>
    /// The op for traced <paramref name="bodies"/>, and its inputs: the operands, then every tensor a body
    /// captured (once each). Each body's captures become its trailing parameters.
    /// </summary>
    public static (ControlFlowOp Op, Tensor[] Inputs) Create(ControlFlowKind kind, string site, Tensor[] operands, TracedBody[] bodies,
        int? maxIterations, int carryCount, bool reverse)
    {
        var inputs = new List<Tensor>(operands);
        var maps = new int[bodies.Length][];
        for (int b = 0; b < bodies.Length; b++)
        {
            var graph = bodies[b].Graph!;
            maps[b] = new int[graph.Captures.Count];
            for (int k = 0; k < graph.Captures.Count; k++)
            {
                var (id, tensor) = graph.Captures[k];
                int at = inputs.FindIndex(operands.Length, t => ReferenceEquals(t, tensor));
                if (at < 0)
                {
                    at = inputs.Count;
                    inputs.Add(tensor);
                }
                maps[b][k] = at;
                graph.Parameters.Add(id);
                graph.ParameterNames.Add($"capture{at - operands.Length}");
            }
            graph.Captures.Clear();
        }
        var op = new ControlFlowOp
        {
            Kind = kind, Site = site, Bodies = [.. bodies.Select(b => b.Graph!)], CaptureInputs = maps, OperandCount = operands.Length,
            MaxIterations = maxIterations, CarryCount = carryCount, Reverse = reverse,
        };
        return (op, [.. inputs]);
    }

    /// <summary>Runs the construct on this run's <paramref name="inputs"/> (the same code as eager and traced calls, with the bodies' graphs as functions).</summary>
    public Tensor[] Run(Tensor[] inputs)
    {
        Func<Tensor[], Tensor[]> Body(int b) => args =>
        {
            var all = new Tensor[args.Length + CaptureInputs[b].Length];
            args.CopyTo(all, 0);
            for (int k = 0; k < CaptureInputs[b].Length; k++) all[args.Length + k] = inputs[CaptureInputs[b][k]];
            return RunBody(Bodies[b], all, Api, Roles[(int)Kind][b], Site);
        };
        var outputs = Kind switch
        {
            ControlFlowKind.Cond => ControlFlow.Cond(inputs[0], Body(0), Body(1), Site),
            ControlFlowKind.While => ControlFlow.While(Body(0), Body(1), inputs[..OperandCount], MaxIterations, Site),
            _ => ControlFlow.Scan(Body(0), inputs[..CarryCount], inputs[CarryCount..OperandCount], Reverse, Site),
        };
        return ControlFlow.Fresh(outputs, inputs);
    }

    /// <summary>Replays one body's graph; a guard inside it that fails is an error (the body's C# code ran only when traced).</summary>
    internal static Tensor[] RunBody(TracedGraph body, Tensor[] args, string api, string role, string site) =>
        Replay.Run(body, args, out var failure) ?? throw Errors.State(api, $"in this call, {role} of {api} at {site} read a value to the host that differs " +
            $"from the traced one ({failure!.Change} at {failure.Site}). A body's C# code runs once, when traced, so a decision it took on that value " +
            "can't follow it: compute with tensor ops instead (Tensor.Where, a nested Graph.Cond), or call the function eagerly.");

    /// <summary>The op's line in a printed graph: <c>cond(%3) captures [%1, %2]</c>.</summary>
    public string Describe(int[] inputs)
    {
        string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(id => $"%{id}"));
        string operands = Kind switch
        {
            ControlFlowKind.Cond => $"cond(%{inputs[0]})",
            ControlFlowKind.While => $"while_loop({Ids(inputs[..OperandCount])}{(MaxIterations is int m ? $", max_iterations {m}" : "")})",
            _ => $"scan(init [{Ids(inputs[..CarryCount])}], xs [{Ids(inputs[CarryCount..OperandCount])}]{(Reverse ? ", reverse" : "")})",
        };
        return inputs.Length > OperandCount ? $"{operands} captures [{Ids(inputs[OperandCount..])}]" : operands;
    }

    /// <summary>Appends each body as an indented graph under the op's line.</summary>
    public static void AppendBodies(StringBuilder sb, ControlFlowOp flow, string indent)
    {
        string[] names = flow.Kind switch { ControlFlowKind.Cond => ["ifTrue", "ifFalse"], ControlFlowKind.While => ["cond", "body"], _ => ["step"] };
        for (int b = 0; b < flow.Bodies.Length; b++)
            foreach (var line in GraphPrinter.Print(flow.Bodies[b], names[b]).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries))
                sb.Append(indent).AppendLine(line);
    }
}
