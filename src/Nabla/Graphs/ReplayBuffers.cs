using Nabla.Backends;
using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>Which ops of a quiet replay may record an autograd node: each kind has its own <see cref="ReplayBuffers"/>.</summary>
internal enum ReplayRecording
{
    /// <summary>Grad mode is off: no op records.</summary>
    None,
    /// <summary>A joint graph: no op records, and the backward keeps <see cref="BackwardGraph.SavedIds"/>.</summary>
    Joint,
    /// <summary>Grad mode is on without a joint graph: ops that record for the caller may keep what they read.</summary>
    PerOp,
}

/// <summary>
/// The buffers a quiet replay of one graph writes its intermediate values into, kept by the graph from call to
/// call instead of a new tensor per op (a static memory plan, as a CUDA graph's). A value gets a buffer only when
/// nothing outside the call can see it: made by a one-output primitive call and read only by such calls, all of
/// which run straight to their kernels (no autograd node keeps it), not an output, not kept by a joint graph's
/// backward, not written in place. A view of a value (an op with a view form, or an alias) counts as the value
/// itself: its readers are the value's readers, so the buffer lives until the last of them and stays pooled;
/// a view that leaves the call, or is read by anything else, keeps the value out of the plan. The new value of
/// an in-place assignment that records nothing (an optimizer's update) may have a buffer too: the write copies
/// it. Values whose lifetimes do not overlap share a buffer (same element count, dtype and device; an op
/// whose value has another shape than the buffer writes into a view of it, made once), freed after their last
/// reader. A call with several outputs that records nothing (max pooling, a fused program) only reads its inputs,
/// which may be buffers, and writes each output into a buffer of its own (<see cref="IntoMany"/>). With grad on, an op
/// none of whose inputs may require grad records nothing either (<see cref="MayRequireGrad"/>); an op planned as a view that copies in a replay (a reshape of a strided value) gets a buffer of its own
/// when the plan is built again. A view or alias of a buffer the plan did not foresee (a kernel that returns its input) may
/// outlive that plan: the buffer then leaves the pool (<see cref="AfterOp"/>), and a later value that was to
/// share it gets a new one. The graph holds its buffers between calls: as much memory as the pooled values
/// alive at once.
/// </summary>
internal sealed partial class ReplayBuffers
{
    /// <summary>What the plan says of one op.</summary>
    struct OpPlan
    {
        public bool Quiet;          // see Quiet()
        public int OutputSlot;      // the buffer its output is written into, or -1
        public int[]? InputSlots;   // per input: its buffer, or -1 (null when no input has one)
        public bool StableInputs;   // every input is a buffer or a capture: its filled input array stays right
        public bool PlannedView;    // a view of a buffer whose every use the plan counted in the buffer's lifetime
        public int WriteTarget;     // the value an assignment right after writes this op's value into (see WriteTargetOf), or -1
        public bool ReadsOnly;      // a several-output call that records nothing: it reads its inputs' buffers and keeps nothing
        public Shape? ViewShape;    // the output's shape where it differs from its buffer's (same element count): a view of the buffer
        public bool AssumedView;    // planned as a view of its first input (see NoteCopies)
        public int[]? WriteTargets; // per output of a several-output fused op: as WriteTarget (see WriteTargetsOf)
        public int[]? OutputSlots;  // per output of a several-output call that records nothing: its buffer, or -1 (see IntoMany)
        public Shape?[]? ViewShapes; // per output in OutputSlots: as ViewShape
    }

    readonly OpPlan[] _ops;
    readonly GraphValue[] _slotLayout;
    readonly Tensor?[] _slots;
    readonly Tensor?[] _views;   // per op with a ViewShape: its view of the buffer, made once per buffer
    readonly int _valueCount;
    // Goes up whenever a buffer is made or leaves the pool, or an op's value is not its buffer: input arrays
    // filled before hold other tensors than a fill would now.
    int _generation;
    int _made;   // the buffer the last Into made, or -1

    ReplayBuffers(OpPlan[] ops, GraphValue[] slotLayout, int valueCount, int pooledValues)
    {
        _ops = ops;
        _slotLayout = slotLayout;
        _slots = new Tensor?[slotLayout.Length];
        _views = new Tensor?[ops.Length];
        _valueCount = valueCount;
        PooledValues = pooledValues;
    }

