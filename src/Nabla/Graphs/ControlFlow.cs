using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>
/// The one implementation of Graph.Cond, WhileLoop and Scan, for all three ways they run:
/// eagerly (no trace recording: a plain C# branch or loop on values read from the device, every op recorded
/// by autodiff as usual), while a compiled function is traced (the recording tracers are paused, each body
/// is traced into its own graph by a nested tracer, and ONE control-flow op is recorded), and when a graph
/// replays that op (<see cref="ControlFlowOp.Run"/> calls back in here with the bodies' graphs as functions,
/// so a replay inside another trace is traced again). Bodies are functions of tensor arrays; the public
/// overloads in Graph.ControlFlow.cs adapt the user's delegates.
/// </summary>
internal static class ControlFlow
{
    public const string CondName = "Graph.Cond", WhileName = "Graph.WhileLoop", ScanName = "Graph.Scan";

    /// <summary>ifTrue() when <paramref name="pred"/> holds, else ifFalse(); in a trace, both are traced and one op is recorded.</summary>
    public static Tensor[] Cond(Tensor pred, Func<Tensor[], Tensor[]> ifTrue, Func<Tensor[], Tensor[]> ifFalse, string? site = null)
    {
        var tracers = Tracer.RecordingTracers();
        if (tracers is null) return (Truth(CondName, pred, "the predicate") ? ifTrue : ifFalse)([]);

        site ??= CallSite.Describe();
        using var paused = Tracer.PauseAll(tracers);
        bool taken = Truth(CondName, pred, "the predicate");
        TracedBody[] bodies =
        [
            new(CondName, "the ifTrue branch", ifTrue, tracers, site, _ => ""),
            new(CondName, "the ifFalse branch", ifFalse, tracers, site, _ => ""),
        ];
        var outputs = bodies[taken ? 0 : 1].Trace([]);
        var other = bodies[taken ? 1 : 0].TraceNotTaken([], swallow: true);
        if (GaveUp(tracers, bodies)) return outputs;
        CheckBranchesAgree(taken ? outputs : other!, taken ? other! : outputs);
        return Record(tracers, ControlFlowKind.Cond, site, [pred], bodies, outputs);
    }

    /// <summary>
    /// Runs body while cond holds (at most <paramref name="maxIterations"/> times); in a trace, cond and body
    /// are traced once (on the first iteration, or as not taken) and later iterations replay their graphs.
    /// </summary>
    public static Tensor[] While(Func<Tensor[], Tensor[]> cond, Func<Tensor[], Tensor[]> body, Tensor[] loopVars, int? maxIterations, string? site = null)
    {
        var tracers = Tracer.RecordingTracers();
        if (tracers is null) return Loop(cond, body, loopVars, maxIterations);

        site ??= CallSite.Describe();
        using var paused = Tracer.PauseAll(tracers);
        TracedBody c = new(WhileName, "the cond function", cond, tracers, site, i => $"v{i}");
        TracedBody b = new(WhileName, "the body", body, tracers, site, i => $"v{i}");
        var outputs = Loop(c.Call, b.Call, loopVars, maxIterations);
        // Not run for these values (cond false at once, or maxIterations 0): traced anyway, as not taken.
        if (!c.Traced && c.TraceNotTaken(loopVars, swallow: true) is { } p) CheckPredicate(WhileName, Predicate(p, c.Role), "the value of the cond function");
        if (!b.Traced && b.TraceNotTaken(loopVars, swallow: true) is { } next) CheckSame(WhileName, b.Role, "loop variable", next, loopVars);
        if (GaveUp(tracers, [c, b])) return outputs;
        return Record(tracers, ControlFlowKind.While, site, loopVars, [c, b], outputs, maxIterations);
    }

    /// <summary>
    /// Scans <paramref name="step"/> (carry ++ slices -> carry ++ ys) over the leading dim of every xs:
    /// returns the final carry followed by each y stacked along a new leading dim.
    /// </summary>
    public static Tensor[] Scan(Func<Tensor[], Tensor[]> step, Tensor[] init, Tensor[] xs, bool reverse, string? site = null)
    {
        int length = ScanLength(xs);
        var tracers = Tracer.RecordingTracers();
        if (tracers is null)
        {
            // An empty xs never runs step, but the shapes of its ys are needed: probe it once, as JAX traces it.
            var probe = new TracedBody(ScanName, "the step function", step, [], "", i => $"a{i}");
            return ScanLoop(step, init, xs, reverse, length, args => probe.TraceNotTaken(args, swallow: false)!);
        }

        site ??= CallSite.Describe();
        using var paused = Tracer.PauseAll(tracers);
        TracedBody s = new(ScanName, "the step function", step, tracers, site, i => i < init.Length ? $"carry{i}" : $"x{i - init.Length}");
        var outputs = ScanLoop(s.Call, init, xs, reverse, length, args => s.TraceNotTaken(args, swallow: false)!);
        if (GaveUp(tracers, [s])) return outputs;
        return Record(tracers, ControlFlowKind.Scan, site, [.. init, .. xs], [s], outputs, carryCount: init.Length, reverse: reverse);
    }

