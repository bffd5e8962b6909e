using Nabla.Engine;
using Nabla.NN;

namespace Nabla.Distributed;

/// <summary>
/// Data-parallel training across processes (torch.nn.parallel.DistributedDataParallel): wraps a module that every rank
/// builds alike, copies rank 0's parameters and buffers to every rank at construction, and makes
/// <c>loss.Backward()</c> return with every parameter's gradient averaged over the ranks. The gradients travel in
/// buckets (<see cref="DistributedDataParallelOptions.BucketCapMB"/>), each all-reduced as soon as backward has
/// accumulated all of its gradients, while backward goes on with the earlier layers. Each rank feeds its own shard of
/// the batch; the optimizer then takes the same step on every rank, so the parameters stay equal.
/// </summary>
/// <remarks>
/// The wrapped module is the child "module", so state-dict keys read "module.fc1.weight" as in PyTorch; save
/// <see cref="Module"/>'s state instead for keys without the prefix. With
/// <see cref="ProcessGroupOptions.Deterministic"/>, N ranks give bit for bit the parameters one process gets by
/// accumulating the N shards' gradients in rank order and dividing by N. A compiled step (<c>Graph.Compile</c> of
/// forward, <c>Backward</c> and the optimizer's step) records each bucket's all-reduce as one op after the traced
/// backward (see <see cref="GradientReducer.AverageInGraph"/>), which every replay runs: same buckets and numbers as
/// eager, without overlap with backward.
/// </remarks>
/// <example><code>
/// using var world = ProcessGroup.Init();
/// var model = new DistributedDataParallel(new Net());
/// var opt = new Sgd(model.Parameters(), lr: 0.1);
/// foreach (var (x, y) in myShardOfTheData)
/// {
///     opt.ZeroGrad();
///     Functional.CrossEntropy(model.Call(x), y).Backward();   // gradients averaged over the ranks here
///     opt.Step();
/// }
/// </code></example>
public sealed class DistributedDataParallel : Module
{
    readonly ProcessGroup group;
    readonly DistributedDataParallelOptions options;
    readonly Variable[] parameters;
    readonly GradientReducer reducer;
    bool requireSync = true;
    bool syncThisBackward = true;
    int noSyncScopesInTrace;      // NoSync scopes opened by the code being traced, still open
    bool forwardInGraph;          // the last forward was traced (a replay of it runs no C# code here)
    bool graphRoundQueued;        // this traced backward's all-reduce ops are queued for its end