    /// <summary>Off: every replay makes a new tensor per op, as before buffers were kept (to compare both in one process).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>How many values of the graph get a buffer (tests).</summary>
    public int PooledValues { get; }

    /// <summary>How many buffers they share (tests).</summary>
    public int SlotCount => _slots.Length;

    /// <summary>The plan of <paramref name="graph"/> for replays of this kind, built on first use and kept by the graph.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="recording">The kind of replay.</param>
    /// <param name="env">The call's environment with its arguments in place (what requires grad), or null: any may.</param>
    public static ReplayBuffers For(TracedGraph graph, ReplayRecording recording, Tensor?[]? env = null)
    {
        var plans = graph.BufferPlans ??= new ReplayBuffers?[3];
        ref var plan = ref plans[(int)recording];
        // NB: a pass that rewrites the graph after it replayed makes the plan stale; it is then made again.
        if (plan is null || plan._stale || plan._ops.Length != graph.Ops.Count || plan._valueCount != graph.Values.Count)
        {
            var copies = plan?._ops.Length == graph.Ops.Count ? plan._copies : null;
            if (plan is not null) Release(graph, plan);
            plan = Build(graph, recording, copies, env);
            plan._copies = copies;
            // Many megabytes kept for good: let them be the arrays the tracing call's temporaries leave (found dead
            // by a collection now), not new ones beside those (compiled_peak_memory, bench/README.md).
            Backend.ReclaimBeforeKeeping(plan.Bytes());
        }
        return plan;
    }

    /// <summary>
    /// The value id op number <paramref name="index"/> may write its output straight into, or -1: the destination of
    /// the assignment that runs right after it and is its value's only reader (an optimizer's <c>p.AddInPlace(...)</c>),
    /// for an op whose kernel may write over an input that is exactly its output's view (binary arithmetic, fused
    /// elementwise). The assignment then finds its source already in place and moves nothing.
    /// </summary>
    public int WriteTargetOf(int index) => _ops[index].WriteTarget;

    /// <summary>After the kernel did not write into the write target (a layout it does not take): ask no more.</summary>
    public void DropWriteTarget(int index) => _ops[index].WriteTarget = -1;

    /// <summary>
    /// <see cref="WriteTargetOf"/> for a fused program with several outputs (null: none): per output, the destination of
    /// the assignment among those right after it that is its value's only reader, or -1.
    /// </summary>
    public int[]? WriteTargetsOf(int index) => _ops[index].WriteTargets;

    /// <summary>After the kernel did not take the write targets (a layout or overlap it refuses): ask no more.</summary>
    public void DropWriteTargets(int index) => _ops[index].WriteTargets = null;

