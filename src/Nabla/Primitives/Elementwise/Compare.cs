using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Elementwise;

/// <summary>Which relation a <see cref="Compare"/> tests.</summary>
internal enum CompareKind { Gt, Ge, Lt, Le, Eq }

/// <summary>
/// y = (a ⋄ b) as Bool for ⋄ in &gt; ≥ &lt; ≤ ==, on two inputs of the same shape and dtype (the front end
/// promotes and broadcasts, as for arithmetic). Piecewise constant, so no derivative: the output is
/// Bool and the engine records nothing. IEEE semantics: every comparison with NaN is false.
/// </summary>
internal sealed class Compare(CompareKind kind) : Primitive
{
    public override string Name => kind.ToString().ToLowerInvariant();
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var y = Tensor.Empty(DType.Bool, x[0].Shape);
        switch (x[0].DType)
        {
            case DType.Float32: Run<float>(x[0], x[1], y); break;
            case DType.Float64: Run<double>(x[0], x[1], y); break;
            case DType.Int32: Run<int>(x[0], x[1], y); break;
            case DType.Int64: Run<long>(x[0], x[1], y); break;
            default: throw new NotSupportedException($"{Name}: no kernel for dtype {x[0].DType.TorchName()}");
        }
        return y;
    }

    void Run<T>(Tensor a, Tensor b, Tensor y) where T : unmanaged, INumber<T>
    {
        switch (kind)
        {
            case CompareKind.Gt: Run<T, GtOp<T>>(a, b, y); break;
            case CompareKind.Ge: Run<T, GeOp<T>>(a, b, y); break;
            case CompareKind.Lt: Run<T, LtOp<T>>(a, b, y); break;
            case CompareKind.Le: Run<T, LeOp<T>>(a, b, y); break;
            default: Run<T, EqOp<T>>(a, b, y); break;
        }
    }

    // NB: a scalar loop over strided runs; the Bool output would need mask narrowing to use vectors,
    // which is not worth it until a benchmark says so.
    static void Run<T, TOp>(Tensor a, Tensor b, Tensor y) where T : unmanaged, INumber<T> where TOp : ICompareOp<T>
    {
        var loop = new StridedLoop(y.Shape.Span, [a.Strides, b.Strides, y.Strides], [a.Offset, b.Offset, 0]);
        int sa = loop.InnerStride(0), sb = loop.InnerStride(1), sy = loop.InnerStride(2);
        var ad = a.Data<T>();
        var bd = b.Data<T>();
        var yd = y.Data<bool>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            for (int i = 0, ia = offs[0], ib = offs[1], iy = offs[2]; i < n; i++, ia += sa, ib += sb, iy += sy)
                yd[iy] = TOp.Invoke(ad[ia], bd[ib]);
        });
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y) => [null, null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], (a, b) => Holds(kind, a, b) ? 1 : 0);

    internal static bool Holds(CompareKind kind, double a, double b) => kind switch
    {
        CompareKind.Gt => a > b,
        CompareKind.Ge => a >= b,
        CompareKind.Lt => a < b,
        CompareKind.Le => a <= b,
        _ => a == b,
    };

    interface ICompareOp<T> { static abstract bool Invoke(T a, T b); }

    readonly struct GtOp<T> : ICompareOp<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a > b; }
    readonly struct GeOp<T> : ICompareOp<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a >= b; }
    readonly struct LtOp<T> : ICompareOp<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a < b; }
    readonly struct LeOp<T> : ICompareOp<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a <= b; }
    readonly struct EqOp<T> : ICompareOp<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a == b; }
}
