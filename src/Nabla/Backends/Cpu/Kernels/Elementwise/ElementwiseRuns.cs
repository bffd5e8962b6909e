using System.Numerics;
using Nabla.Primitives;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>A unary elementwise kernel over one contiguous run, generic in the element type.</summary>
internal interface IUnaryKernel
{
    /// <summary>y = f(x) over a contiguous run (y is a fresh output run, never x).</summary>
    static abstract void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>;
}

/// <summary>A binary elementwise kernel over one run, generic in the element type.</summary>
internal interface IBinaryKernel
{
    /// <summary>y = f(a, b); strides are 1 (a run) or 0 (a broadcast scalar).</summary>
    static abstract void Run<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> y)
        where T : unmanaged, INumber<T>;
}

/// <summary>
/// Registers <see cref="IUnaryKernel"/>/<see cref="IBinaryKernel"/> structs as whole-tensor kernels: one
/// table entry per dtype, each holding its run delegate built once, so a call allocates no delegate of
/// its own. The output is a fresh contiguous tensor of the (first) input's shape and dtype; strided and
/// expanded inputs are walked as runs by <see cref="ElementwiseDriver"/> (gathered per run when strided,
/// broadcast operands reaching binary kernels as stride-0 scalars), never copied whole.
/// </summary>
internal static class ElementwiseRuns
{
    /// <summary>
    /// Registers the kernel <paramref name="entry"/> makes for a dtype (<c>UnaryEntry&lt;TKernel&gt;</c>,
    /// <c>BinaryEntry&lt;TKernel&gt;</c>) as <typeparamref name="TOp"/>'s, for each of <paramref name="dtypes"/>,
    /// built on first use.
    /// NB: the kernel struct is no type argument here: a generic method over a struct is compiled once per
    /// struct, and registering some thirty of them eagerly cost ~15 ms of start-up before the first op.
    /// </summary>
    public static void AddEach<TOp>(this KernelTable table, DType[] dtypes, Func<DType, KernelEntry> entry) where TOp : Primitive
    {
        foreach (var dtype in dtypes) table.AddFactory<TOp>(dtype, () => entry(dtype));
    }

