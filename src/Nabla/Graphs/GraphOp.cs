using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>What a <see cref="GraphOp"/> does when the graph runs.</summary>
internal enum GraphOpKind
{
    /// <summary>A primitive on inputs (views included): <c>Dispatch.Call</c> / <c>CallMany</c>.</summary>
    Call,
    /// <summary>A primitive without inputs (fill, range, random draw): <c>Dispatch.Create</c> on <see cref="GraphOp.Device"/>.</summary>
    Create,
    /// <summary>A copy to <see cref="GraphOp.Device"/> (<c>To(Device)</c>).</summary>
    Transfer,
    /// <summary>An in-place write into existing values (a side effect, kept in program order).</summary>
    Write,
    /// <summary>Data that came from the host inside the function: a copy held by the graph, copied again per run.</summary>
    Constant,
    /// <summary>A raw alias of another value's storage (another layout of the same memory, as Detach makes).</summary>
    Alias,
    /// <summary>A value read to the host: the run recomputes it and stops when it differs from the traced one.</summary>
    Guard,
    /// <summary>
    /// <c>.Grad</c> of input 0 set to input 1 (no input 1: to null, as ZeroGrad does), by user code or by a backward
    /// pass (its first gradient for a leaf; a pass that accumulates into an existing <c>.Grad</c> records a Write).
    /// </summary>
    SetGrad,
    /// <summary>The <c>.Grad</c> of input 0 as it is at this point of the run (an optimizer step reads it).</summary>
    GradOf,
    /// <summary>
    /// Whether input 0's <c>.Grad</c> is null, as when traced (<see cref="GraphOp.Expected"/>: 1 present, 0 null):
    /// C# code branches on it (ZeroGrad skips null gradients, Step skips parameters without one).
    /// </summary>
    GradGuard,
    /// <summary>A check of input 0's values (<see cref="GraphOp.Check"/>: indices in range...), run again on every call.</summary>
    Check,
    /// <summary>C# code every run repeats here (<see cref="GraphOp.Effect"/>: an optimizer's step count += 1).</summary>
    HostEffect,
    /// <summary>Graph.Cond, WhileLoop or Scan: <see cref="GraphOp.Flow"/> holds its bodies and runs them (ControlFlowOp.Run).</summary>
    ControlFlow,
    /// <summary>A CustomFunction call or its backward (<see cref="GraphOp.Custom"/>): runs the user's C# Forward / Backward on each run.</summary>
    Custom,
}

/// <summary>
/// One step of a traced graph. Holds the traced primitive instance for its parameters only: each run
/// calls it through <see cref="Primitive.ForReplay"/>, because an instance is one call's record.
/// </summary>
internal sealed class GraphOp
{
    public required GraphOpKind Kind { get; init; }

    /// <summary>The primitive (null for constants, aliases and guards).</summary>
    public Primitive? Op { get => _op; init => _op = value; }

    Primitive? _op;

    /// <summary>Ids of the values read, in the primitive's input order.</summary>
    public int[] Inputs { get => _inputs; init => _inputs = value; }

    int[] _inputs = [];

    /// <summary>Ids of the values made (none for writes and guards).</summary>
    public int[] Outputs { get; init; } = [];

    /// <summary>
    /// The user's code that made this op when traced ("Type.Method (File.cs:12)"), or "line not recorded" for an op that
    /// can't fail in a replay, traced without <see cref="CompileOptions.RecordAllSites"/> (<see cref="Engine.SourceSite.NotRecorded"/>).
    /// </summary>
    /// <remarks>Set as text, or as a <see cref="Engine.SourceSite"/> (a trace's ops), whose text is made when first read.</remarks>
    public string Site { get => _site ??= _source?.Text ?? "unknown location"; init => _site = value; }

    string? _site;
    Engine.SourceSite? _source;

    /// <summary><see cref="Site"/> as a <see cref="Engine.SourceSite"/> (what a replay hands <see cref="Engine.CallSite.Replaying"/>).</summary>
    public Engine.SourceSite SiteSource
    {
        get => _source ??= Site == Engine.SourceSite.NotRecordedText ? Engine.SourceSite.NotRecorded : Engine.SourceSite.Known(Site);
        init => _source = value;
    }

    /// <summary>Whether grad mode was on at this op when traced (an optimizer step runs under NoGrad, and so must its replay).</summary>
    public bool GradEnabled { get; init; } = true;

    /// <summary>
    /// Whether a replay must record this op for reverse mode (as traced) because its result can reach the
    /// caller's autodiff; false: it replays under no-grad (see <see cref="RecordingPlan"/>).
    /// </summary>
    public bool RecordsForCaller { get; set; } = true;

