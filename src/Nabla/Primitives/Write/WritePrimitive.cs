namespace Nabla.Primitives.Write;

/// <summary>
/// Base of the ops that write into their inputs (<see cref="Primitive.Writes"/>) and return nothing. The
/// graph never records them: the front end computes a new value with differentiable ops first (and
/// rebases the history) or, for optimizer updates, runs them with recording off; so they have no rules.
/// </summary>
internal abstract class WritePrimitive : Primitive
{
    public sealed override bool SavesInputs => false;

    public sealed override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        throw new InvalidOperationException($"internal: the write op {Name} is not recorded in the graph");

    public sealed override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        throw new InvalidOperationException($"internal: the write op {Name} is not recorded in the graph");
}
