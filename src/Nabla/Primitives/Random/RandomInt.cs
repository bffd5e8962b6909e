using Nabla.Backends.Reference;
using Nabla.Primitives.Creation;

namespace Nabla.Primitives.Random;

/// <summary>
/// Uniform integers in [low, high): element i maps draw start+i onto the range by a 64×64→128-bit
/// multiply (Lemire), so no modulo. Integer output, never differentiable: y = randint(seed, start).
/// </summary>
internal sealed class RandomInt(int[] shape, DType dtype, long low, long high, long seed, long start) : CreationPrimitive(shape, dtype), IRandomDraws
{
    public override string Name => "randint";
    public override bool MayFailInReplay => false;   // draws by shape alone

    /// <summary>The smallest value drawn.</summary>
    public long Low => low;

    /// <summary>The stream's seed.</summary>
    public long Seed => seed;

    /// <summary>The draw number of element 0.</summary>
    public long Start => start;

    public long DrawCount => Shape.Aggregate(1L, (n, d) => n * d);

    public Primitive WithDraws(long s, long st) => new RandomInt(Shape, DType, low, high, s, st);

    /// <summary>high - low, the number of values drawn from.</summary>
    public ulong Range => (ulong)(high - low);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(Shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = Generator.Below(Generator.Bits(seed, start + i), low, Range);
        return y;
    }
}
