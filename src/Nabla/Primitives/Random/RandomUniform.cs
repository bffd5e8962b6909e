using Nabla.Backends;
using Nabla.Backends.Cpu;
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

    public override Tensor Forward(Tensor[] x)
    {
        var y = CpuTensor.Empty(dtype, new Shape(shape));
        if (dtype == DType.Float32)
        {
            var d = y.Data<float>();
            CpuParallel.ForRange(d.Length, (s, n) =>
            {
                for (int i = s; i < s + n; i++) d[i] = Generator.Uniform24(Generator.Bits(seed, start + i));
            });
        }
        else
        {
            var d = y.Data<double>();
            CpuParallel.ForRange(d.Length, (s, n) =>
            {
                for (int i = s; i < s + n; i++) d[i] = Generator.Uniform53(Generator.Bits(seed, start + i));
            });
        }
        return y;
    }

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
