using Nabla.Backends.Reference;

namespace Nabla.Primitives.Random;

/// <summary>
/// U[0, 1) samples: element i is draw start+i of the counter-based stream of <c>seed</c> (53 bits for
/// float64, 24 for float32). No inputs, so no derivative rules: y = uniform(seed, start).
/// </summary>
internal sealed class RandomUniform(int[] shape, DType dtype, long seed, long start) : Primitive
{
    public override string Name => "uniform";
    public override DType OutputDType(Tensor[] x) => dtype;
    public override bool SavesInputs => false;

    /// <summary>The output's shape.</summary>
    public int[] Shape => shape;

    /// <summary>The output's dtype (float32 or float64).</summary>
    public DType DType => dtype;

    /// <summary>The stream's seed.</summary>
    public long Seed => seed;

    /// <summary>The draw number of element 0.</summary>
    public long Start => start;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(shape);
        for (int i = 0; i < y.Count; i++)
        {
            var bits = Generator.Bits(seed, start + i);
            y.Data[i] = dtype == DType.Float32 ? Generator.Uniform24(bits) : Generator.Uniform53(bits);
        }
        return y;
    }
}
