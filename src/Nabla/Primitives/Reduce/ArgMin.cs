using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// The index (int64) of the smallest element along <c>dim</c>, kept as size 1: ties give the first index, and NaN counts
/// as smaller than everything (the first NaN wins), as torch.argmin. Not differentiable; the front end rejects an empty dim.
/// </summary>
internal sealed class ArgMin(int dim) : Primitive
{
    public override string Name => "argmin";
    public override bool SavesInputs => false;

    public override bool MayFailInReplay => false;   // the front end rejects an empty dim when tracing

    /// <summary>The output is the index, int64 whatever the input's dtype.</summary>
    public override DType OutputDType(Tensor[] x) => DType.Int64;

    /// <summary>The dim searched (kept as size 1 in the output).</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x) => ArgMax.FirstExtreme(x[0], dim, isMin: true);
}
