using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>
/// One interpreter of what <see cref="Dispatch"/> does. Every effect of the library reaches every active
/// interpreter, in order: a primitive call (after its kernel ran), a write into existing tensors (in-place
/// ops, optimizer updates), a read of values back to the host (<c>Item</c>, <c>ToArray</c>, printing, loss
/// helpers that look at values) and values arriving from the host (<c>FromArray</c>, loaders). The built-in
/// ones are reverse-mode recording, forward-mode tangents and anomaly checks (<see cref="Dispatch.BuiltIn"/>);
/// more are added for one scope with <see cref="Dispatch.Observe"/> (a tracer, a profiler, a test's counter).
/// </summary>
internal abstract class Interpreter
{
    /// <summary>
    /// <paramref name="op"/> computed <paramref name="outputs"/> from <paramref name="inputs"/> (output 0
    /// is the differentiable result; ops without inputs are creations: random draws, fills, ranges).
    /// </summary>
    public virtual void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs) { }

    /// <summary><paramref name="op"/> wrote into <paramref name="inputs"/>[i] for each i in <see cref="Primitive.Writes"/>.</summary>
    public virtual void Write(Primitive op, Tensor[] inputs) { }

    /// <summary>The values of <paramref name="t"/> are being copied to host memory.</summary>
    public virtual void HostRead(Tensor t) { }

    /// <summary><paramref name="t"/> was filled from host memory.</summary>
    public virtual void HostWrite(Tensor t) { }

    /// <summary>
    /// A backward pass ran (outermost only; the ops it dispatched were seen while <see cref="Backprop.InPass"/>),
    /// with <paramref name="results"/> the gradients it returned (empty when it accumulated into <c>.Grad</c>).
    /// </summary>
    public virtual void Backward(BackwardCall call, Tensor?[] results) { }

    /// <summary><paramref name="check"/> passed on the values of <paramref name="t"/> (see <see cref="Dispatch.Check"/>).</summary>
    public virtual void Checked(Tensor t, ValueCheck check) { }

    /// <summary>User code read <paramref name="t"/>.Grad (whether it is null decides C# branches, as in ZeroGrad and Step).</summary>
    public virtual void GradRead(Tensor t) { }

    /// <summary>User code set <paramref name="t"/>.Grad to <paramref name="value"/> (ZeroGrad, an assignment); not the engine's own accumulation.</summary>
    public virtual void GradAssigned(Tensor t, Tensor? value) { }
}

/// <summary>The arguments of one backward pass (<c>Backprop.Run</c> or <c>Backprop.Accumulate</c>), enough to run it again.</summary>
internal sealed record BackwardCall(string Op, Tensor[] Roots, Tensor[] RootGrads, Tensor[]? Inputs, bool Accumulate,
    bool RetainGraph, bool CreateGraph, bool AllowUnused, bool Taped);
