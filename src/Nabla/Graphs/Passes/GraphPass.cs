namespace Nabla.Graphs.Passes;

/// <summary>
/// One rewrite of a finished trace (<see cref="PassPipeline"/> runs them in order). A pass replaces ops in
/// <see cref="TracedGraph.Ops"/> by new ones and never changes an op in place, so the list as it was before the
/// passes stays a valid graph to print; it leaves value ids as they are (a value no op makes any more is simply unused).
/// </summary>
internal abstract class GraphPass
{
    /// <summary>The switch that turns the pass on.</summary>
    public abstract GraphPasses Flag { get; }

    /// <summary>Short name, in <see cref="CompiledFunction.Explain"/> ("dce: removed 3 ops").</summary>
    public abstract string Name { get; }

    /// <summary>What the pass did, in words for the log ("removed 3 ops"), or null when it changed nothing.</summary>
    public abstract string? Run(PassContext context);
}
