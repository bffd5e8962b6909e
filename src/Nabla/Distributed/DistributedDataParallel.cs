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
/// accumulating the N shards' gradients in rank order and dividing by N. Eager training only: a compiled step
/// (<c>Graph.Compile</c>) does not replay the backward hooks, so tracing a call throws.
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
    /// </summary>
    public IDisposable NoSync()
    {
        bool before = requireSync;
        requireSync = false;
        return new RunOnce(() => requireSync = before);
    }

    void PrepareForward()
    {
        if (Graph.IsTracing)
            throw new NotSupportedException("DistributedDataParallel: a compiled step (Graph.Compile) cannot contain it: its gradient " +
                "all-reduces run from backward hooks, which a compiled replay does not run. Train eagerly, or compile ddp.Module for " +
                $"inference (called at {CallSite.Describe()}).");
        if (reducer.InRound)
            throw new InvalidOperationException("DistributedDataParallel: a forward started while the previous backward's gradient reduction " +
                $"is unfinished (called at {CallSite.Describe()}).");
        syncThisBackward = requireSync;
        if (IsTraining && options.BroadcastBuffers) BroadcastBuffers();
    }

    void BroadcastBuffers()
    {
        if (group.Size == 1) return;
        using var _ = Autograd.NoGrad();
        foreach (var (_, buffer) in Module.NamedBuffers())
            buffer.CopyFrom(group.Broadcast(buffer, root: 0));
    }

    // Called under the parameter's accumulation lock, with .Grad holding this pass's sum (plus what NoSync passes left).
    void OnGradientAccumulated(int index)
    {
        if (!syncThisBackward || !Backprop.InPass) return;
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
        if (missing.Count > 0 && !options.FindUnusedParameters)
            throw new DistributedException($"DistributedDataParallel: rank {group.Rank} computed no gradient for {missing.Count} parameter(s) in this " +
                $"backward pass: {string.Join(", ", missing)}. They were averaged as zeros from this rank. If the model legitimately skips " +
                "parameters, construct it with new DistributedDataParallelOptions { FindUnusedParameters = true }; otherwise make the loss " +
                $"depend on them (called at {CallSite.Describe()}).");
    }
}
