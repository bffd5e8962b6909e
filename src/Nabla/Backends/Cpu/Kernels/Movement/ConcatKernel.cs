using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary><see cref="Concat"/> on the CPU: each input copied into its window (a Slice view) of the fresh output.</summary>
internal static class ConcatKernel
{
    public static Tensor Run(Concat op, Tensor[] x)
    {
        var outShape = op.OutputShape();
        var y = CpuTensor.Empty(x[0].DType, new Shape(outShape));
        for (int i = 0; i < x.Length; i++)
        {
            var (start, step) = op.Window(i);
            ViewCopy.Copy(x[i], Slice.Window(y, start, step, op.InputShapes[i]));
        }
        return y;
    }
}
