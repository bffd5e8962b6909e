using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="Flip"/> on the CPU: the input read through a negative-stride view (offset at the last
/// element of each flipped dim) into a fresh tensor, so no other kernel ever sees negative strides.
/// </summary>
internal static class FlipKernel
{
    public static Tensor Run(Flip op, Tensor input)
    {
        var strides = (int[])input.Strides.Clone();
        int offset = input.Offset;
        foreach (var d in op.Dims)
        {
            if (input.Shape[d] == 0) continue;
            offset += (input.Shape[d] - 1) * strides[d];
            strides[d] = -strides[d];
        }
        var y = CpuTensor.Empty(input.DType, input.Shape);
        ViewCopy.Copy(input.View(input.Shape, strides, offset), y);
        return y;
    }
}