    /// <summary>The table entry that runs <typeparamref name="TKernel"/> on <paramref name="dtype"/> tensors.</summary>
    public static KernelEntry UnaryEntry<TKernel>(DType dtype) where TKernel : IUnaryKernel => dtype switch
    {
        DType.Float32 => Unary<float, TKernel>(),
        DType.Float64 => Unary<double, TKernel>(),
        DType.Int32 => Unary<int, TKernel>(),
        DType.Int64 => Unary<long, TKernel>(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), $"internal: no elementwise runs on {dtype}"),
    };

    /// <summary>The table entry that runs <typeparamref name="TKernel"/> on <paramref name="dtype"/> tensors.</summary>
    public static KernelEntry BinaryEntry<TKernel>(DType dtype) where TKernel : IBinaryKernel => dtype switch
    {
        DType.Float32 => Binary<float, TKernel>(),
        DType.Float64 => Binary<double, TKernel>(),
        DType.Int32 => Binary<int, TKernel>(),
        DType.Int64 => Binary<long, TKernel>(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), $"internal: no elementwise runs on {dtype}"),
    };

    /// <summary>y = f(x) into a fresh tensor, f one run at a time.</summary>
    public static Tensor Unary<T>(Tensor x, SpanMap<T> run) where T : unmanaged
    {
        var y = CpuTensor.Empty(x.DType, x.Shape);
        ElementwiseDriver.Unary(x, y, run);
        return y;
    }

    /// <summary>y = f(a, b) into a fresh tensor of a's shape and dtype, f one run at a time.</summary>
    public static Tensor Binary<T>(Tensor a, Tensor b, BinaryRun<T> run) where T : unmanaged
    {
        var y = CpuTensor.Empty(a.DType, a.Shape);
        ElementwiseDriver.Binary(a, b, y, run);
        return y;
    }

    // Each entry also has the into-form (KernelEntry.Into): the same driver writing a tensor the caller owns.
    static KernelEntry Unary<T, TKernel>() where T : unmanaged, INumber<T> where TKernel : IUnaryKernel
    {
        SpanMap<T> run = TKernel.Run;
        return new((_, x) => Unary(x[0], run), null, null, (_, x, y) => UnaryInto<T, TKernel>(x, y, run));
    }

    static KernelEntry Binary<T, TKernel>() where T : unmanaged, INumber<T> where TKernel : IBinaryKernel
    {
        BinaryRun<T> run = TKernel.Run;
        return new((_, x) => Binary(x[0], x[1], run), null, null, (_, x, y) => BinaryInto<T, TKernel>(x, y, run));
    }

    // The into-forms run inside Backend.RunInto's raw-access scope. NB: one small contiguous run calls the
    // kernel struct directly: a graph replay runs many tiny ops this way, where a delegate to a static method
    // (through a shuffle thunk) and a second scope were a measurable part of each.
    static bool UnaryInto<T, TKernel>(Tensor[] x, Tensor y, SpanMap<T> run) where T : unmanaged, INumber<T> where TKernel : IUnaryKernel
    {
        if (!FitsOutput(x, y)) return false;
        var a = x[0];
        int n = y.NumElements;
        if (n < CpuParallel.Threshold && a.IsContiguous) TKernel.Run<T>(a.Data<T>().AsSpan(a.Offset, n), y.Data<T>().AsSpan(y.Offset, n));
        else ElementwiseDriver.Unary(a, y, run);
        return true;
    }

    static bool BinaryInto<T, TKernel>(Tensor[] x, Tensor y, BinaryRun<T> run) where T : unmanaged, INumber<T> where TKernel : IBinaryKernel
    {
        if (!FitsOutput(x, y, sameViewInput: true)) return false;
        var (a, b) = (x[0], x[1]);
        int n = y.NumElements;
        if (n < CpuParallel.Threshold && a.IsContiguous && b.IsContiguous && SameShape(b.Shape, y.Shape))
            TKernel.Run<T>(a.Data<T>().AsSpan(a.Offset, n), 1, b.Data<T>().AsSpan(b.Offset, n), 1, y.Data<T>().AsSpan(y.Offset, n));
        else ElementwiseDriver.Binary(a, b, y, run);
        return true;
    }

    // Tensors of one graph often share their Shape object; otherwise a plain loop over a few dims (a general
    // span comparison was a measurable part of an op on 16 elements).
    static bool SameShape(Shape a, Shape b)
    {
        if (ReferenceEquals(a, b)) return true;
        ReadOnlySpan<int> x = a.Span, y = b.Span;
        if (x.Length != y.Length) return false;
        for (int i = 0; i < x.Length; i++)
            if (x[i] != y[i]) return false;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="y"/> is what <see cref="Unary{T}"/>/<see cref="Binary{T}"/> would have made for
    /// <paramref name="x"/>: a contiguous CPU tensor of the first input's shape and dtype (so the one-run checks
    /// above need not ask again about y). NB: it must share no memory with an input, since a run kernel's output
    /// is never its input; except, with <paramref name="sameViewInput"/> (binary kernels: SimdDriver loads each
    /// vector before it stores it and never steps back over a tail), an input that is exactly y's view, which a
    /// replay passes to write an in-place update straight into its destination.
    /// </summary>
    static bool FitsOutput(Tensor[] x, Tensor y, bool sameViewInput = false)
    {
        var first = x[0];
        if (y.DType != first.DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || !SameShape(y.Shape, first.Shape) || !y.IsContiguous)
            return false;
        foreach (var input in x)
            if (input.SharesStorage(y) && !(sameViewInput && input.IsSameView(y))) return false;
        return true;
    }
}
