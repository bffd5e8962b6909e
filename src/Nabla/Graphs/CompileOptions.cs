namespace Nabla;

/// <summary>Options of <see cref="Graph.Compile(Func{Tensor, Tensor}, CompileOptions?)"/>.</summary>
public sealed record CompileOptions
{
    /// <summary>
    /// How many graphs one compiled function may trace (new signatures and failed guards each trace
    /// one). Past it, a warning with the history is written once to standard error and further calls that
    /// would trace run eagerly; with <see cref="FullGraph"/> they throw instead. 8, like torch.compile's
    /// recompile limit.
    /// </summary>
    public int RetraceLimit { get; init; } = 8;

    /// <summary>
    /// Refuse anything that would not give one replayable graph, as torch.compile(fullgraph=True): a
    /// floating value read to the host, an untraceable step (a backward pass or a CustomFunction inside),
    /// and going past <see cref="RetraceLimit"/> throw instead of running eagerly.
    /// </summary>
    public bool FullGraph { get; init; }
}
