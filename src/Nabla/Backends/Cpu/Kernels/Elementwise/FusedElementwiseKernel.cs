using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="FusedElementwise"/>, a tile interpreter: the output is walked in tiles of a few KB, each
/// step runs its own span kernel (the structs <see cref="ElementwiseRuns"/> registers) on the tile, intermediates stay
/// in per-thread scratch tiles (reused once a slot is read for the last time, so a chain needs a few tiles, in L1),
/// and only the last step writes the output. The span kernels give every element the same bits wherever it sits in
/// its run, so the result is eager code's, whatever the tiles and the thread count.
/// Inputs must each be contiguous in the output's shape or one broadcast scalar (all strides 0, read as a stride-0
/// operand of a binary step, as the eager driver passes it); otherwise the steps run one by one, each its own kernel.
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

    public static Tensor Run(FusedElementwise op, Tensor[] x)
    {
        var y = CpuTensor.Empty(x[0].DType, x[0].Shape);
        return Tiled(op, x, y) ? y : OneByOne(op, x);
    }

    /// <summary>The into-form (<see cref="KernelEntry.Into"/>): false, with nothing written, when y or an input does not fit.</summary>
    public static bool Into(FusedElementwise op, Tensor[] x, Tensor y)
    {
        if (y.DType != x[0].DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || !y.IsContiguous || !y.Shape.Equals(x[0].Shape))
            return false;
        return Tiled(op, x, y);
    }

    static bool Tiled(FusedElementwise op, Tensor[] x, Tensor y)
    {
        var broadcast = new bool[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var t = x[i];
            if (t.DType != y.DType || !ReferenceEquals(t.Storage.Backend, CpuBackend.Instance) || !t.Shape.Equals(y.Shape) || t.SharesStorage(y))
                return false;
            broadcast[i] = !t.IsContiguous;
            if (broadcast[i] && !AllZero(t.Strides)) return false;
        }
        for (int k = 0; k < op.Steps.Length; k++)
            if (!op.IsBinary(k) && op.Operands[2 * k] < x.Length && broadcast[op.Operands[2 * k]]) return false;
        if (y.DType == DType.Float32) Run<float>(op, x, broadcast, y);
        else if (y.DType == DType.Float64) Run<double>(op, x, broadcast, y);
        else return false;
        return true;
    }

    static bool AllZero(ReadOnlySpan<int> strides)
    {
        foreach (int s in strides)
            if (s != 0) return false;
        return true;
    }

    static void Run<T>(FusedElementwise op, Tensor[] x, bool[] broadcast, Tensor y) where T : unmanaged, INumber<T>
    {
        using var raw = Backends.RawAccess.Enter();
        var plan = TilePlan.For(op, x.Length);
        var data = new T[x.Length][];
        var offsets = new int[x.Length];
        for (int i = 0; i < x.Length; i++) (data[i], offsets[i]) = (x[i].Data<T>(), x[i].Offset);
        var yd = y.Data<T>();
        int yOffset = y.Offset;
        int tile = TileBytes / Unsafe.SizeOf<T>();
        CpuParallel.ForRange(y.NumElements, (start, count) =>
        {
            int stride = tile + MinTile;
            var scratch = Scratch<T>.Get(plan.Buffers * stride, 0);
            for (int s = start, m; s < start + count; s += m)
            {
                int rest = start + count - s;
                m = rest < tile + MinTile ? rest : tile;
                for (int k = 0; k < op.Steps.Length; k++)
                {
                    var a = Operand(op.Operands[2 * k], s, m, scratch, stride, out int sa);
                    var dst = plan.Buffer[k] < 0 ? yd.AsSpan(yOffset + s, m) : scratch.Slice(plan.Buffer[k] * stride, m);
                    if (op.IsBinary(k))
                    {
                        var b = Operand(op.Operands[2 * k + 1], s, m, scratch, stride, out int sb);
                        Binary(op.Steps[k], a, sa, b, sb, dst);
                    }
                    else Unary(op.Steps[k], a, dst, op.Scalars[k]);
                }
            }

            ReadOnlySpan<T> Operand(int slot, int s, int m, Span<T> scratch, int tileStride, out int step)
            {
                step = slot < data.Length && broadcast[slot] ? 0 : 1;
                if (slot >= data.Length) return scratch.Slice(plan.Buffer[slot - data.Length] * tileStride, m);
                return step == 0 ? data[slot].AsSpan(offsets[slot], 1) : data[slot].AsSpan(offsets[slot] + s, m);
            }
        });
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

    /// <summary>Each step's primitive run by its own registered kernel on whole tensors, as eager code runs them.</summary>
    static Tensor OneByOne(FusedElementwise op, Tensor[] x)
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
        return values[^1];
    }
}
