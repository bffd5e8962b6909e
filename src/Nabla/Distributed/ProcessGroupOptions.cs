namespace Nabla.Distributed;

/// <summary>Settings of <see cref="ProcessGroup.Init"/>.</summary>
public sealed record ProcessGroupOptions
{
    /// <summary>
    /// How long one collective may wait for the other ranks before it throws <see cref="DistributedTimeoutException"/>
    /// naming them. Default: NABLA_DIST_TIMEOUT (seconds) when set, else 300 s.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Fixed reduction order: sums over ranks are computed as ((t₀ + t₁) + t₂) + … in rank order on every rank (an
    /// all-gather, then local adds), so N ranks give bit for bit what one process gets by adding the N shards'
    /// gradients in order. Costs N times the memory and traffic of MPI's all-reduce. Default: NABLA_DETERMINISTIC=1.
    /// </summary>
    public bool? Deterministic { get; init; }
}
