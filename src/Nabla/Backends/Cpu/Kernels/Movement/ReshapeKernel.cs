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

    /// <summary>
    /// The reshape's elements copied into <paramref name="y"/> (see <see cref="KernelEntry.Into"/>) where the kernel would
    /// copy: a strided input with no view of the new shape (a view is tried first); false otherwise or when y does not fit.
    /// </summary>
    public static bool RunInto(Reshape op, Tensor input, Tensor y)
    {
        // A contiguous input is viewed, not copied, by the kernel: the result must share its memory as then.
        if (input.IsContiguous || !IntoOutput.Fits(y, input.DType, op.OutputShape, input)) return false;
        switch (y.DType)
        {
            case DType.Float32: Copy<float>(input, y); break;
            case DType.Float64: Copy<double>(input, y); break;
            case DType.Int32: Copy<int>(input, y); break;
            case DType.Int64: Copy<long>(input, y); break;
            case DType.Bool: Copy<bool>(input, y); break;
            default: return false;
        }
        return true;
    }

    // Small: one serial walk (as CopyKernel.Contiguous); large: source and y seen in the source's shape, walked
    // together so runs go to different cores.
    static void Copy<T>(Tensor x, Tensor y) where T : unmanaged
    {
        if (y.NumElements < CpuParallel.Threshold) CopyKernel.CopyInto<T>(x, y.Data<T>(), 0);
        else CopyKernel.CopyView<T>(x, y.View(x.Shape, Shape.ContiguousStrides(x.Shape.Span), 0));
    }
}