    static ReplayBuffers Build(TracedGraph graph, ReplayRecording recording, bool[]? copies, Tensor?[]? env)
    {
        var may = recording == ReplayRecording.PerOp ? MayRequireGrad(graph, env) : null;
        var ops = graph.Ops;
        int valueCount = graph.Values.Count;
        var plan = new OpPlan[ops.Count];
        // A view (or alias) shares its source's memory: its uses are uses of the value it views (its root), so
        // the root's buffer lives until the last of them, and a view that escapes the call keeps the root unpooled.
        var root = new int[valueCount];
        for (int id = 0; id < valueCount; id++) root[id] = id;
        var isView = new bool[ops.Count];
        var pooled = new bool[valueCount];
        var lastUse = new int[valueCount];
        for (int i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            bool records = may is not null && op.GradEnabled && op.RecordsForCaller && AnyInput(op, may);
            plan[i].Quiet = Quiet(op, records);
            plan[i].ReadsOnly = ReadsOnly(op, records);
            if ((isView[i] = MayView(op) && copies?[i] != true && op.Inputs.Length > 0 && (plan[i].Quiet || op.Kind == GraphOpKind.Alias))) root[op.Outputs[0]] = root[op.Inputs[0]];
            else if (plan[i].Quiet) pooled[op.Outputs[0]] = true;
            else if (plan[i].ReadsOnly)
                foreach (int id in op.Outputs)
                    if (id >= 0) pooled[id] = true;
            plan[i].AssumedView = isView[i] && plan[i].Quiet;
        }
        for (int i = 0; i < ops.Count; i++)
            for (int k = 0; k < ops[i].Inputs.Length; k++)
            {
                int id = ops[i].Inputs[k];
                lastUse[root[id]] = i;
                if (!plan[i].Quiet && !isView[i] && !plan[i].ReadsOnly && !CopiesFrom(ops[i], k, recording)) pooled[root[id]] = false;
            }
        foreach (int id in graph.Outputs) pooled[root[id]] = false;
        if (recording == ReplayRecording.Joint && graph.Backward is { } backward)
        {
            foreach (int id in backward.SavedIds) pooled[root[id]] = false;
            foreach (int id in backward.InputIds) pooled[root[id]] = false;
        }
        var captured = new bool[valueCount];
        foreach (var (id, _) in graph.Captures) captured[id] = true;

        var slotOf = new int[valueCount];
        var layouts = new List<GraphValue>();
        var free = new Dictionary<(int, DType, Device), Stack<int>>();
        var freedAt = new List<int>();
        int pooledCount = 0;
        for (int i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            ref var step = ref plan[i];
            step.OutputSlot = -1;
            if (op.Outputs.Length == 1 && pooled[op.Outputs[0]])
            {
                var value = graph.Values[op.Outputs[0]];
                step.OutputSlot = slotOf[value.Id] = free.TryGetValue(Key(value), out var stack) && stack.Count > 0 ? stack.Pop() : NewSlot(value);
                if (!layouts[step.OutputSlot].Shape.Equals(value.Shape)) step.ViewShape = value.Shape;
                pooledCount++;
            }
            else if (step.ReadsOnly) pooledCount += ManySlots(op, ref step);
            step.StableInputs = step.Quiet;
            step.PlannedView = isView[i] && pooled[root[op.Inputs[0]]];
            for (int k = 0; k < op.Inputs.Length; k++)
            {
                int id = op.Inputs[k];
                if (pooled[id]) (step.InputSlots ??= NoSlots(op.Inputs.Length))[k] = slotOf[id];
                else step.StableInputs &= captured[id];
            }
            // Inputs' buffers are freed after the op made its output, so an output never shares memory with an input.
            freedAt.Clear();
            foreach (int id in op.Inputs)
                if (pooled[root[id]] && lastUse[root[id]] == i && !freedAt.Contains(root[id]))
                {
                    freedAt.Add(root[id]);
                    Free(root[id]);
                }
            if (step.OutputSlot >= 0 && lastUse[op.Outputs[0]] <= i) Free(op.Outputs[0]);   // never read
            for (int k = 0; k < (step.OutputSlots?.Length ?? 0); k++)
                if (step.OutputSlots![k] >= 0 && lastUse[op.Outputs[k]] <= i) Free(op.Outputs[k]);   // after all its outputs have one
        }
        var reads = new int[valueCount];
        foreach (var op in ops)
            foreach (int id in op.Inputs) reads[id]++;
        for (int i = 0; i < ops.Count; i++)
        {
            plan[i].WriteTarget = -1;
            if (i + 1 < ops.Count && plan[i].Quiet && WritesInPlaceSafely(ops[i]) && ops[i].Outputs.Length == 1 &&
                ops[i + 1] is { Kind: GraphOpKind.Write, Op: Nabla.Primitives.Write.Assign } assign && CopiesFrom(assign, 1, recording) &&
                assign.Inputs[1] == ops[i].Outputs[0] && reads[ops[i].Outputs[0]] == 1 && !graph.Outputs.Contains(ops[i].Outputs[0]) &&
                graph.Values[assign.Inputs[0]] is var target && graph.Values[ops[i].Outputs[0]] is var value &&
                target.DType == value.DType && target.Device == value.Device && target.Shape.Equals(value.Shape))
                plan[i].WriteTarget = assign.Inputs[0];
            plan[i].WriteTargets = ManyWriteTargets(graph, i, reads, recording);
        }
        return new ReplayBuffers(plan, [.. layouts], valueCount, pooledCount);

        // Values of one element count share a buffer whatever their shapes: each op writes into a view of it shaped as its value.
        static (int, DType, Device) Key(GraphValue v) => (v.Shape.NumElements, v.DType, v.Device);

        // Each pooled output of a several-output call gets a buffer as a one-output op's value does (see IntoMany).
        int ManySlots(GraphOp op, ref OpPlan step)
        {
            int count = 0;
            for (int k = 0; k < op.Outputs.Length; k++)
            {
                if (op.Outputs[k] < 0 || !pooled[op.Outputs[k]]) continue;
                var value = graph.Values[op.Outputs[k]];
                int slot = slotOf[value.Id] = free.TryGetValue(Key(value), out var stack) && stack.Count > 0 ? stack.Pop() : NewSlot(value);
                (step.OutputSlots ??= NoSlots(op.Outputs.Length))[k] = slot;
                if (!layouts[slot].Shape.Equals(value.Shape)) (step.ViewShapes ??= new Shape?[op.Outputs.Length])[k] = value.Shape;
                count++;
            }
            return count;
        }

        static int[] NoSlots(int n)
        {
            var slots = new int[n];
            Array.Fill(slots, -1);
            return slots;
        }

        int NewSlot(GraphValue value)
        {
            layouts.Add(value);
            return layouts.Count - 1;
        }

        void Free(int id)
        {
            var key = Key(graph.Values[id]);
            if (!free.TryGetValue(key, out var stack)) free[key] = stack = new Stack<int>();
            stack.Push(slotOf[id]);
        }
    }

