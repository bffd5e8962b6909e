using Nabla.Backends.Reference;
using Nabla.Primitives.Creation;

namespace Nabla.Primitives.Random;

/// <summary>
/// U[0, 1) samples: element i is draw start+i of the counter-based stream of <c>seed</c> (53 bits for
/// float64, 24 for float32). No inputs, so no derivative rules: y = uniform(seed, start).
/// </summary>
internal sealed class RandomUniform(int[] shape, DType dtype, long seed, long start) : CreationPrimitive(shape, dtype), IRandomDraws
{
    public override string Name => "uniform";
    public override bool MayFailInReplay => false;   // draws by shape alone

    /// <summary>The stream's seed.</summary>
    public long Seed => seed;

    /// <summary>The draw number of element 0.</summary>
    public long Start => start;

    public long DrawCount => Shape.Aggregate(1L, (n, d) => n * d);

    public Primitive WithDraws(long s, long st) => new RandomUniform(Shape, DType, s, st);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(Shape);
        for (int i = 0; i < y.Count; i++)
        {
            var bits = Generator.Bits(seed, start + i);
            y.Data[i] = DType == DType.Float32 ? Generator.Uniform24(bits) : Generator.Uniform53(bits);
        }
        return y;
    }
}