    static Tensor[] Loop(Func<Tensor[], Tensor[]> cond, Func<Tensor[], Tensor[]> body, Tensor[] loopVars, int? maxIterations)
    {
        var vars = loopVars;
        for (long i = 0; maxIterations is not int max || i < max; i++)
        {
            if (!Truth(WhileName, Predicate(cond(vars), "the cond function"), "the value of the cond function")) break;
            var next = body(vars);
            CheckSame(WhileName, "the body", "loop variable", next, loopVars);
            vars = next;
        }
        return vars;
    }

    static Tensor[] ScanLoop(Func<Tensor[], Tensor[]> step, Tensor[] init, Tensor[] xs, bool reverse, int length, Func<Tensor[], Tensor[]> probe)
    {
        var carry = init;
        if (length == 0)
        {
            var zeros = xs.Select(x => Tensor.Zeros(x.Shape.ToArray()[1..], x.DType, device: x.Device)).ToArray();
            var shapeOnly = probe([.. init, .. zeros]);
            CheckSame(ScanName, "the step function", "carry", shapeOnly[..init.Length], init);
            var empty = shapeOnly[init.Length..].Select(y => Tensor.Zeros([0, .. y.Shape.ToArray()], y.DType, device: y.Device));
            return [.. carry, .. empty];
        }
        Tensor[][] ys = new Tensor[length][];
        for (int k = 0; k < length; k++)
        {
            int t = reverse ? length - 1 - k : k;
            var outs = step([.. carry, .. xs.Select(x => x[t])]);
            CheckSame(ScanName, "the step function", "carry", outs[..init.Length], init);
            ys[t] = outs[init.Length..];
            if (k > 0) CheckSame(ScanName, "the step function", "output y", ys[t], ys[reverse ? length - 1 : 0]);
            carry = outs[..init.Length];
        }
        var stacked = new Tensor[ys[0].Length];
        for (int j = 0; j < stacked.Length; j++) stacked[j] = Tensor.Stack(ys.Select(y => y[j]).ToArray());
        return [.. carry, .. stacked];
    }

    /// <summary>The common leading length of <paramref name="xs"/> (each of rank 1 or more).</summary>
    static int ScanLength(Tensor[] xs)
    {
        if (xs.Length == 0) throw Errors.Arg(ScanName, "xs is empty; give at least one tensor to scan over (along its leading dim).");
        for (int i = 0; i < xs.Length; i++)
        {
            if (xs[i] is null) throw Errors.Arg(ScanName, $"xs[{i}] is null.");
            if (xs[i].Rank == 0)
                throw Errors.Arg(ScanName, $"xs[{i}] is a scalar ({Errors.Describe(xs[i])}); Scan steps along the leading dim, so each xs needs rank 1 or more.");
            if (xs[i].Shape[0] != xs[0].Shape[0])
                throw Errors.Arg(ScanName, $"xs[{i}] has leading dim {xs[i].Shape[0]} ({Errors.Describe(xs[i])}) but xs[0] has {xs[0].Shape[0]} ({Errors.Describe(xs[0])}); all xs are scanned together and need one length.");
        }
        return xs[0].Shape[0];
    }

    /// <summary>The tensor a cond function returned, checked to be one tensor.</summary>
    static Tensor Predicate(Tensor[] result, string role) => result.Length == 1 && result[0] is { } p ? p
        : throw new InvalidOperationException($"internal: {role} of {WhileName} gave {result.Length} results");

    /// <summary>Whether a one-element predicate holds: a bool, or a number (nonzero, NaN included, is true), as jax.lax.cond.</summary>
    internal static bool Truth(string api, Tensor pred, string what)
    {
        CheckPredicate(api, pred, what);
        return pred.Item<bool>();
    }

    static void CheckPredicate(string api, Tensor pred, string what)
    {
        if (pred is null) throw Errors.Arg(api, $"{what} is null.");
        if (pred.NumElements != 1)
            throw Errors.Arg(api, $"{what} must hold one element (a bool, or a number where nonzero is true), got {Errors.Describe(pred)}. " +
                "Reduce it first (Sum, Max, a comparison of a reduction), or use Tensor.Where to choose elementwise.");
    }

