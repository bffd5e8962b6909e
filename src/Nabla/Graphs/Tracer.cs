using Nabla.Backends;
using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Custom;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Random;

namespace Nabla.Graphs;

/// <summary>
/// Records a function into a <see cref="TracedGraph"/> while it runs once on real arguments (trace by
/// running, like torch.jit.trace or tf.function's first call): each primitive call becomes an op, each
/// write a side-effect op in program order, each host read a guard, each value from the host a
/// constant. Added with <c>Dispatch.Observe</c> for the length of the call.
/// </summary>
internal sealed partial class Tracer : Interpreter
{
    readonly TracedGraph _graph = new();
    readonly Dictionary<Tensor, int> _ids = new(ReferenceEqualityComparer.Instance);
    readonly List<Tensor> _tensors = [];                       // by value id: the traced tensor
    readonly Dictionary<Storage, int> _byStorage = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Storage> _madeInside = new(ReferenceEqualityComparer.Instance);
    readonly List<(GraphOp Op, Tensor Made)> _leaves = [];
    readonly Dictionary<int, bool> _gradKnown = [];             // value id -> whether its .Grad is known present
    readonly bool _firstTrace;
    readonly bool _fullGraph;
    readonly bool _allSites;
    SourceSite? _firstWrite;
    int _paused;

    /// <summary>
    /// Starts a trace whose parameters are <paramref name="args"/>, named <paramref name="names"/>. <paramref name="allSites"/>:
    /// record every op's line (else only where a replay may need it, see <see cref="Primitive.MayFailInReplay"/>); also
    /// when the trace runs under anomaly detection, whose reports name the line of the op that made a non-finite value.
    /// </summary>
    public Tracer(Tensor[] args, string[] names, bool firstTrace, bool fullGraph, bool allSites = false)
    {
        _firstTrace = firstTrace;
        _fullGraph = fullGraph;
        _allSites = allSites || GradMode.AnomalyDetection;
        for (int i = 0; i < args.Length; i++)
        {
            // The same tensor passed twice is one value (the signature says which arguments alias).
            int id = _ids.TryGetValue(args[i], out var seen) ? seen : Bind(args[i], _graph.NewValue(args[i]));
            _graph.Parameters.Add(id);
            _graph.ParameterNames.Add(i < names.Length ? names[i] : $"args[{i}]");
        }
    }

    /// <summary>Sizes user code read while traced (<see cref="SizeReads"/>): the value read, and the line.</summary>
    public List<(int Value, string Site)> SizeReadsSeen { get; } = [];

    /// <summary>Records a read of <paramref name="t"/>'s sizes by user code (only tensors of this graph matter).</summary>
    public void NoteSizeRead(Tensor t)
    {
        if (Ignoring || !_ids.TryGetValue(t, out var id)) return;
        SizeReadsSeen.Add((id, CallSite.Describe()));
    }

    /// <summary>Whether a read of <paramref name="t"/>'s sizes could matter: a value of this graph that is not a capture (captures have fixed shapes).</summary>
    public bool MayHaveDynamicSizes(Tensor t) => !Ignoring && _ids.TryGetValue(t, out var id) && !_captureIds.Contains(id);

    readonly HashSet<int> _captureIds = [];

    /// <summary>Why the function cannot be replayed from a graph (null while it can).</summary>
    public string? Untraceable { get; private set; }

    SourceSite? _passSite;

    /// <summary>
    /// The user's line an op comes from. One stack walk per op is most of a trace's cost, so the ops of a
    /// backward pass, which all come from the line that started it, share one walk.
    /// </summary>
    SourceSite Site()
    {
        if (!Backprop.InPass) return CallSite.Here();
        return _passSite ??= CallSite.Here();
    }

    /// <summary>Why <paramref name="op"/> holds more than plain data a replay can reuse (a tensor, a delegate), or null.</summary>
    static string? NotPlainData(Primitive op) => PrimitiveCodec.WhyUnsavable(op.GetType());

