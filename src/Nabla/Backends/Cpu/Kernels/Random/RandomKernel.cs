using Nabla.Primitives.Random;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The random draws on the CPU. Each element is a pure function of (seed, its draw number), so chunks
/// fill in parallel and the values never depend on the thread count.
/// </summary>
internal static class RandomKernel
{
    /// <summary><see cref="RandomUniform"/>: 24 random bits for float32, 53 for float64.</summary>
    public static Tensor Uniform(RandomUniform op)
    {
        var y = CpuTensor.Empty(op.DType, new Shape(op.Shape));
        long seed = op.Seed, start = op.Start;
        if (op.DType == DType.Float32)
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

    /// <summary><see cref="RandomNormal"/>: Box-Muller in double, rounded once for float32.</summary>
    public static Tensor Normal(RandomNormal op)
    {
        var y = CpuTensor.Empty(op.DType, new Shape(op.Shape));
        long seed = op.Seed, start = op.Start;
        if (op.DType == DType.Float32)
        {
            var d = y.Data<float>();
            CpuParallel.ForRange(d.Length, (s, n) =>
            {
                for (int i = s; i < s + n; i++) d[i] = (float)Generator.Normal(seed, start, i);
            });
        }
        else
        {
            var d = y.Data<double>();
            CpuParallel.ForRange(d.Length, (s, n) =>
            {
                for (int i = s; i < s + n; i++) d[i] = Generator.Normal(seed, start, i);
            });
        }
        return y;
    }

    /// <summary><see cref="RandomInt"/>: draw start+i mapped onto [low, high) by a 128-bit multiply.</summary>
    public static Tensor Int(RandomInt op)
    {
        var y = CpuTensor.Empty(op.DType, new Shape(op.Shape));
        long seed = op.Seed, start = op.Start, low = op.Low;
        var range = op.Range;
        if (op.DType == DType.Int64)
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
}
