using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// The number of elements of the input along <c>dims</c> (all of them when empty), as a 0-d int64 tensor
/// computed from the input's shape when the op runs, not from its values (tf.size / tf.shape's role).
/// A mean divides by it instead of by a number read on the host, so a graph compiled with a dynamic
/// batch dimension divides by each call's batch size. Not differentiable (an integer output).
/// </summary>
internal sealed class SizeOf(int[] dims) : Primitive
{
    public override string Name => "size_of";
    public override bool SavesInputs => false;

    /// <summary>The dims counted (empty: every dim).</summary>
    public int[] Dims => dims;

    public override DType OutputDType(Tensor[] x) => DType.Int64;

    /// <summary>The element count of <paramref name="shape"/> along <see cref="Dims"/>.</summary>
    public long Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        if (dims.Length == 0)
            foreach (var d in shape) n *= d;
        else
            foreach (var d in dims) n *= shape[d];
        return n;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x) => new([Count(x[0].Shape)], []);
}
