using Nabla.Backends.Reference;

namespace Nabla.Primitives;

/// <summary>
/// One primitive operation: its meaning (shape/dtype rule and CPU kernel in <see cref="Forward"/>),
/// its derivative rules (<see cref="Vjp"/>, <see cref="Jvp"/>) written with the differentiable Tensor
/// API, and a double-precision <see cref="Reference"/> for tests. An instance is created per call and
/// holds that call's parameters, so it is its own record in the graph.
/// </summary>
internal abstract class Primitive
{
    /// <summary>Short lower-case name, as in error messages (<c>"mul"</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Name of the backward node, PyTorch style (<c>MulBackward</c>).</summary>
    public virtual string GradName => char.ToUpperInvariant(Name[0]) + Name[1..] + "Backward";

    /// <summary>Whether <see cref="Vjp"/> reads the inputs (they are then kept alive and version-checked).</summary>
    public virtual bool SavesInputs => true;

    /// <summary>Whether <see cref="Vjp"/> reads the output.</summary>
    public virtual bool SavesOutput => false;

    /// <summary>
    /// Computes the output on the backend. Inputs are already checked by the front end (same device,
    /// dtypes and shapes as the primitive requires). Must return a new Tensor object (a view is fine)
    /// and must never call differentiable ops.
    /// </summary>
    public abstract Tensor Forward(Tensor[] x);

    /// <summary>
    /// Reverse mode: the cotangent of each input given the output's cotangent <paramref name="gy"/>,
    /// or null where an input is not differentiable. <paramref name="x"/> and <paramref name="y"/> are
    /// null when <see cref="SavesInputs"/>/<see cref="SavesOutput"/> say they are not needed.
    /// </summary>
    public abstract Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y);

    /// <summary>Forward mode: the output's tangent given the inputs' tangents (null = zero).</summary>
    public abstract Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y);

    /// <summary>The same computation in plain double-precision loops (the test oracle).</summary>
    public abstract RefArray Reference(RefArray[] x);

    // Which inputs the running backward wants gradients for (null: all). Set by Backprop around one node's
    // rule and restored afterwards, so nested backward passes (checkpoints, custom functions) see their own.
    [ThreadStatic] static bool[]? _neededInputs;

    /// <summary>
    /// Whether the backward pass now running this primitive's <see cref="Vjp"/> uses the gradient of input
    /// <paramref name="i"/>. False for an input that does not require grad (data, labels, constants) or
    /// that leads to nothing the pass computes (another Autograd.Grad input, a node outside a tape), so a
    /// rule may return null there and skip the work (a GEMM for MatMul). True outside backward.
    /// </summary>
    protected static bool NeedsGrad(int i) => _neededInputs is not { } mask || i >= mask.Length || mask[i];

    /// <summary>Makes <see cref="NeedsGrad"/> answer from <paramref name="mask"/> (null: all); returns the previous mask to restore.</summary>
    internal static bool[]? SwapNeededInputs(bool[]? mask)
    {
        var outer = _neededInputs;
        _neededInputs = mask;
        return outer;
    }

    /// <summary>Called when the graph frees this call's saved values (after a backward without retainGraph).</summary>
    public virtual void Release() { }

    /// <summary>Sums the non-null tangent contributions; null when all are null (zero tangent).</summary>
    protected static Tensor? SumTangents(params Tensor?[] terms)
    {
        Tensor? sum = null;
        foreach (var t in terms)
            if (t is not null) sum = sum is null ? t : sum + t;
        return sum;
    }
}
