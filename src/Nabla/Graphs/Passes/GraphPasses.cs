namespace Nabla;

/// <summary>
/// The rewrites a compiled function runs on each trace before its first replay (<see cref="CompileOptions.Passes"/>).
/// Each keeps results bitwise equal to eager code, and each can be switched off on its own:
/// <c>new CompileOptions { Passes = GraphPasses.All &amp; ~GraphPasses.CommonSubexpressions }</c>.
/// <see cref="CompiledFunction.Explain"/> says what each one did to a trace.
/// </summary>
[Flags]
public enum GraphPasses
{
    /// <summary>No pass: the graph replays as traced.</summary>
    None = 0,

    /// <summary>Computes once, when compiling, ops whose inputs are all data made inside the function (constants, fills).</summary>
    ConstantFolding = 1,

    /// <summary>
    /// Removes ops that change nothing: <c>x*1</c>, <c>x/1</c>, <c>x-0</c>, <c>x+(-0.0)</c> (not <c>x+0.0</c>, which turns -0 into +0),
    /// permutes that cancel, reshape chains, expands and reshapes to the same shape.
    /// </summary>
    AlgebraicSimplification = 2,

    /// <summary>Computes once two ops of the same primitive, parameters and inputs (never random draws or across a write).</summary>
    CommonSubexpressions = 4,

    /// <summary>Removes ops whose results nothing uses and that have no effect (random draws, writes, guards stay).</summary>
    DeadCode = 8,

    /// <summary>
    /// Runs each chain of two or more elementwise ops on one float dtype and shape as one op that keeps its tiles in L1
    /// (never values that require grad, are written or are results but the chain's own).
    /// </summary>
    Fusion = 16,

    /// <summary>
    /// In a joint forward+backward graph, recomputes in the backward the values of cheap elementwise and view ops that
    /// the backward reads, from values it keeps anyway, when that keeps fewer bytes (never matmuls, reductions or draws).
    /// </summary>
    Recompute = 32,

    /// <summary>
    /// Drops the copy a backward pass makes of a leaf's first gradient when it copies new data nothing else reads (a
    /// matmul's result): the gradient is that data, written once.
    /// </summary>
    GradientCopies = 64,

    /// <summary>
    /// Runs each group of elementwise ops and last-dim reductions over the same rows (softmax, log-softmax, layer norm
    /// written from primitives) as one op that reads each row once (same rules on grad, writes and results as Fusion).
    /// </summary>
    RowFusion = 128,

    /// <summary>
    /// Runs a 2-D matrix product and its row-broadcast bias add, optional relu/gelu/tanh/sigmoid and optional residual add
    /// as one op that applies them to each block of output rows right after the GEMM computes it, and a convolution's GEMM with
    /// its per-channel bias and activation as one op that writes the conv's layout (same refusals as <see cref="Fusion"/>, but
    /// allowed in a training step whose backward is inside the function, where a replay records no node for them).
    /// </summary>
    Epilogues = 256,

    /// <summary>
    /// Lets <see cref="Fusion"/> run across in-place updates (an optimizer's <c>buf.MulInPlace(m).AddInPlace(g)</c>):
    /// elementwise reads of a parameter or state tensor just assigned read the assigned value instead, assignments
    /// overwritten before any read go, and the rest move down past the ops computing from their values, so one fused op
    /// computes the new values straight into their tensors (never where other memory may share them).
    /// </summary>
    InPlaceUpdates = 512,

    /// <summary>Every pass (the default).</summary>
    All = ConstantFolding | AlgebraicSimplification | CommonSubexpressions | DeadCode | Fusion | Recompute | GradientCopies | RowFusion | Epilogues | InPlaceUpdates,
}
