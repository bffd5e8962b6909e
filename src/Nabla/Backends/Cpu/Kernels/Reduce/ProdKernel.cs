using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary><see cref="Prod"/> on the CPU: the reduce driver with a product op (identity 1, so an empty dim gives 1).</summary>
internal static class ProdKernel
{
    public static Tensor Run(Prod op, Tensor x) => x.DType switch
    {
        DType.Float32 => ReduceDriver.Run<float, Product<float>>(x, [op.Dim]),
        DType.Float64 => ReduceDriver.Run<double, Product<double>>(x, [op.Dim]),
        DType.Int32 => ReduceDriver.Run<int, Product<int>>(x, [op.Dim]),
        DType.Int64 => ReduceDriver.Run<long, Product<long>>(x, [op.Dim]),
        _ => throw new NotSupportedException($"prod: no kernel for {x.DType.TorchName()}"),
    };

    /// <summary>Multiplication as a reduce op (integers wrap on overflow, as PyTorch's).</summary>
    readonly struct Product<T> : IReduceOp<T> where T : unmanaged, INumber<T>
    {
        public static T Identity => T.One;
        public static T Invoke(T a, T b) => a * b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a * b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a * b;
    }
}