    /// <summary>The finished graph, returning <paramref name="outputs"/>.</summary>
    public TracedGraph Finish(Tensor[] outputs)
    {
        foreach (var y in outputs) _graph.Outputs.Add(Id(y));
        // requiresGrad: true is set on a new tensor after the op that made it ran.
        foreach (var (op, made) in _leaves) op.RequiresGrad = made.RequiresGrad && made.IsLeaf;
        RecordingPlan.Decide(_graph, _tensors);
        return _graph;
    }

    public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
    {
        var rebuild = ReplayHooks.Take(ref PendingRebuild, op);   // first, so a scope never outlives its op
        if (Ignoring) return;
        if (op is CustomOutput)
        {
            NotTraceable($"it calls a CustomFunction ({op.Name}), which is not traceable yet");
            return;
        }
        // ViewHistory's record of an in-place change through a view: bookkeeping for autodiff that the
        // replayed write (Tensor.WriteResult) does again, not a computation.
        if (op is StridedScatter && outputs.Length == 1 && inputs.Length > 0 && ReferenceEquals(outputs[0], inputs[0])) return;
        if (NotPlainData(op) is { } why)
        {
            // A parameter that is a tensor (or another object) would be the traced call's forever: replays must
            // feed each call's values as inputs.
            NotTraceable($"the op {op.Name} holds more than plain data ({why}), so a replay could not give it this call's values");
            return;
        }
        if (!op.HasReference)
        {
            NotTraceable($"the op {op.Name} was recorded without a kernel, so it cannot be replayed");
            return;
        }

        var ids = Ids(inputs);
        var outs = new int[outputs.Length];
        for (int i = 0; i < outputs.Length; i++) outs[i] = Bind(outputs[i], _graph.NewValue(outputs[i]), madeHere: true);
        var node = new GraphOp
        {
            Kind = op is Transfer ? GraphOpKind.Transfer : inputs.Length == 0 ? GraphOpKind.Create : GraphOpKind.Call,
            Op = op.ForReplay(),   // the traced instance stays this call's record (its side outputs serve this call's backward)
            Inputs = ids,
            Outputs = outs,
            // NB: not Site(), one frame less for each op's stack walk. An op that can't fail in a replay skips the walk: for
            // a small function the walks were most of the trace's time, and its line is shown only by the graph's text.
            SiteSource = Backprop.InPass ? Site() : _allSites || op.MayFailInReplay ? CallSite.Here() : SourceSite.NotRecorded,
            GradEnabled = GradMode.Enabled,
            Device = outputs[0].Device,
            DrawSource = op is IRandomDraws draws ? SourceOf(draws) : null,
            Rebuild = rebuild,
        };
        _graph.Ops.Add(node);
        if (node.Kind == GraphOpKind.Create) _leaves.Add((node, outputs[0]));
    }

    public override void Write(Primitive op, Tensor[] inputs)
    {
        var rebuild = ReplayHooks.Take(ref PendingRebuild, op);
        if (Ignoring) return;
        if (NotPlainData(op) is { } why)
        {
            NotTraceable($"the write {op.Name} holds more than plain data ({why}), so a replay could not give it this call's values");
            return;
        }
        var node = new GraphOp { Kind = GraphOpKind.Write, Op = op.ForReplay(), Inputs = Ids(inputs), SiteSource = Site(), GradEnabled = GradMode.Enabled, Rebuild = rebuild };
        _graph.Ops.Add(node);
        _firstWrite ??= node.SiteSource;
    }

