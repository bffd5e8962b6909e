using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="Reshape"/> on the CPU when its strides allow no view (or the call is <c>Contiguous()</c>):
/// the input made contiguous (itself when it already is), viewed with the new shape's row-major strides.
/// </summary>
internal static class ReshapeKernel
{
    public static Tensor Run(Reshape op, Tensor input)
    {
        input = CopyKernel.AsContiguous(input);
        return input.View(new Shape(op.OutputShape), Shape.ContiguousStrides(op.OutputShape), input.Offset);
    }
}
