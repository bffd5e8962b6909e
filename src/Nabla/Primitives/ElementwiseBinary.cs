using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives;

/// <summary>
/// Base of y = f(a, b) elementwise on two inputs of the SAME shape and dtype: the front end
/// broadcasts with Expand (stride-0 views, no copies) and promotes dtypes with Cast first, so the
/// broadcast's gradient is Expand's transpose (a sum) and no op repeats that logic.
/// An op declares its two partial derivatives; the rules follow: dy = da*fa + db*fb, ga = gy*fa, gb = gy*fb.
/// </summary>
internal abstract class ElementwiseBinary : Primitive
{
    /// <summary>(∂f/∂a, ∂f/∂b) written with the Tensor API.</summary>
    public abstract (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y);

    /// <summary>f(a, b) in double precision, the oracle for tests.</summary>
    public abstract double Reference(double a, double b);

    public virtual bool SupportsIntegers => true;

    /// <summary>The 1-D kernel; strides are 1 (a run) or 0 (a broadcast scalar).</summary>
    protected abstract void Kernel<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> y)
        where T : unmanaged, INumber<T>;

    public override Tensor Forward(Tensor[] x)
    {
        var y = CpuTensor.Empty(x[0].DType, x[0].Shape);
        switch (x[0].DType)
        {
            case DType.Float32: Run<float>(x[0], x[1], y); break;
            case DType.Float64: Run<double>(x[0], x[1], y); break;
            case DType.Int32 when SupportsIntegers: Run<int>(x[0], x[1], y); break;
            case DType.Int64 when SupportsIntegers: Run<long>(x[0], x[1], y); break;
            default: throw new NotSupportedException($"{Name}: no kernel for dtype {x[0].DType.TorchName()}");
        }
        return y;
    }

    // Broadcast operands reach the kernel as stride-0 scalars; other strided runs are gathered per run.
    void Run<T>(Tensor a, Tensor b, Tensor y) where T : unmanaged, INumber<T> => ElementwiseDriver.Binary<T>(a, b, y, Kernel<T>);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        // Derivatives are built lazily by most ops (views of x), so only the products are skipped here.
        var (da, db) = Derivatives(x[0], x[1], y);
        return [needs[0] ? gy * da : null, needs[1] ? gy * db : null];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[1] is null) return null;
        var (da, db) = Derivatives(x[0], x[1], y);
        return SumTangents(dx[0] is null ? null : dx[0]! * da, dx[1] is null ? null : dx[1]! * db);
    }

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], Reference);
}
