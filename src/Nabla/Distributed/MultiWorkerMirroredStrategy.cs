using Nabla.Engine;
using Nabla.Graphs;
using Nabla.NN;

namespace Nabla.Distributed;

/// <summary>
/// TensorFlow-style data parallelism (tf.distribute.MultiWorkerMirroredStrategy): inside <see cref="Scope"/>,
/// <c>optimizer.ApplyGradients(grads.Zip(vars))</c> first averages the gradients over the ranks (bucketed all-reduces,
/// the same engine as <see cref="DistributedDataParallel"/>), so every rank applies the same update. Variables are
/// copied from rank 0 when ApplyGradients first sees them; call <see cref="BroadcastVariables(Module)"/> after building
/// the model so that the first step's gradients are already computed from equal values (TF creates mirrored variables
/// equal; here the model is built by ordinary code on each rank).
/// </summary>
/// <remarks>
/// Gradients are averaged, not summed: compute each rank's loss as the mean over its own shard (TF instead sums and
/// expects the loss scaled by the global batch size, tf.nn.compute_average_loss; with equal shards the two agree).
/// A variable whose gradient is null on every rank stays null and is skipped by the optimizer; one that is null on
/// some ranks only counts as zeros there. One more small all-reduce per step finds which. Inside a compiled step
/// (<c>Graph.Compile</c>), the all-reduces are ops of the graph that every call runs (see
/// <see cref="GradientReducer.AverageInGraph"/>).
/// </remarks>
/// <example><code>
/// using var world = ProcessGroup.Init();
/// var strategy = new MultiWorkerMirroredStrategy();
/// var model = new Net();
/// strategy.BroadcastVariables(model);
/// var opt = new Adam(lr: 1e-3);
/// using (strategy.Scope())
///     foreach (var (x, y) in myShardOfTheData)
///     {
///         using var tape = new GradientTape();
///         var loss = Functional.CrossEntropy(model.Call(x), y);
///         opt.ApplyGradients(tape.Gradient(loss, model.TrainableVariables).Zip(model.TrainableVariables));
///         var meanLoss = strategy.Reduce(ReduceOp.Average, loss);   // a metric over all ranks
///     }
/// </code></example>
public sealed class MultiWorkerMirroredStrategy
{
    [ThreadStatic] static MultiWorkerMirroredStrategy? inScope;

    readonly double bucketCapMB;
    GradientReducer? reducer;
    Tensor[] reducerVariables = [];

    /// <summary>
    /// A strategy over <paramref name="group"/> (default: <see cref="ProcessGroup.Init"/>'s group, one rank without mpirun).
    /// <paramref name="bucketCapMB"/> caps one all-reduce's size as in DDP.
    /// </summary>
    public MultiWorkerMirroredStrategy(ProcessGroup? group = null, double bucketCapMB = GradientReducer.DefaultBucketCapMB)
    {
        if (!(bucketCapMB > 0))
            throw new ArgumentOutOfRangeException(nameof(bucketCapMB), $"MultiWorkerMirroredStrategy: the bucket cap must be a positive number of MiB, got {bucketCapMB} (called at {CallSite.Describe()}).");
        Group = group ?? ProcessGroup.Init();
        this.bucketCapMB = bucketCapMB;
    }

    /// <summary>The process group the gradients are averaged over.</summary>
    public ProcessGroup Group { get; }

    /// <summary>How many replicas (ranks) train together (TF's num_replicas_in_sync).</summary>
    public int NumReplicasInSync => Group.Size;

    /// <summary>The strategy whose <see cref="Scope"/> this thread is in, or null.</summary>
    internal static MultiWorkerMirroredStrategy? InScope => inScope;

    /// <summary>
    /// Inside the returned scope (on this thread), <c>Optimizer.ApplyGradients</c> averages gradients over the ranks
    /// before applying them. Scopes nest; disposing restores the outer one.
    /// </summary>
    public IDisposable Scope()
    {
        var outer = inScope;
        inScope = this;
        return new RunOnce(() => inScope = outer);
    }

