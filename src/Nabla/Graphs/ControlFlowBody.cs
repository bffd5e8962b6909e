using Nabla.Engine;
using Nabla.Primitives.Random;

namespace Nabla.Graphs;

/// <summary>
/// One body of a control-flow construct being traced (a Cond branch, a WhileLoop's cond or body, a Scan
/// step): its first call runs the C# function under a nested <see cref="Tracer"/> and keeps the graph;
/// later calls (the loop's next iterations) replay that graph, so the traced call computes exactly what
/// replays will. A body may not have side effects (writes, backward passes, .Grad assignments): a traced
/// branch runs on real values even where it is not taken, and a loop body's effects would be recorded once.
/// </summary>
internal sealed class TracedBody(string api, string role, Func<Tensor[], Tensor[]> function, IReadOnlyList<Tracer> outer, string site, Func<int, string> parameterName)
{
    /// <summary>"the body", "the ifTrue branch": for messages, with <see cref="Api"/>.</summary>
    public string Role { get; } = role;

    public string Api { get; } = api;

    /// <summary>The traced graph (its captures become parameters when the op is made), or null.</summary>
    public TracedGraph? Graph { get; private set; }

    /// <summary>Why the body can't be a graph (the enclosing function then runs eagerly), or null.</summary>
    public string? Untraceable { get; private set; }

    /// <summary>The tensors the body's trace made (its parameters and every value it computed), not the captures.</summary>
    public IReadOnlyList<Tensor> MadeInside { get; private set; } = [];

    /// <summary>Whether the body has been traced (run once under a tracer).</summary>
    public bool Traced { get; private set; }

    /// <summary>Traces on the first call, then replays the graph (or, when it couldn't be traced, calls the C# function).</summary>
    public Tensor[] Call(Tensor[] args) =>
        !Traced ? Trace(args) : Graph is { } g ? ControlFlowOp.RunBody(g, args, Api, Role, site) : function(args);

    /// <summary>Runs the body on <paramref name="args"/> under a nested tracer and keeps its graph.</summary>
    public Tensor[] Trace(Tensor[] args)
    {
        var (outputs, tracer) = RunTraced(args);
        Keep(tracer, outputs);
        return outputs;
    }

    /// <summary>
    /// Traces a body that this call does not take (the other branch, a loop body that runs zero times): it
    /// runs on real values, so the random draws it made are given back. An exception inside it makes the
    /// enclosing function run eagerly (<paramref name="swallow"/>; eagerly it would never run), and returns null.
    /// </summary>
    public Tensor[]? TraceNotTaken(Tensor[] args, bool swallow)
    {
        var before = Generator.Default.State;
        Tensor[] outputs;
        Tracer tracer;
        try { (outputs, tracer) = RunTraced(args); }
        catch (Exception e) when (swallow)
        {
            Generator.Default.State = before;
            Untraceable = $"{Role} of {Api} at {site}, traced although this call does not take it, failed on this call's values ({e.Message})";
            return null;
        }
        Keep(tracer, outputs);
        Generator.Default.State = before;
        if (Graph is not null)
            foreach (var (generator, state) in FirstDraws(Graph))
                if (!ReferenceEquals(generator, Generator.Default)) generator.State = state;
        return outputs;
    }

    (Tensor[] Outputs, Tracer Tracer) RunTraced(Tensor[] args)
    {
        Traced = true;
        // New handles (copies) for the parameters: a body that also uses the caller's tensor itself (a closure
        // over the loop's initial value, or a view of it) must read that as a capture, not as the loop variable.
        var parameters = new Tensor[args.Length];
        for (int i = 0; i < args.Length; i++) parameters[i] = args[i].Clone();
        var tracer = new Tracer(parameters, [.. Enumerable.Range(0, args.Length).Select(parameterName)],
            firstTrace: outer.Count == 0 || outer[^1].FirstTrace, fullGraph: outer.Any(t => t.FullGraph), allSites: outer.Any(t => t.AllSites));
        Tensor[] outputs;
        using (Dispatch.Observe(tracer)) outputs = function(parameters);
        return (outputs, tracer);
    }

    void Keep(Tracer tracer, Tensor[] outputs)
    {
        if (tracer.Untraceable is { } reason)
        {
            Untraceable = $"{Role} of {Api} at {site} can't be traced: {reason}";
            return;
        }
        var graph = tracer.Finish(outputs);
        // Not made inside: captures, and .Grad tensors read (GradOf), which exist outside the body too.
        var captured = new HashSet<Tensor>(graph.Captures.Select(c => c.Tensor), ReferenceEqualityComparer.Instance);
        foreach (var op in graph.Ops)
            if (op.Kind == GraphOpKind.GradOf) captured.Add(tracer.TracedTensors[op.Outputs[0]]);
        MadeInside = [.. tracer.TracedTensors.Where(t => !captured.Contains(t))];
        foreach (var op in graph.Ops)
        {
            string? effect = op.Kind switch
            {
                GraphOpKind.Write => $"updates a tensor in place ({op.Op!.Name})",
                GraphOpKind.HostEffect => $"changes C# state ({op.Effect!.What})",
                GraphOpKind.Custom when op.Custom!.Writes => $"updates a tensor in place (the custom function {op.Custom.Name} marks it dirty)",
                GraphOpKind.SetGrad => "assigns .Grad",
                _ => null,
            };
            if (effect is not null)
                throw Errors.State(Api, $"{Role} {effect} at {op.Site}. Inside a compiled function a body of {Api} is traced once and must be free " +
                    "of side effects: a branch is traced on real values even when it is not taken, and a loop body's update would be recorded once. " +
                    $"Return the new value instead (as a loop variable or an output) and update outside {Api}, or take gradients outside it (they flow through it).");
            if (op.Kind == GraphOpKind.Guard && graph.Values[op.Inputs[0]].DType.IsFloating())
            {
                Untraceable = $"{Role} of {Api} at {site} reads a floating value ({op.ExpectedText}) to the host at {op.Site}; a body's C# code runs once, " +
                    "when traced, so a decision on that value would be frozen. Use tensor ops (Tensor.Where, a nested Graph.Cond) instead";
                return;
            }
        }
        // State read by C# code (an optimizer's options, a module's mode) is checked before the enclosing graph runs.
        foreach (var guard in graph.HostGuards)
            foreach (var tracer1 in outer) tracer1.GuardHostState(guard.What, guard.Probe);
        graph.HostGuards.Clear();
        Graph = graph;
    }

    /// <summary>Where each generator the graph draws from stood before its first draw (its earliest reserved draw).</summary>
    static Dictionary<Generator, (long Seed, long Offset)> FirstDraws(TracedGraph graph)
    {
        var first = new Dictionary<Generator, (long, long)>(ReferenceEqualityComparer.Instance);
        Collect(graph, first);
        return first;

        static void Collect(TracedGraph g, Dictionary<Generator, (long, long)> first)
        {
            foreach (var op in g.Ops)
            {
                if (op.DrawSource is { } generator && op.Op is IRandomDraws draws
                    && (!first.TryGetValue(generator, out var seen) || draws.Start < seen.Item2))
                    first[generator] = (draws.Seed, draws.Start);
                if (op.Flow is { } flow)
                    foreach (var body in flow.Bodies) Collect(body, first);
            }
        }
    }
}
