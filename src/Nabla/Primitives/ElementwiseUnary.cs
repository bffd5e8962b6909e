using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives;

/// <summary>
/// Base of y = f(x) elementwise. An op declares one <see cref="Derivative"/> f'(x) written with the
/// Tensor API; both rules follow from it: dy = dx*f'(x) (JVP) and gx = gy*f'(x) (VJP).
/// The output has the input's shape and dtype.
/// </summary>
internal abstract class ElementwiseUnary : Primitive
{
    /// <summary>f'(x), possibly written in terms of the output y (e.g. exp: y).</summary>
    public abstract Tensor Derivative(Tensor x, Tensor y);

    /// <summary>f(x) in double precision, the oracle for tests.</summary>
    public abstract double Reference(double x);

    /// <summary>Which dtypes the kernel handles; the front end casts integers to float first for the others.</summary>
    public virtual bool SupportsIntegers => false;

    /// <summary>The 1-D kernel over a contiguous run.</summary>
    protected abstract void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>;

    public override Tensor Forward(Tensor[] x)
    {
        var input = x[0];
        var y = CpuTensor.Empty(input.DType, input.Shape);
        switch (input.DType)
        {
            case DType.Float32: Run<float>(input, y); break;
            case DType.Float64: Run<double>(input, y); break;
            case DType.Int32 when SupportsIntegers: Run<int>(input, y); break;
            case DType.Int64 when SupportsIntegers: Run<long>(input, y); break;
            default: throw new NotSupportedException($"{Name}: no kernel for dtype {input.DType.TorchName()}");
        }
        return y;
    }

    // Strided and expanded inputs are walked as runs (gathered per run when strided), never copied whole.
    void Run<T>(Tensor x, Tensor y) where T : unmanaged, INumber<T> => ElementwiseDriver.Unary<T>(x, y, Kernel<T>);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy * Derivative(x?[0]!, y)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : dx[0]! * Derivative(x[0], y);

    public override RefArray Reference(RefArray[] x) => RefArray.Map(x[0], Reference);
}