    public override void HostRead(Tensor t)
    {
        if (Ignoring) return;
        var site = Site();
        var bytes = HostValues.Bytes(t, observed: false);
        string text = HostValues.Format(bytes, t.DType);
        if (_fullGraph && t.DType.IsFloating())
            throw Errors.State("Graph.Compile", $"with FullGraph, the function reads a floating value ({text}, {Errors.Describe(t)}) to the host at {site} " +
                "(Item, ToArray or printing); a C# branch on it would be frozen into the graph. Compute with tensor ops such as Where " +
                "instead, or Graph.Cond / Graph.WhileLoop for a branch or loop that depends on it; or compile without FullGraph to retrace when the value changes.");
        if (_firstWrite is not null)
        {
            // A replay that fails this guard would already have done the write: it could neither finish nor start over.
            NotTraceable($"it reads a value to the host at {site} after an in-place update at {_firstWrite}; a failed guard could not undo the update");
            return;
        }
        _graph.Ops.Add(new GraphOp { Kind = GraphOpKind.Guard, Inputs = [Id(t)], SiteSource = site, Expected = bytes, ExpectedText = text });
    }

    public override void Checked(Tensor t, ValueCheck check)
    {
        if (Ignoring) return;
        _graph.Ops.Add(new GraphOp { Kind = GraphOpKind.Check, Inputs = [Id(t)], SiteSource = Site(), Check = check });
    }

    public override void HostWrite(Tensor t)
    {
        if (Ignoring) return;
        Tensor copy;
        _paused++;
        try { using (Autograd.NoGrad()) copy = t.CopyData(); }
        finally { _paused--; }
        var node = new GraphOp { Kind = GraphOpKind.Constant, Outputs = [Bind(t, _graph.NewValue(t), madeHere: true)], SiteSource = Site(), Constant = copy };
        _graph.Ops.Add(node);
        _leaves.Add((node, t));
    }

    public override void Backward(BackwardCall call, Tensor?[] results)
    {
        // The pass's ops, its seeds and its .Grad updates were recorded one by one as it ran: the graph holds
        // the backward itself, built from the primitives' VJP rules, not a call back into the engine.
        _passSite = null;   // the outermost pass ended: the next one may start at another line
        if (Ignoring) return;
        if (call.Accumulate) _firstWrite ??= CallSite.Here();   // a later host read could not undo the .Grad updates
    }

    public override void GradAssigned(Tensor t, Tensor? value)
    {
        if (Ignoring) return;
        int[] inputs = value is null ? [Id(t)] : [Id(t), Id(value)];
        if (value is not null) _mayHoldGrad.Add(inputs[0]);
        _graph.Ops.Add(new GraphOp { Kind = GraphOpKind.SetGrad, Inputs = inputs, SiteSource = Site() });
        _gradKnown[inputs[0]] = value is not null;
    }

    public override void GradRead(Tensor t)
    {
        if (Ignoring) return;
        int id = Id(t);
        bool present = t.GradUnobserved is not null;
        if (present) _mayHoldGrad.Add(id);
        if (_gradKnown.TryGetValue(id, out var known) && known == present) return;   // guarded or set already
        _gradKnown[id] = present;
        _graph.Ops.Add(new GraphOp
        {
            Kind = GraphOpKind.GradGuard, Inputs = [id], SiteSource = Site(),
            Expected = [present ? (byte)1 : (byte)0], ExpectedText = present ? ".grad present" : ".grad null",
        });
    }

    /// <summary>Nothing is recorded while the tracer copies a constant, or after it gave up.</summary>
    bool Ignoring => _paused > 0 || Untraceable is not null;

    void NotTraceable(string reason)
    {
        if (_fullGraph) throw Errors.State("Graph.Compile", $"with FullGraph, the function can't be compiled: {reason}.");
        Untraceable ??= reason;
    }

    /// <summary>
    /// The generator a random op just drew from (its draws end at that generator's offset), so each run
    /// draws again from it; null for a fixed seed, which every run reuses, as eager code does.
    /// </summary>
    static Generator? SourceOf(IRandomDraws op)
    {
        if (Generator.LastReserved is not { } g) return null;
        var (seed, offset) = g.State;
        return op.Seed == seed && op.Start + op.DrawCount == offset ? g : null;
    }
}
