using Nabla.Backends.Reference;
using Nabla.Primitives.Creation;

namespace Nabla.Primitives.Random;

/// <summary>
/// Standard normal samples by Box-Muller: elements 2k, 2k+1 come from draws start+2k, start+2k+1
/// (computed in double, rounded once for float32). No inputs, no derivative rules: y = normal(seed, start).
/// </summary>
internal sealed class RandomNormal(int[] shape, DType dtype, long seed, long start) : CreationPrimitive(shape, dtype), IRandomDraws
{
    public override string Name => "normal";
    public override bool MayFailInReplay => false;   // draws by shape alone

    /// <summary>The stream's seed.</summary>
    public long Seed => seed;

    /// <summary>The draw number of element 0.</summary>
    public long Start => start;

    public long DrawCount => 2 * ((Shape.Aggregate(1L, (n, d) => n * d) + 1) / 2);

    public Primitive WithDraws(long s, long st) => new RandomNormal(Shape, DType, s, st);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(Shape);
        for (int i = 0; i < y.Count; i++)
        {
            double v = Generator.Normal(seed, start, i);
            y.Data[i] = DType == DType.Float32 ? (float)v : v;
        }
        return y;
    }
}
