namespace Nabla.Distributed;

/// <summary>Settings of <see cref="DistributedDataParallel"/> (the keyword arguments of torch.nn.parallel.DistributedDataParallel).</summary>
public sealed record DistributedDataParallelOptions
{
    /// <summary>
    /// The most gradient bytes one all-reduce carries, in MiB (PyTorch's bucket_cap_mb, default 25). Smaller buckets
    /// start travelling earlier in backward; larger ones pay the per-message latency fewer times.
    /// </summary>
    public double BucketCapMB { get; init; } = 25;

    /// <summary>
    /// Whether each training-mode forward first copies rank 0's buffers (BatchNorm running statistics) to every rank,
    /// as PyTorch's broadcast_buffers (default true). Buffers are also copied once at construction.
    /// </summary>
    public bool BroadcastBuffers { get; init; } = true;

    /// <summary>
    /// Whether parameters may get no gradient in a backward pass (PyTorch's find_unused_parameters, default false).
    /// When true, a parameter without a gradient on this rank contributes zeros, one more small all-reduce per step finds
    /// the parameters no rank used, and those keep the gradient they had (null stays null, so optimizers skip them);
    /// the others get the average over the ranks. When false, a parameter without a gradient makes <c>Backward</c>
    /// throw (after the all-reduces, so the other ranks do not hang), naming it.
    /// </summary>
    public bool FindUnusedParameters { get; init; }
}
