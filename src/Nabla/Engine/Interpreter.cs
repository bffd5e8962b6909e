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
}
