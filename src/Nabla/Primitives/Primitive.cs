using System.Diagnostics.CodeAnalysis;
using Nabla.Backends.Reference;

namespace Nabla.Primitives;

/// <summary>
/// One primitive operation's meaning, the same on every device: its output dtypes, whether it is a view
/// (<see cref="TryView"/>), whether it writes into its inputs (<see cref="Writes"/>), its derivative rules
/// (<see cref="Vjp"/>, <see cref="Jvp"/>) written with the differentiable Tensor API, and a
/// double-precision <see cref="Reference"/>. The kernels that compute it live with each backend
/// (<c>Backends/Cpu/Kernels</c>; the reference backend runs <see cref="Reference"/>). An instance is
/// created per call and holds that call's parameters, so it is its own record in the graph.
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)]   // HasViewForm reads GetType()'s methods
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
    /// The dtype of output <c>0</c> given the inputs (the inputs' dtype unless the op says otherwise).
    /// Ops without inputs (random draws, fills) override it.
    /// </summary>
    public virtual DType OutputDType(Tensor[] x) => x[0].DType;

    /// <summary>The dtype of every output, in order (one unless <see cref="OutputCount"/> says more).</summary>
    public virtual DType[] OutputDTypes(Tensor[] x) => [OutputDType(x)];

    /// <summary>
    /// How many outputs the op has. Output 0 is the differentiable result; the others carry no gradient
    /// (integer side results such as max-pooling's argmax) and are returned by <c>Dispatch.CallMany</c>.
    /// </summary>
    public virtual int OutputCount => 1;

    /// <summary>
    /// The one-output primitive whose derivative rules are output <paramref name="k"/>'s (reverse and forward mode record
    /// each such output as its own node), or null where output k carries no gradient. Output 0's is the op itself;
    /// an op whose other outputs are differentiable too (a fused elementwise program with several results) says so here.
    /// </summary>
    public virtual Primitive? OutputRule(int k) => k == 0 ? this : null;

    /// <summary>
    /// Outputs 1.. of this call, kept on the call's record (this instance) by <c>Dispatch.CallMany</c> so
    /// the derivative rules can read them (max-pooling's argmax); empty for one-output ops. They are
    /// small, non-differentiable side results and stay after a backward, like an op's parameters.
    /// </summary>
    public Tensor[] SideOutputs { get; internal set; } = [];

    /// <summary>
    /// Whether a replay of this op may throw although its inputs have the shapes and dtypes it was traced with (a kernel
    /// that checks values, an op whose meaning depends on more than shapes). A trace records the user's line only for such
    /// ops (a stack walk each; <c>CompileOptions.RecordAllSites</c>, dynamic dims and anomaly detection record every line),
    /// so replay errors still name it. True unless a primitive family opts out: a new primitive records its line.
    /// </summary>
    public virtual bool MayFailInReplay => true;

    /// <summary>The dtype a backend's kernel is chosen by (the first input's, unless the op says otherwise).</summary>
    public virtual DType KernelDType(Tensor[] x) => x.Length > 0 ? x[0].DType : OutputDType(x);

    /// <summary>
    /// When the op's result can be a view of its input (new shape, strides and offset on the same
    /// storage), that view; null when a kernel must compute it. Views need no kernel: they are the same
    /// on every device.
    /// </summary>
    public virtual Tensor? TryView(Tensor[] x) => null;

    /// <summary>Whether ops of this type may return a view of their input instead of new data (the type overrides <see cref="TryView"/>).</summary>
    public bool HasViewForm => ViewForms.TryGetValue(GetType(), out bool has) ? has : ViewForms[GetType()] = OverridesTryView(GetType());

    static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> ViewForms = new();

    static bool OverridesTryView([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type type) =>
        type.GetMethod(nameof(TryView), [typeof(Tensor[])])!.DeclaringType != typeof(Primitive);

    /// <summary>
    /// The inputs this op writes in place (empty for ordinary ops). A write op has no outputs: its kernel
    /// changes those inputs, and <see cref="ReferenceOutputs"/> returns their new values in this order.
    /// </summary>
    public virtual int[] Writes => [];

    /// <summary>
    /// Reverse mode: the cotangent of each input given the output's cotangent <paramref name="gy"/>,
    /// or null where an input is not differentiable. <paramref name="x"/> and <paramref name="y"/> are
    /// null when <see cref="SavesInputs"/>/<see cref="SavesOutput"/> say they are not needed.
    /// <paramref name="needs"/>[i] is false when the running backward does not use input i's gradient
    /// (data, labels, constants, a branch that leads to nothing asked for), so a rule may return null
    /// there and skip the work (a GEMM for MatMul).
    /// </summary>
    public abstract Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs);

    /// <summary>Forward mode: the output's tangent given the inputs' tangents (null = zero).</summary>
    public abstract Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y);

    /// <summary>The same computation in plain double-precision loops (the test oracle and the reference backend).</summary>
    public abstract RefArray Reference(RefArray[] x);

    /// <summary>Every output (or, for a write op, the new value of every written input) in plain double loops.</summary>
    public virtual RefArray[] ReferenceOutputs(RefArray[] x) => [Reference(x)];

    /// <summary>False for records that have no computation of their own (custom functions' outputs).</summary>
    public virtual bool HasReference => true;

    /// <summary>Called when the graph frees this call's saved values (after a backward without retainGraph).</summary>
    public virtual void Release() { }

    /// <summary>
    /// A fresh instance with the same parameters, for one more run of a compiled graph. An instance is one
    /// call's record (its <see cref="SideOutputs"/>, what <see cref="Release"/> frees), so a graph that
    /// replays an op must never hand the traced instance to a second call.
    /// </summary>
    internal virtual Primitive ForReplay()
    {
        var copy = (Primitive)MemberwiseClone();
        copy.SideOutputs = [];
        return copy;
    }

    /// <summary>Sums the non-null tangent contributions; null when all are null (zero tangent).</summary>
    protected static Tensor? SumTangents(params Tensor?[] terms)
    {
        Tensor? sum = null;
        foreach (var t in terms)
            if (t is not null) sum = sum is null ? t : sum + t;
        return sum;
    }
}
