using Nabla.Primitives.Random;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the random primitives (no inputs: chosen by the op's output dtype).</summary>
internal static class RandomKernels
{
    public static void Register(KernelTable table)
    {
        table.Add<RandomUniform>(KernelDTypes.Floating, (op, _) => RandomKernel.Uniform(op));
        table.Add<RandomNormal>(KernelDTypes.Floating, (op, _) => RandomKernel.Normal(op));
        table.Add<RandomInt>([DType.Int32, DType.Int64], (op, _) => RandomKernel.Int(op));
    }
}
