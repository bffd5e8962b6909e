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

    /// <summary>
    /// Whether every collective first checks that all ranks joined it with the same shape and dtype (a small gather
    /// waited on with the deadline, so a missing rank is named and a mismatch explained). On by default. Off
    /// (or NABLA_DIST_CHECKS=0), an all-reduce goes straight into MPI_Allreduce as a C program's would: measured 0.65
    /// to 0.81 of a plain C loop's throughput at 256 KiB to 16 MiB with the check, 0.89 to 1.06 without (bench/README.md).
    /// A rank that never comes is then still caught, by a watchdog after <see cref="Timeout"/> that ends the run, but
    /// it cannot be named, and ranks that pass different shapes are not told so.
    /// </summary>
    public bool? Checked { get; init; }
}