    /// <summary>
    /// The write targets of op <paramref name="i"/> when it is a fused program with several outputs: the assignments that
    /// run right after it, each the only reader of one of its outputs, give that output their destination.
    /// </summary>
    static int[]? ManyWriteTargets(TracedGraph graph, int i, int[] reads, ReplayRecording recording)
    {
        var (ops, op) = (graph.Ops, graph.Ops[i]);
        if (op is not { Kind: GraphOpKind.Call, Op: Nabla.Primitives.Elementwise.FusedElementwise { OutputCount: > 1 } }) return null;
        int[]? targets = null;
        for (int j = i + 1; j < ops.Count && ops[j] is { Kind: GraphOpKind.Write, Op: Nabla.Primitives.Write.Assign } assign && CopiesFrom(assign, 1, recording); j++)
        {
            int k = Array.IndexOf(op.Outputs, assign.Inputs[1]);
            if (k < 0 || targets?[k] >= 0 || reads[assign.Inputs[1]] != 1 || graph.Outputs.Contains(assign.Inputs[1])) break;
            var (target, value) = (graph.Values[assign.Inputs[0]], graph.Values[assign.Inputs[1]]);
            if (target.DType != value.DType || target.Device != value.Device || !target.Shape.Equals(value.Shape)) break;
            if (targets is null) Array.Fill(targets = new int[op.Outputs.Length], -1);
            targets[k] = assign.Inputs[0];
        }
        return targets;
    }

    /// <summary>Whether op's kernel may take an input that is exactly its output's view (see <see cref="WriteTargetOf"/>).</summary>
    static bool WritesInPlaceSafely(GraphOp op) => op.Op is Nabla.Primitives.Elementwise.Add or Nabla.Primitives.Elementwise.Sub
        or Nabla.Primitives.Elementwise.Mul or Nabla.Primitives.Elementwise.Div or Nabla.Primitives.Elementwise.Maximum
        or Nabla.Primitives.Elementwise.Minimum or Nabla.Primitives.Elementwise.FusedElementwise;

    /// <summary>
    /// Whether <paramref name="op"/> only copies its input number <paramref name="k"/> and keeps nothing of it: the
    /// new value of an in-place assignment (an optimizer's <c>buf.Assign(buf * momentum)</c>) that records no
    /// history: traced with grad off (an optimizer step), or replayed without grad (grad mode off, or a joint
    /// graph: Replay runs writes without grad then).
    /// </summary>
    static bool CopiesFrom(GraphOp op, int k, ReplayRecording recording) =>
        k == 1 && op.Kind == GraphOpKind.Write && op.Op is Nabla.Primitives.Write.Assign && (recording != ReplayRecording.PerOp || !op.GradEnabled);
}