    /// <summary>
    /// Wraps <paramref name="module"/>: checks that every rank has the same parameters (names the first that differs),
    /// copies rank 0's parameters and buffers to every rank, and registers the gradient hooks. Every rank must call it
    /// at the same point. <paramref name="group"/> defaults to <see cref="ProcessGroup.Init"/>'s group (one rank without mpirun).
    /// </summary>
    public DistributedDataParallel(Module module, ProcessGroup? group = null, DistributedDataParallelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is DistributedDataParallel)
            throw new ArgumentException($"DistributedDataParallel: the module is already a DistributedDataParallel; wrap the model once (called at {CallSite.Describe()}).", nameof(module));
        this.group = group ?? ProcessGroup.Init();
        this.options = options ?? new DistributedDataParallelOptions();
        RegisterModule("module", module);
        var named = module.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToArray();
        parameters = [.. named.Select(p => p.Parameter)];
        reducer = new GradientReducer(this.group, parameters, [.. named.Select(p => "module." + p.Name)], this.options.BucketCapMB, "DistributedDataParallel");
        reducer.BroadcastParametersFromRankZero();
        BroadcastBuffers();
        for (int i = 0; i < parameters.Length; i++)
        {
            int index = i;
            parameters[i].RegisterPostAccumulateGradHook(_ => OnGradientAccumulated(index));
        }
    }

    /// <summary>The wrapped module (PyTorch's ddp.module).</summary>
    public Module Module => NamedChildren().First().Module;

    /// <summary>The process group the gradients are averaged over.</summary>
    public ProcessGroup Group => group;

    /// <summary>The settings it was made with.</summary>
    public DistributedDataParallelOptions Options => options;

    /// <summary>How many gradient buckets one step all-reduces (for tuning <see cref="DistributedDataParallelOptions.BucketCapMB"/>).</summary>
    public int BucketCount => reducer.Buckets.Count;

    internal GradientReducer Reducer => reducer;

    /// <summary>Runs the wrapped module's one-tensor forward (through its <c>Call</c>, so its hooks fire).</summary>
    public override Tensor Forward(Tensor x)
    {
        PrepareForward();
        return Module.Call(x);
    }

    /// <summary>
    /// Runs any forward of the wrapped module, for modules that take or return several tensors:
    /// <c>ddp.Run(m =&gt; ((LSTM)m).Call(x, state))</c>. The backward of what it returns is synchronized as after <see cref="Forward"/>.
    /// </summary>
    public T Run<T>(Func<Module, T> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        PrepareForward();
        return forward(Module);
    }

    /// <summary>
    /// Inside the returned scope, forwards are followed by local-only backward passes: gradients accumulate in each
    /// rank's <c>.Grad</c> without communication (PyTorch's no_sync). The first backward after a forward outside the
    /// scope all-reduces the accumulated sums, so k micro-batches cost one all-reduce:
    /// <code>using (ddp.NoSync()) { loss1.Backward(); } loss2.Backward();   // loss2 computed outside</code>
    /// In a compiled step it works the same: a scope inside the step is part of the trace, and a step called inside a
    /// scope is traced once more for it (the scope is guarded).
    /// </summary>
    public IDisposable NoSync()
    {
        bool before = requireSync;
        bool inTrace = Graph.IsTracing;
        requireSync = false;
        if (inTrace) noSyncScopesInTrace++;
        return new RunOnce(() =>
        {
            requireSync = before;
            if (inTrace) noSyncScopesInTrace--;
        });
    }

    void PrepareForward()
    {
        if (reducer.InRound)
            throw new InvalidOperationException("DistributedDataParallel: a forward started while the previous backward's gradient reduction " +
                $"is unfinished (called at {CallSite.Describe()}).");
        forwardInGraph = Graph.IsTracing;
        graphRoundQueued = false;   // a traced pass that threw dropped its callback, which would have cleared it
        // Whether the backward synchronizes is decided while tracing and baked into the graph: a NoSync scope opened
        // outside the compiled step is guarded (retrace when it changes); one opened inside is part of the trace.
        if (forwardInGraph && noSyncScopesInTrace == 0) Graph.GuardHostState("DistributedDataParallel.NoSync", SyncProbe);
        syncThisBackward = requireSync;
        if (IsTraining && options.BroadcastBuffers) BroadcastBuffers();
    }

    string[] SyncProbe() => [requireSync ? "synchronized" : "NoSync"];

    string[] SyncThisBackwardProbe() => [syncThisBackward ? "synchronized" : "NoSync"];

    // Rank 0's buffers (BatchNorm's running statistics) on every rank before each training forward: one broadcast per
    // dtype with the buffers side by side, as the parameters' buckets, not one per buffer (a ResNet has a hundred).
    void BroadcastBuffers()
    {
        if (group.Size == 1) return;
        using var _ = Autograd.NoGrad();
        foreach (var sameType in Module.NamedBuffers().GroupBy(b => b.Buffer.DType))
        {
            Tensor[] buffers = [.. sameType.Select(b => b.Buffer)];
            if (!Graph.IsTracing)
            {
                BroadcastInto(buffers);
                continue;
            }
            // In a trace: one op that every replay runs, copying rank 0's values into this call's buffers.
            new CollectiveCall($"DistributedDataParallel.BroadcastBuffers({sameType.Key.TorchName()}: {string.Join(", ", sameType.Select(b => b.Name))})", given =>
            {
                BroadcastInto(given);
                return [];
            }).ApplyAll(buffers);
        }
    }

    void BroadcastInto(Tensor[] buffers)
    {
        var flat = Tensor.Concat([.. buffers.Select(b => b.Detach().Reshape(-1))]);
        group.BroadcastInPlace(flat, root: 0);
        int offset = 0;
        foreach (var buffer in buffers)
        {
            int n = buffer.NumElements;
            buffer.CopyFrom(flat.Narrow(0, offset, n).Reshape(buffer.Shape.ToArray()));
            offset += n;
        }
    }

    // Called under the parameter's accumulation lock, with .Grad holding this pass's sum (plus what NoSync passes left).
    void OnGradientAccumulated(int index)
    {
        if (!Backprop.InPass) return;
        // After a forward a replay ran (no C# code here), the scope the backward runs in decides.
        bool synchronize = forwardInGraph && !Graph.IsTracing ? requireSync : syncThisBackward;
        if (!synchronize) return;
        if (Graph.IsTracing)
        {
            if (graphRoundQueued) return;
            graphRoundQueued = true;
            // A backward traced after an eager forward: what that forward decided is baked in, so it is guarded.
            if (!forwardInGraph) Graph.GuardHostState("DistributedDataParallel forward's NoSync", SyncThisBackwardProbe);
            Backprop.QueueCallback(FinishBackwardInGraph);
            return;
        }
        if (!reducer.InRound)
        {
            reducer.Begin();
            Backprop.QueueCallback(FinishBackward);
        }
        reducer.Ready(index, parameters[index].Grad);
    }

    // End of backward: the buckets not yet launched go now; then every .Grad becomes the average over the ranks.
    void FinishBackward()
    {
        var missing = reducer.Missing.ToList();
        var used = reducer.Finish(options.FindUnusedParameters);
        using (Autograd.NoGrad())
            for (int i = 0; i < parameters.Length; i++)
            {
                if (!used[i]) continue;
                var average = reducer.Averaged(i);
                if (parameters[i].Grad is { } grad) grad.CopyFrom(average);
                else parameters[i].Grad = average.Clone();
            }
        if (missing.Count > 0 && !options.FindUnusedParameters) throw MissingGradients(missing);
    }

    // End of a traced backward: the all-reduces as ops of the graph (gradients averaged in place, a parameter without
    // one here gets the average of the others'), run again by every replay before the optimizer reads .Grad.
    void FinishBackwardInGraph()
    {
        graphRoundQueued = false;
        var grads = parameters.Select(p => p.Grad).ToArray();
        var missing = Enumerable.Range(0, grads.Length).Where(i => grads[i] is null).Select(reducer.NameOf).ToList();
        var averaged = reducer.AverageInGraph(grads, options.FindUnusedParameters);
        using (Autograd.NoGrad())
            for (int i = 0; i < parameters.Length; i++)
                if (grads[i] is null && averaged[i] is { } average)
                {
                    // The setter reports no assignment during a pass (the pass reports its own): this one is ours, for the trace.
                    parameters[i].Grad = average;
                    Dispatch.GradAssigned(parameters[i], average);
                }
        if (missing.Count > 0 && !options.FindUnusedParameters) throw MissingGradients(missing);
    }

    DistributedException MissingGradients(List<string> missing) =>
        new($"DistributedDataParallel: rank {group.Rank} computed no gradient for {missing.Count} parameter(s) in this " +
            $"backward pass: {string.Join(", ", missing)}. They were averaged as zeros from this rank. If the model legitimately skips " +
            "parameters, construct it with new DistributedDataParallelOptions { FindUnusedParameters = true }; otherwise make the loss " +
            $"depend on them (called at {CallSite.Describe()}).");
}
