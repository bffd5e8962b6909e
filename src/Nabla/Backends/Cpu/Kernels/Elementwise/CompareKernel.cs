using System.Numerics;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Compare"/>: a Bool tensor from <see cref="CompareDriver"/>, contiguous runs
/// compared a vector at a time (IEEE: every comparison with NaN is false).
/// </summary>
internal static class CompareKernel
{
    public static Tensor Run(Compare op, Tensor a, Tensor b) => a.DType switch
    {
        DType.Float32 => Run<float>(op.Kind, a, b),
        DType.Float64 => Run<double>(op.Kind, a, b),
        DType.Int32 => Run<int>(op.Kind, a, b),
        DType.Int64 => Run<long>(op.Kind, a, b),
        _ => throw new NotSupportedException($"{op.Name}: no kernel for dtype {a.DType.TorchName()}"),
    };

    static Tensor Run<T>(CompareKind kind, Tensor a, Tensor b) where T : unmanaged, INumber<T> => kind switch
    {
        CompareKind.Gt => CompareDriver.RunSimd<T, CompareOps.Greater<T>>(a, b),
        CompareKind.Ge => CompareDriver.RunSimd<T, CompareOps.GreaterEqual<T>>(a, b),
        CompareKind.Lt => CompareDriver.RunSimd<T, CompareOps.Less<T>>(a, b),
        CompareKind.Le => CompareDriver.RunSimd<T, CompareOps.LessEqual<T>>(a, b),
        _ => CompareDriver.RunSimd<T, CompareOps.Equal<T>>(a, b),
    };
}
