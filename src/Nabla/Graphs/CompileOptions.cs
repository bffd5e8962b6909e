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

    /// <summary>
    /// One <see cref="TensorSpec"/> per tensor argument (tf.function's <c>input_signature</c>): calls must match it
    /// (rank, fixed sizes, dtype), else they throw; a <c>null</c> size is a dynamic dimension, so one trace serves every
    /// batch size instead of one trace per size. The trace follows each dynamic dimension through the ops and rebuilds
    /// the ops that hold sizes for each new size; where it can't (user code reads a dynamic size with <c>x.Shape</c>,
    /// an ambiguous reshape), the trace stays specialized to its sizes and <see cref="CompiledFunction.Explain"/> says
    /// why. Sizes 0 and 1 always get a trace of their own. Null: every size is part of the cache key.
    /// </summary>
    public IReadOnlyList<TensorSpec>? InputSignature { get; init; }

    /// <summary>
    /// Which graph passes run on each trace before its first replay (all by default). Each keeps results bitwise
    /// equal to eager code; switching one off helps to tell whether it is behind a difference.
    /// <see cref="CompiledFunction.TracedGraphFor"/> prints a trace as it was before them, <see cref="CompiledFunction.Explain"/> what each did.
    /// </summary>
    public GraphPasses Passes { get; init; } = GraphPasses.All;

    /// <summary>
    /// Record the user's line of every traced op (a stack walk per op, most of a small function's trace time). By default a
    /// trace records it only for the ops whose replay can still fail once the shapes and dtypes are the traced ones (index
    /// checks, guards, writes, anything not known to be total) and for every op of a trace with dynamic dims or under anomaly
    /// detection; the others (elementwise, reductions, movement, matmul) show "line not recorded" in
    /// <see cref="CompiledFunction.GraphFor"/>, <see cref="CompiledFunction.TracedGraphFor"/> and saved graph files, and an
    /// error in their replay names the line that called the compiled function. Switch it on to read every op's line.
    /// </summary>
    public bool RecordAllSites { get; init; }
}
