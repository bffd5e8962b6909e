using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// One call of a fused kernel on <typeparamref name="T"/>: the inputs' arrays and offsets (then the outputs'), the
/// generated kernel or the interpreter's plan, and a delegate made once that runs a range of the output, so a call
/// allocates nothing of its own (one reusable instance per calling thread; CpuParallel's hand-off to the worker
/// threads allocates for tensors above its threshold).
/// Generated kernels run whole vectors in place; the last few elements of a range go through the same kernel on
/// zero-padded copies, as FastMath's tails do, so each element gets the same bits wherever it sits.
/// </summary>
internal sealed class FusedRun<T> where T : unmanaged, INumber<T>
{
    [ThreadStatic] static FusedRun<T>? idle;

    T[][] arrays = new T[8][];
    int[] offsets = new int[8];
    FusedElementwise op = null!;
    TilePlan? plan;
    FusedBody<T>? kernel;
    int inputs, outputs;
    ulong broadcast;
    readonly Action<int, int> range;

    FusedRun() => range = Range;

    static int Width => Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256<T>.Count;

    /// <summary>Runs <paramref name="op"/> into <paramref name="y"/> (one tensor per output); false, with nothing written,
    /// when neither a generated kernel nor the interpreter can read the inputs as they are laid out.</summary>
    public static bool Run(FusedElementwise op, Tensor[] x, ulong broadcast, Tensor[] y, FusedKernelKind kind)
    {
        var kernel = kind != FusedKernelKind.Interpreter ? FusedProgramKernels.For<T>(op, x.Length, broadcast) : null;
        if (kernel is null && !FusedElementwiseKernel.Interpretable(op, x.Length, broadcast)) return false;
        // A nested call on this thread (none today) takes a fresh instance rather than the one in use.
        var run = idle ?? new FusedRun<T>();
        idle = null;
        try
        {
            using var raw = Backends.RawAccess.Enter();
            run.Set(op, x, broadcast, y, kernel);
            CpuParallel.ForRange(y[0].NumElements, run.range);
        }
        finally
        {
            run.Release();
            idle = run;
        }
        return true;
    }

    void Set(FusedElementwise op, Tensor[] x, ulong broadcast, Tensor[] y, FusedBody<T>? kernel)
    {
        if (arrays.Length < x.Length + y.Length)
        {
            arrays = new T[x.Length + y.Length][];
            offsets = new int[x.Length + y.Length];
        }
        for (int i = 0; i < x.Length; i++) (arrays[i], offsets[i]) = (x[i].Data<T>(), x[i].Offset);
        for (int j = 0; j < y.Length; j++) (arrays[x.Length + j], offsets[x.Length + j]) = (y[j].Data<T>(), y[j].Offset);
        (this.op, inputs, outputs, this.broadcast, this.kernel) = (op, x.Length, y.Length, broadcast, kernel);
        plan = kernel is null ? TilePlan.For(op, x.Length) : null;
    }

    // Drops the references to the tensors' arrays, which a thread's idle instance would otherwise keep alive.
    void Release()
    {
        Array.Clear(arrays);
        op = null!;
        kernel = null;
    }

    void Range(int start, int count)
    {
        if (kernel is null)
        {
            FusedElementwiseKernel.Interpret(op, plan!, arrays, offsets, inputs, broadcast, start, count);
            return;
        }
        int whole = count - count % Width;
        if (whole > 0) kernel(arrays, offsets, start, whole);
        if (whole < count) Tail(start + whole, count - whole);
    }

    void Tail(int start, int count)
    {
        int width = Width;
        var pad = FusedTail<T>.Get(inputs + outputs, width, out var padArrays, out var padOffsets);
        for (int i = 0; i < inputs; i++)
        {
            if ((broadcast >> i & 1) != 0)
            {
                (padArrays[i], padOffsets[i]) = (arrays[i], offsets[i]);
                continue;
            }
            Array.Clear(pad, i * width, width);
            Array.Copy(arrays[i], offsets[i] + start, pad, i * width, count);
            (padArrays[i], padOffsets[i]) = (pad, i * width);
        }
        for (int j = inputs; j < inputs + outputs; j++) (padArrays[j], padOffsets[j]) = (pad, j * width);
        kernel!(padArrays, padOffsets, 0, width);
        for (int j = inputs; j < inputs + outputs; j++) Array.Copy(pad, j * width, arrays[j], offsets[j] + start, count);
        Array.Clear(padArrays);
    }
}

/// <summary>Per thread: the zero-padded copies a generated kernel's last partial vector runs on.</summary>
internal static class FusedTail<T> where T : unmanaged
{
    [ThreadStatic] static T[]? pad;
    [ThreadStatic] static T[][]? arrays;
    [ThreadStatic] static int[]? offsets;

    /// <summary>A pad of <paramref name="tensors"/> vectors (inputs, then outputs) and arrays to hand the kernel.</summary>
    public static T[] Get(int tensors, int width, out T[][] padArrays, out int[] padOffsets)
    {
        if (pad is null || pad.Length < tensors * width) pad = new T[tensors * width];
        if (arrays is null || arrays.Length < tensors)
        {
            arrays = new T[tensors][];
            offsets = new int[tensors];
        }
        (padArrays, padOffsets) = (arrays, offsets!);
        return pad;
    }
}
