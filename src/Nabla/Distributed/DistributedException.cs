namespace Nabla.Distributed;

/// <summary>An error in a distributed run: MPI missing, ranks that disagree on a collective, a failed MPI call.</summary>
public class DistributedException(string message) : Exception(message);

/// <summary>
/// A collective that did not finish in time (<see cref="ProcessGroup.Timeout"/>): its message names the ranks that
/// did not take part and what the others were doing.
/// </summary>
public sealed class DistributedTimeoutException(string message) : DistributedException(message);
