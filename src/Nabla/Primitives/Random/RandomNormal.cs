using Nabla.Backends.Reference;

namespace Nabla.Primitives.Random;

/// <summary>
/// Standard normal samples by Box-Muller: elements 2k, 2k+1 come from draws start+2k, start+2k+1
/// (computed in double, rounded once for float32). No inputs, no derivative rules: y = normal(seed, start).
/// </summary>
internal sealed class RandomNormal(int[] shape, DType dtype, long seed, long start) : Primitive
{
    public override string Name => "normal";
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
            double v = Generator.Normal(seed, start, i);
            y.Data[i] = dtype == DType.Float32 ? (float)v : v;
        }
        return y;
    }
}
