using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="FusedElementwise"/>. Where every step has a vector form giving eager code's bits, a kernel
/// generated for the program (<see cref="FusedKernelGenerator"/>; <see cref="FusedKernelMode"/> can force either way).
/// Otherwise a tile interpreter: the output is walked in tiles of a few KB, each step runs its own span kernel (the
/// structs <see cref="ElementwiseRuns"/> registers) on the tile, intermediates stay in per-thread scratch tiles (reused
/// once a slot is read for the last time, so a chain needs a few tiles, in L1), and only the last step writes the
/// output. The span kernels are meant to give every element the same bits wherever it sits in its run (TensorPrimitives'
/// sin/cos/tan were seen to differ from eager code in a last bit: FusedCodegenTests), so the result is eager code's,
/// whatever the tiles and the thread count.
/// Inputs are each contiguous in the output's shape, one broadcast scalar (all strides 0; the interpreter reads one
/// only as a stride-0 operand of a binary step, as the eager driver passes it), or any other layout of the output's
/// shape (a bias broadcast along some dims, a transpose), gathered tile by tile into contiguous per-thread tiles
/// (<see cref="StridedTile"/>); where neither kernel kind can run the program, the steps run one by one, each its own kernel.
/// </summary>
internal static class FusedElementwiseKernel
{
    const int TileBytes = 4096;

    /// <summary>
    /// The shortest tile but a whole range: a shorter rest joins the tile before it. TensorPrimitives' float64 kernels
    /// take a scalar or narrower vector path on runs shorter than a vector, whose last bit can differ from the wide
    /// path's; eager code never runs them on such a tail of a longer tensor, so neither do the tiles.
    /// </summary>
    const int MinTile = 64;

    public static Tensor Run(FusedElementwise op, Tensor[] x) => Run(op, x, FusedKernelMode.Kind);

    /// <summary><see cref="Run(FusedElementwise, Tensor[])"/> with the kernel kind given (tests compare the two).</summary>
    internal static Tensor Run(FusedElementwise op, Tensor[] x, FusedKernelKind kind)
    {
        if (op.OutputCount != 1) throw new InvalidOperationException($"internal: a fused program with {op.OutputCount} outputs runs through CallMany");
        var y = CpuTensor.Empty(x[0].DType, x[0].Shape);
        return TiledOne(op, x, y, kind) ? y : OneByOne(op, x)[0];
    }

    /// <summary>Every output of <paramref name="op"/> (the kernel's <see cref="KernelEntry.Many"/> form).</summary>
    public static Tensor[] RunMany(FusedElementwise op, Tensor[] x) => RunMany(op, x, FusedKernelMode.Kind);

    /// <summary><see cref="RunMany(FusedElementwise, Tensor[])"/> with the kernel kind given (tests compare the two).</summary>
    internal static Tensor[] RunMany(FusedElementwise op, Tensor[] x, FusedKernelKind kind)
    {
        var y = new Tensor[op.OutputCount];
        for (int j = 0; j < y.Length; j++) y[j] = CpuTensor.Empty(x[0].DType, x[0].Shape);
        return Tiled(op, x, y, kind) ? y : OneByOne(op, x);
    }

    /// <summary>The into-form (<see cref="KernelEntry.Into"/>): false, with nothing written, when y or an input does not fit.</summary>
    public static bool Into(FusedElementwise op, Tensor[] x, Tensor y) => op.OutputCount == 1 && Fits(x, y) && TiledOne(op, x, y, FusedKernelMode.Kind);

    [ThreadStatic] static Tensor[]? one;

    // A one-output call hands its output over in a per-thread array, so it allocates nothing but the output.
    static bool TiledOne(FusedElementwise op, Tensor[] x, Tensor y, FusedKernelKind kind)
    {
        var outputs = one ?? new Tensor[1];
        one = null;   // a nested call (none today) takes a fresh array
        outputs[0] = y;
        try { return Tiled(op, x, outputs, kind); }
        finally
        {
            outputs[0] = null!;
            one = outputs;
        }
    }

    /// <summary>
    /// The several-output into-form (<see cref="KernelEntry.ManyInto"/>): output k into <paramref name="into"/>[k] where
    /// given, a new tensor where null; null, with nothing written, when a given tensor or an input does not fit (an
    /// input may be exactly a given tensor's view; any other overlap, also between outputs, refuses).
    /// </summary>
    public static Tensor[]? IntoMany(FusedElementwise op, Tensor[] x, Tensor?[] into)
    {
        if (into.Length != op.OutputCount) return null;
        var y = new Tensor[into.Length];
        for (int j = 0; j < y.Length; j++)
        {
            if (into[j] is { } given && !Fits(x, given)) return null;
            y[j] = into[j] ?? CpuTensor.Empty(x[0].DType, x[0].Shape);
        }
        return Tiled(op, x, y, FusedKernelMode.Kind) ? y : null;
    }

