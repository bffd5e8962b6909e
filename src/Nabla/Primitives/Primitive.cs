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