    /// <summary>
    /// <paramref name="value"/> reduced over the ranks, on every rank (TF's strategy.reduce, for metrics):
    /// <see cref="ReduceOp.Average"/> for a mean loss, <see cref="ReduceOp.Sum"/> for counts. Not differentiable.
    /// </summary>
    public Tensor Reduce(ReduceOp op, Tensor value) => Group.AllReduce(value.Detach(), op);

    /// <summary>A scalar metric reduced over the ranks.</summary>
    public double Reduce(ReduceOp op, double value) => Group.AllReduce(value, op);

    /// <summary>Copies rank 0's trainable variables of <paramref name="model"/> to every rank (every rank calls it).</summary>
    public void BroadcastVariables(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        BroadcastVariables(model.TrainableVariables);
    }

    /// <summary>Copies rank 0's values of <paramref name="variables"/> to every rank, checking first that all ranks pass the same shapes.</summary>
    public void BroadcastVariables(IEnumerable<Tensor> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        ReducerFor([.. variables]).BroadcastParametersFromRankZero();
    }

    /// <summary>
    /// The averages over the ranks of <paramref name="pairs"/>' gradients (null where no rank had one). Variables it
    /// has not seen in this order before are first checked across ranks and copied from rank 0.
    /// </summary>
    internal List<(Tensor? Gradient, Tensor Variable)> AverageGradients(List<(Tensor? Gradient, Tensor Variable)> pairs, string op)
    {
        if (Graph.IsTracing) return AverageGradientsInGraph(pairs);
        var r = ReducerSetUpFor(pairs);
        r.Begin();
        for (int i = 0; i < pairs.Count; i++)
            r.Ready(i, pairs[i].Gradient is { } g ? g.To(pairs[i].Variable.DType) : null);
        var used = r.Finish(findUnused: true);
        return [.. pairs.Select((p, i) => (used[i] ? r.Averaged(i).Clone() : null, p.Variable))];
    }

    // Inside a compiled step (tf.function): the set-up (checks, rank 0's values) happens once, outside the graph, as
    // tf.init_scope would; the all-reduces are ops of the graph that every replay runs on that call's gradients, each
    // averaged in a copy so the caller's tensors stay as the tape returned them (as eager, which returns new tensors).
    List<(Tensor? Gradient, Tensor Variable)> AverageGradientsInGraph(List<(Tensor? Gradient, Tensor Variable)> pairs)
    {
        GradientReducer r;
        using (ReplayHooks.Lifted()) r = ReducerSetUpFor(pairs);
        Tensor?[] copies;
        using (Autograd.NoGrad())
            copies = [.. pairs.Select(p => p.Gradient is { } g ? g.Detach().To(p.Variable.DType).Clone() : null)];
        var averaged = r.AverageInGraph(copies, findUnused: true);
        return [.. pairs.Select((p, i) => (averaged[i], p.Variable))];
    }

    // The reducer for these variables in this order; variables not seen so before are first checked across ranks and
    // copied from rank 0.
    GradientReducer ReducerSetUpFor(List<(Tensor? Gradient, Tensor Variable)> pairs)
    {
        var variables = pairs.Select(p => p.Variable).ToArray();
        bool fresh = !variables.SequenceEqual(reducerVariables, ReferenceEqualityComparer.Instance);
        var r = ReducerFor(variables);
        if (fresh) r.BroadcastParametersFromRankZero();
        return r;
    }

    GradientReducer ReducerFor(Tensor[] variables)
    {
        if (reducer is null || !variables.SequenceEqual(reducerVariables, ReferenceEqualityComparer.Instance))
        {
            var names = variables.Select((v, i) => v is Variable named ? $"variable {i} '{named.Name}'" : $"variable {i}").ToArray();
            reducer = new GradientReducer(Group, variables, names, bucketCapMB, "MultiWorkerMirroredStrategy");
            reducerVariables = variables;
        }
        return reducer;
    }
}
