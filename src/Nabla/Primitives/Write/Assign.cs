using Nabla.Backends.Reference;

namespace Nabla.Primitives.Write;

/// <summary>
/// Writes the values of x[1] into x[0] (same shape and dtype; x[0] may be any view, x[1] may share its
/// storage): the data effect of every in-place op and <c>CopyFrom</c>. The front end computes the new
/// value out of place with differentiable ops and rebases the history; this op only moves the data.
/// </summary>
internal sealed class Assign : WritePrimitive
{
    public override string Name => "assign";
    public override int[] Writes => [0];

    public override RefArray Reference(RefArray[] x) => new((double[])x[1].Data.Clone(), (int[])x[0].Shape.Clone());
}