    /// <summary>
    /// Checks that <paramref name="now"/> has one tensor per tensor of <paramref name="reference"/>, each with
    /// its shape, dtype and device (TensorFlow's shape invariants for loop variables, JAX's for a scan's carry).
    /// </summary>
    internal static void CheckSame(string api, string role, string what, Tensor[] now, Tensor[] reference)
    {
        if (now.Length != reference.Length)
            throw Errors.State(api, $"{role} returned {now.Length} {what}(s) where {reference.Length} are expected; it must return one per {what}, in order.");
        for (int i = 0; i < now.Length; i++)
        {
            if (now[i] is null) throw Errors.State(api, $"{role} returned null as {what} {i}.");
            if (!now[i].Shape.Equals(reference[i].Shape) || now[i].DType != reference[i].DType || !now[i].Device.Equals(reference[i].Device))
                throw Errors.State(api, $"{role} returned {what} {i} as {Type(now[i])} but it must stay {Type(reference[i])} " +
                    $"(a {what} keeps its shape, dtype and device from step to step). Cast or reshape it inside the function, or start it with the right shape.");
        }
    }

    static void CheckBranchesAgree(Tensor[] ifTrue, Tensor[] ifFalse)
    {
        if (ifTrue.Length != ifFalse.Length)
            throw Errors.State(CondName, $"the ifTrue branch returns {ifTrue.Length} tensor(s) and the ifFalse branch {ifFalse.Length}; in a compiled function " +
                "both branches are one graph op and must return the same number of tensors, each of the same shape, dtype and device.");
        for (int i = 0; i < ifTrue.Length; i++)
            if (!ifTrue[i].Shape.Equals(ifFalse[i].Shape) || ifTrue[i].DType != ifFalse[i].DType || !ifTrue[i].Device.Equals(ifFalse[i].Device))
                throw Errors.State(CondName, $"output {i} is {Type(ifTrue[i])} in the ifTrue branch but {Type(ifFalse[i])} in the ifFalse branch; " +
                    "in a compiled function both branches are one graph op and must agree on each output's shape, dtype and device (as tf.cond and jax.lax.cond require).");
    }

    static string Type(Tensor t) => Errors.Describe(t) + (t.Device.Equals(Device.Cpu) ? "" : $" on {t.Device}");


    /// <summary>When a body could not be traced, the enclosing function can't be a graph either: it runs eagerly (FullGraph: an error).</summary>
    static bool GaveUp(List<Tracer> tracers, TracedBody[] bodies)
    {
        if (bodies.FirstOrDefault(b => b.Untraceable is not null) is not { } failed) return false;
        foreach (var tracer in tracers) tracer.GiveUp(failed.Untraceable!);
        return true;
    }

    /// <summary>Records the construct as one op in every recording tracer and returns its outputs.</summary>
    static Tensor[] Record(List<Tracer> tracers, ControlFlowKind kind, string site, Tensor[] operands, TracedBody[] bodies, Tensor[] outputs,
        int? maxIterations = null, int carryCount = 0, bool reverse = false)
    {
        var (flow, inputs) = ControlFlowOp.Create(kind, site, operands, bodies, maxIterations, carryCount, reverse);
        outputs = Fresh(outputs, inputs);
        foreach (var tracer in tracers)
        {
            tracer.RecordControlFlow(flow, inputs, outputs);
            foreach (var body in bodies) tracer.ForbidOutsideBodies(body.MadeInside);
        }
        return outputs;
    }

    /// <summary>
    /// A tensor made inside a traced body and used after it (a C# variable assigned in a branch): the graph
    /// holds no such value (the branch may not run, a loop body runs many times), so it is refused rather
    /// than read as a frozen capture.
    /// </summary>
    internal static InvalidOperationException UsedOutside(Tensor t) => Errors.State("Graph.Compile",
        $"a tensor ({Errors.Describe(t)}) made inside a Graph.Cond branch or a Graph.WhileLoop / Graph.Scan body is used after it; " +
        "in a compiled function it exists only inside the body (the branch may not run, a loop body runs many times). " +
        "Return it from the body (as an output, loop variable or y) and use the returned tensor.");

    /// <summary>
    /// The outputs, with a copy in place of any that is one of the op's inputs (a branch returning a captured
    /// tensor, a loop that ran zero times): a graph op's outputs are new values, so later in-place updates of
    /// the output never reach the input, on the traced call and on replays alike.
    /// </summary>
    internal static Tensor[] Fresh(Tensor[] outputs, Tensor[] inputs)
    {
        Tensor[]? copy = null;
        for (int i = 0; i < outputs.Length; i++)
            if (Array.Exists(inputs, x => ReferenceEquals(x, outputs[i])) || Array.FindIndex(outputs, y => ReferenceEquals(y, outputs[i])) < i)
                (copy ??= (Tensor[])outputs.Clone())[i] = outputs[i].Clone();
        return copy ?? outputs;
    }
}
