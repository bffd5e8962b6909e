using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary><see cref="Pad"/> on the CPU: a zeroed output, the input copied into its window (a Slice view of it).</summary>
internal static class PadKernel
{
    public static Tensor Run(Pad op, Tensor input)
    {
        var y = CpuTensor.Empty(input.DType, new Shape(op.OutputShape), zeroed: true);
        var window = Slice.Window(y, op.Start, op.Step, op.InputShape);
        ViewCopy.Copy(input, window);
        return y;
    }
}