    /// <summary>Create, Transfer: the output's device.</summary>
    public Device Device { get; init; } = Device.Cpu;

    /// <summary>For a random op: the generator it drew from when traced; each run draws again from it (null: a fixed seed).</summary>
    public Generator? DrawSource { get; init; }

    /// <summary>Create, Constant: the output is a leaf that requires grad (<c>requiresGrad: true</c> at creation).</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Constant: the values, a private copy made when traced.</summary>
    public Tensor? Constant { get; init; }

    /// <summary>Alias: the layout of the alias, its offset counted from the source's.</summary>
    public (Shape Shape, int[] Strides, int RelativeOffset) Layout { get => _layout; init => _layout = value; }

    (Shape Shape, int[] Strides, int RelativeOffset) _layout;

    /// <summary>
    /// Alias: the alias is a contiguous reshape of a contiguous source (a squeeze of an integer result); a copy of the
    /// graph for other sizes gives it the reshaped sizes, and a replay checks the source is still contiguous.
    /// </summary>
    public bool ReshapesSource { get; init; }

    /// <summary>
    /// Alias: the alias has its source's shape, strides and offset (Detach, a raw view for a non-differentiable
    /// op); a replay then takes the source's layout as it is in that run, so one graph serves every size of a
    /// dynamic dimension.
    /// </summary>
    public bool SameLayoutAsSource { get; init; }

    /// <summary>Alias: why the alias is cut from the graph (Detach), copied onto each run's alias for error messages.</summary>
    public Engine.GraphCut? Cut { get; init; }

    /// <summary>Check: what the values must satisfy.</summary>
    public Engine.ValueCheck? Check { get; init; }

    /// <summary>Guard: the bytes read when traced, compared exactly (floats by their bits).</summary>
    public byte[] Expected { get; init; } = [];

    /// <summary>Guard: the traced value as text, for messages.</summary>
    public string ExpectedText { get; init; } = "";

    /// <summary>Call: the kernel the last quiet replay used (<see cref="Engine.Dispatch.CallUnobserved"/>).</summary>
    public Engine.KernelCache Kernel;

    /// <summary>Call: the input array quiet replays fill and clear, instead of one new array per run.</summary>
    public Tensor[]? InputBuffer;

    /// <summary>
    /// Call: the plan whose kept buffers and captures <see cref="InputBuffer"/> holds, left filled between calls, and
    /// the plan's generation then (see <see cref="ReplayBuffers.InputsReady"/>); null when it holds nothing to reuse.
    /// </summary>
    public ReplayBuffers? InputsKeptBy;
    public int InputsKeptAt;

    /// <summary>Call, Create, Write: builds this op's primitive on each run from C# state (a learning rate), instead of <see cref="Primitive.ForReplay"/>.</summary>
    public Func<Primitive>? Rebuild { get; init; }

    /// <summary>HostEffect: what runs.</summary>
    public HostAction? Effect { get; init; }

    /// <summary>ControlFlow: the construct, its traced bodies and which inputs each body reads.</summary>
    public ControlFlowOp? Flow { get; init; }

    /// <summary>Custom: the custom function and what the op runs of it (<see cref="CustomCallOp.Run"/>).</summary>
    public CustomCallOp? Custom { get; init; }

    /// <summary>Write: the inputs written (the primitive's <see cref="Primitive.Writes"/>).</summary>
    public int[] Written => Kind == GraphOpKind.Write && Op is not null ? [.. Op.Writes.Select(i => Inputs[i])] : [];

    /// <summary>
    /// This op with <paramref name="op"/> as its primitive, and no cached kernel or buffers: a step of a copy of
    /// the graph for other sizes of its dynamic dimensions (<see cref="DynamicGraph"/>).
    /// </summary>
    public GraphOp CopyWith(Primitive? op, Shape? aliasShape = null)
    {
        var copy = (GraphOp)MemberwiseClone();
        copy._op = op;
        if (aliasShape is not null) copy._layout = (aliasShape, Shape.ContiguousStrides(aliasShape.Span), 0);
        copy.Kernel = default;
        copy.InputBuffer = null;
        copy.InputsKeptBy = null;   // the copy's graph has its own buffers (ReplayBuffers)
        copy.InputsKeptAt = 0;
        return copy;
    }

    /// <summary>This op reading <paramref name="inputs"/> instead (a graph pass replaced values it reads), with no cached kernel or buffers.</summary>
    public GraphOp ReadingFrom(int[] inputs, Primitive? op = null)
    {
        var copy = CopyWith(op ?? _op);
        copy._inputs = inputs;
        return copy;
    }
}