    static bool Fits(Tensor[] x, Tensor y) =>
        y.DType == x[0].DType && ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) && y.IsContiguous && y.Shape.Equals(x[0].Shape);

    static bool Tiled(FusedElementwise op, Tensor[] x, Tensor[] y, FusedKernelKind kind)
    {
        // A bit per input read as a broadcast scalar; a program with more inputs than bits runs one step at a time.
        if (x.Length > 64) return false;
        for (int j = 0; j < y.Length; j++)
            for (int i = 0; i < j; i++)
                if (y[i].SharesStorage(y[j])) return false;   // two outputs into one memory: the order of the stores would decide
        ulong broadcast = 0, strided = 0;
        for (int i = 0; i < x.Length; i++)
        {
            var t = x[i];
            if (t.DType != y[0].DType || !ReferenceEquals(t.Storage.Backend, CpuBackend.Instance) || !t.Shape.Equals(y[0].Shape) || Overlaps(t, y))
                return false;
            if (t.IsContiguous) continue;
            if (AllZero(t.Strides)) broadcast |= 1UL << i;
            else strided |= 1UL << i;
        }
        if (y[0].DType == DType.Float32) return FusedRun<float>.Run(op, x, broadcast, strided, y, kind);
        if (y[0].DType == DType.Float64) return FusedRun<double>.Run(op, x, broadcast, strided, y, kind);
        return false;
    }

    // Every element's inputs are read before its outputs are stored, so an input may be exactly an output's view.
    static bool Overlaps(Tensor x, Tensor[] y)
    {
        foreach (var t in y)
            if (x.SharesStorage(t) && !x.IsSameView(t)) return true;
        return false;
    }

    static bool AllZero(ReadOnlySpan<int> strides)
    {
        foreach (int s in strides)
            if (s != 0) return false;
        return true;
    }

    /// <summary>Whether the tile interpreter can run <paramref name="op"/>: its span kernels read a broadcast scalar
    /// only as a binary step's stride-0 operand.</summary>
    internal static bool Interpretable(FusedElementwise op, int inputs, ulong broadcast)
    {
        for (int k = 0; k < op.Steps.Length; k++)
            if (!op.IsBinary(k) && op.Operands[2 * k] < inputs && (broadcast >> op.Operands[2 * k] & 1) != 0) return false;
        return true;
    }

    /// <summary>One tile of the interpreter: elements [start, start + count) through every step in turn.</summary>
    internal static void Interpret<T>(FusedElementwise op, TilePlan plan, T[][] data, int[] offsets, int inputs, ulong broadcast,
        int start, int count) where T : unmanaged, INumber<T>
    {
        int tile = TileBytes / Unsafe.SizeOf<T>();
        int stride = tile + MinTile;
        var scratch = Scratch<T>.Get(plan.Buffers * stride, 0);
        int direct = inputs + Math.Max(plan.Direct, 0);
        var yd = data[direct];
        int yOffset = offsets[direct];
        for (int s = start, m; s < start + count; s += m)
        {
            int rest = start + count - s;
            m = rest < tile + MinTile ? rest : tile;
            for (int k = 0; k < op.Steps.Length; k++)
            {
                var a = Operand(op.Operands[2 * k], s, m, out int sa, data, offsets, inputs, broadcast, plan, scratch, stride);
                var dst = plan.Buffer[k] < 0 ? yd.AsSpan(yOffset + s, m) : scratch.Slice(plan.Buffer[k] * stride, m);
                if (op.IsBinary(k))
                {
                    var b = Operand(op.Operands[2 * k + 1], s, m, out int sb, data, offsets, inputs, broadcast, plan, scratch, stride);
                    Binary(op.Steps[k], a, sa, b, sb, dst);
                }
                else Unary(op.Steps[k], a, dst, op.Scalars[k]);
            }
            // The other outputs leave their tiles once every step of this tile ran (an input may be an output's view).
            for (int j = 0; j < op.Outputs.Length; j++)
            {
                if (j == plan.Direct) continue;
                int b = plan.Buffer[op.Outputs[j]];
                ReadOnlySpan<T> value = b < 0 ? yd.AsSpan(yOffset + s, m) : scratch.Slice(b * stride, m);
                value.CopyTo(data[inputs + j].AsSpan(offsets[inputs + j] + s, m));
            }
        }
    }

    static ReadOnlySpan<T> Operand<T>(int slot, int s, int m, out int step, T[][] data, int[] offsets, int inputs, ulong broadcast,
        TilePlan plan, Span<T> scratch, int stride)
    {
        if (slot >= inputs)
        {
            step = 1;
            return scratch.Slice(plan.Buffer[slot - inputs] * stride, m);
        }
        step = (broadcast >> slot & 1) != 0 ? 0 : 1;
        return step == 0 ? data[slot].AsSpan(offsets[slot], 1) : data[slot].AsSpan(offsets[slot] + s, m);
    }

    internal static void Binary<T>(FusedStep step, ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T>
    {
        switch (step)
        {
            case FusedStep.Add: AddKernel.Run(a, sa, b, sb, y); break;
            case FusedStep.Sub: SubKernel.Run(a, sa, b, sb, y); break;
            case FusedStep.Mul: MulKernel.Run(a, sa, b, sb, y); break;
            case FusedStep.Div: DivKernel.Run(a, sa, b, sb, y); break;
            case FusedStep.Maximum: MaximumKernel.Run(a, sa, b, sb, y); break;
            case FusedStep.Minimum: MinimumKernel.Run(a, sa, b, sb, y); break;
            case FusedStep.Pow: PowKernel.Run(a, sa, b, sb, y); break;
            default: throw new InvalidOperationException($"internal: {step} is no binary step");
        }
    }

    internal static void Unary<T>(FusedStep step, ReadOnlySpan<T> x, Span<T> y, double scalar) where T : unmanaged, INumber<T>
    {
        switch (step)
        {
            case FusedStep.Neg: NegKernel.Run(x, y); break;
            case FusedStep.Abs: AbsKernel.Run(x, y); break;
            case FusedStep.Relu: ReluKernel.Run(x, y); break;
            case FusedStep.Sqrt: SqrtKernel.Run(x, y); break;
            case FusedStep.Exp: ExpKernel.Run(x, y); break;
            case FusedStep.Log: LogKernel.Run(x, y); break;
            case FusedStep.Sin: SinKernel.Run(x, y); break;
            case FusedStep.Cos: CosKernel.Run(x, y); break;
            case FusedStep.Tan: TanKernel.Run(x, y); break;
            case FusedStep.Tanh: TanhKernel.Run(x, y); break;
            case FusedStep.Sigmoid: SigmoidKernel.Run(x, y); break;
            case FusedStep.Erf: ErfKernel.Run(x, y); break;
            case FusedStep.Gelu: GeluKernel.Run(x, y); break;
            // As PowScalarKernel: float32 takes the exponent rounded to float.
            case FusedStep.PowScalar when typeof(T) == typeof(float):
                PowScalarKernel.Floats(MemoryMarshal.Cast<T, float>(x), (float)scalar, MemoryMarshal.Cast<T, float>(y)); break;
            case FusedStep.PowScalar:
                PowScalarKernel.Floats(MemoryMarshal.Cast<T, double>(x), scalar, MemoryMarshal.Cast<T, double>(y)); break;
            default: throw new InvalidOperationException($"internal: {step} is no unary step");
        }
    }

    /// <summary>Each step's primitive run by its own registered kernel on whole tensors, as eager code runs them: the outputs.</summary>
    static Tensor[] OneByOne(FusedElementwise op, Tensor[] x)
    {
        var values = new Tensor[x.Length + op.Steps.Length];
        Array.Copy(x, values, x.Length);
        for (int k = 0; k < op.Steps.Length; k++)
        {
            var step = op.StepPrimitive(k);
            Tensor[] inputs = op.IsBinary(k) ? [values[op.Operands[2 * k]], values[op.Operands[2 * k + 1]]] : [values[op.Operands[2 * k]]];
            var entry = CpuBackend.Instance.Kernels.Find(step.GetType(), x[0].DType)
                ?? throw new InvalidOperationException($"internal: no CPU kernel for fused step {step.Name}");
            values[x.Length + k] = entry.Single!(step, inputs);
        }
        var y = new Tensor[op.Outputs.Length];
        for (int j = 0; j < y.Length; j++)
            y[j] = Array.IndexOf(op.Outputs, op.Outputs[j]) < j ? CopyKernel.Contiguous(values[x.Length + op.Outputs[j]]) : values[x.Length + op.Outputs[j]];
        return y;
    }
}
