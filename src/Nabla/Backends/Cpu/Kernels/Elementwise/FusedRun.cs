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
/// Strided inputs (<see cref="StridedTile"/>) are copied tile by tile into per-thread contiguous tiles that the kernel
/// or the interpreter then reads as runs: the same steps on the same values, so the same bits.
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
    ulong broadcast, strided;
    StridedTile[] layouts = [];
    readonly Action<int, int> range;

    FusedRun() => range = Range;

    static int Width => Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256<T>.Count;

    /// <summary>Runs <paramref name="op"/> into <paramref name="y"/> (one tensor per output); false, with nothing written,
    /// when neither a generated kernel nor the interpreter can read the inputs as they are laid out. Inputs with a bit in
    /// <paramref name="broadcast"/> are one scalar, those with a bit in <paramref name="strided"/> are gathered per tile.</summary>
    public static bool Run(FusedElementwise op, Tensor[] x, ulong broadcast, ulong strided, Tensor[] y, FusedKernelKind kind)
    {
        var kernel = kind != FusedKernelKind.Interpreter ? FusedProgramKernels.For<T>(op, x.Length, broadcast) : null;
        if (kernel is null && !FusedElementwiseKernel.Interpretable(op, x.Length, broadcast)) return false;
        // A nested call on this thread (none today) takes a fresh instance rather than the one in use.
        var run = idle ?? new FusedRun<T>();
        idle = null;
        try
        {
            using var raw = Backends.RawAccess.Enter();
            run.Set(op, x, broadcast, strided, y, kernel);
            CpuParallel.ForRange(y[0].NumElements, run.range);
        }
        finally
        {
            run.Release();
            idle = run;
        }
        return true;
    }

    void Set(FusedElementwise op, Tensor[] x, ulong broadcast, ulong strided, Tensor[] y, FusedBody<T>? kernel)
    {
        if (strided != 0 && layouts.Length < x.Length) Array.Resize(ref layouts, x.Length);
        for (int i = 0; i < x.Length; i++)
            if ((strided >> i & 1) != 0) (layouts[i] ??= new StridedTile()).Set(x[i]);
        this.strided = strided;
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
        if (strided != 0) GatheredRange(start, count);
        else RangeOf(arrays, offsets, start, count);
    }

    void RangeOf(T[][] arrays, int[] offsets, int start, int count)
    {
        if (kernel is null)
        {
            FusedElementwiseKernel.Interpret(op, plan!, arrays, offsets, inputs, broadcast, start, count);
            return;
        }
        int whole = count - count % Width;
        if (whole > 0) kernel(arrays, offsets, start, whole);
        if (whole < count) Tail(arrays, offsets, start + whole, count - whole);
    }

    /// <summary>
    /// The elements of a gathered tile: a multiple of the interpreter's tile and of any vector width, so the tiles split
    /// the range where the interpreter would (a shorter rest joins the tile before it, as there).
    /// </summary>
    const int GatherTile = 2048, GatherRest = 64;

    // The range in tiles, each run as a range of its own from 0: the runs and outputs are handed on from the tile's first
    // element, each strided input as its tile gathered into this thread's pad (a broadcast scalar stays as it is).
    void GatheredRange(int start, int count)
    {
        var pad = GatherPad<T>.Get(inputs, inputs + outputs, GatherTile + GatherRest, out var tileArrays, out var tileOffsets);
        Array.Copy(arrays, tileArrays, inputs + outputs);
        try
        {
            for (int s = start, m; s < start + count; s += m)
            {
                int rest = start + count - s;
                m = rest < GatherTile + GatherRest ? rest : GatherTile;
                for (int i = 0; i < inputs + outputs; i++)
                {
                    if (i < inputs && (strided >> i & 1) != 0)
                    {
                        layouts[i].Gather(arrays[i], s, pad[i].AsSpan(0, m));
                        (tileArrays[i], tileOffsets[i]) = (pad[i], 0);
                    }
                    else tileOffsets[i] = i < inputs && (broadcast >> i & 1) != 0 ? offsets[i] : offsets[i] + s;
                }
                RangeOf(tileArrays, tileOffsets, 0, m);
            }
        }
        finally { Array.Clear(tileArrays); }
    }

    void Tail(T[][] arrays, int[] offsets, int start, int count)
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

/// <summary>Per thread: the contiguous tiles strided inputs are gathered into, and arrays to hand the kernel.</summary>
internal static class GatherPad<T> where T : unmanaged
{
    [ThreadStatic] static T[][]? pads;
    [ThreadStatic] static T[][]? arrays;
    [ThreadStatic] static int[]? offsets;

    /// <summary>A tile of <paramref name="length"/> elements per input (of <paramref name="inputs"/>), and arrays to hand
    /// the kernel for <paramref name="tensors"/> tensors (the inputs, then the outputs).</summary>
    public static T[][] Get(int inputs, int tensors, int length, out T[][] tileArrays, out int[] tileOffsets)
    {
        if (pads is null || pads.Length < inputs)
        {
            var grown = new T[inputs][];
            pads?.CopyTo(grown, 0);
            pads = grown;
        }
        if (arrays is null || arrays.Length < tensors) (arrays, offsets) = (new T[tensors][], new int[tensors]);
        for (int i = 0; i < inputs; i++) pads[i] ??= new T[length];
        (tileArrays, tileOffsets) = (arrays, offsets!);
        return pads;
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
