using Nabla.Backends;
using Nabla.Backends.Cpu;
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

    ulong Range => (ulong)(high - low);

    public override Tensor Forward(Tensor[] x)
    {
        var y = CpuTensor.Empty(dtype, new Shape(shape));
        var range = Range;
        if (dtype == DType.Int64)
        {
            var d = y.Data<long>();
            CpuParallel.ForRange(d.Length, (s, n) =>
            {
                for (int i = s; i < s + n; i++) d[i] = Generator.Below(Generator.Bits(seed, start + i), low, range);
            });
        }
        else
        {
            var d = y.Data<int>();
            CpuParallel.ForRange(d.Length, (s, n) =>
            {
                for (int i = s; i < s + n; i++) d[i] = (int)Generator.Below(Generator.Bits(seed, start + i), low, range);
            });
        }
        return y;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = Generator.Below(Generator.Bits(seed, start + i), low, Range);
        return y;
    }
}
