using Nabla.Backends.Reference;

namespace Nabla.Primitives.Random;

/// <summary>
/// Uniform integers in [low, high): element i maps draw start+i onto the range by a 64×64→128-bit
/// multiply (Lemire), so no modulo. Integer output, never differentiable: y = randint(seed, start).
/// </summary>
internal sealed class RandomInt(int[] shape, DType dtype, long low, long high, long seed, long start) : Primitive
{
    public override string Name => "randint";
    public override DType OutputDType(Tensor[] x) => dtype;
    public override bool SavesInputs => false;

    /// <summary>The output's shape.</summary>
    public int[] Shape => shape;

    /// <summary>The output's dtype (int32 or int64).</summary>
    public DType DType => dtype;

    /// <summary>The smallest value drawn.</summary>
    public long Low => low;

    /// <summary>The stream's seed.</summary>
    public long Seed => seed;

    /// <summary>The draw number of element 0.</summary>
    public long Start => start;

    /// <summary>high - low, the number of values drawn from.</summary>
    public ulong Range => (ulong)(high - low);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = Generator.Below(Generator.Bits(seed, start + i), low, Range);
        return y;
    }
}
