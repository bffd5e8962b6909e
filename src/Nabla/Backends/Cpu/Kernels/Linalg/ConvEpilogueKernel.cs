using System.Numerics;
using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="ConvEpilogue"/> on the CPU. The product w·cols is computed in column units (with
/// <see cref="ConvEpilogue.Images"/>: one image's L columns, whose [O, L] block is exactly that image's [O, OH, OW] block
/// of the output, so the GEMM writes the conv's layout directly; without: fixed-width column blocks of z [O, N]), a few
/// units per batched GEMM call, and each call's output gets its bias and activation while it is still in cache. Eager
/// code makes z [O, N] in one GEMM, adds the bias in a second pass and reorders it into [B, O, OH, OW] through the
/// activation in a third. Same bits: the GEMM's arithmetic depends on k alone once it takes the blocked path, which a
/// product of at least 2 x 2 without split k always does (checked for the whole and for each unit, else one whole GEMM
/// is run as eager code does); the add and relu are exact per element; any other activation runs on the same runs of L
/// elements eager code hands it (one per image and channel).
/// </summary>
internal static class ConvEpilogueKernel
{
    /// <summary>Output elements one GEMM call aims at: its block stays in L2 while the bias and activation run over it.</summary>
    const int BlockElements = 1 << 15;

    /// <summary>Columns per unit of a [O, N] result (no image layout).</summary>
    const int RowUnit = 512;

    public static Tensor Run(ConvEpilogue op, Tensor[] x)
    {
        var y = CpuTensor.Empty(x[0].DType, new Shape(OutputShape(op, x)));
        if (!Fill(op, x, y)) throw new InvalidOperationException($"internal: conv_epilogue on {x[0].DType.TorchName()} {x[0].Shape} · {x[1].Shape}");
        return y;
    }

    /// <summary>The into-form: false, with nothing written, unless y is a contiguous CPU tensor of the output's shape and dtype at offset 0, sharing no memory with an input.</summary>
    public static bool Into(ConvEpilogue op, Tensor[] x, Tensor y)
    {
        if (y.DType != x[0].DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || y.Offset != 0 || !y.IsContiguous) return false;
        if (!y.Shape.Span.SequenceEqual(OutputShape(op, x))) return false;
        foreach (var t in x)
            if (t.SharesStorage(y)) return false;
        return Fill(op, x, y);
    }

    static int[] OutputShape(ConvEpilogue op, Tensor[] x)
    {
        int o = x[0].Shape[x[0].Rank - 2], n = x[1].Shape[x[1].Rank - 1];
        return op.Images ? [op.Batch, o, op.OutH, op.OutW] : [o, n];
    }

    static bool Fill(ConvEpilogue op, Tensor[] x, Tensor y)
    {
        var (w, cols, bias) = (x[0], x[1], x[2]);
        int rank = w.Rank;
        if (rank is not (2 or 3) || cols.Rank != rank || (rank == 3 && (w.Shape[0] != 1 || cols.Shape[0] != 1))) return false;
        int o = w.Shape[rank - 2], k = w.Shape[rank - 1], n = cols.Shape[rank - 1];
        if (cols.Shape[rank - 2] != k || bias.Rank != 2 || bias.Shape[0] != o || bias.Shape[1] != 1 || bias.DType != y.DType) return false;
        if (op.Images && (long)op.Batch * op.OutH * op.OutW != n) return false;
        if (y.DType == DType.Float32) Run<float>(op, w, cols, bias, y);
        else if (y.DType == DType.Float64) Run<double>(op, w, cols, bias, y);
        else return false;
        return true;
    }

    static void Run<T>(ConvEpilogue op, Tensor w, Tensor cols, Tensor bias, Tensor y) where T : unmanaged, INumber<T>
    {
        using var raw = RawAccess.Enter();
        int rank = w.Rank;
        int o = w.Shape[rank - 2], k = w.Shape[rank - 1], n = cols.Shape[rank - 1];
        if (o == 0 || n == 0) return;
        var ga = new GemmOperand(w.Offset, w.Strides[rank - 2], w.Strides[rank - 1], 0);
        int rowStride = cols.Strides[rank - 2], colStride = cols.Strides[rank - 1];
        var (ad, bd, yd) = (w.Data<T>(), cols.Data<T>(), y.Data<T>());
        var steps = new Steps<T>(op, bias, yd, o, n);

        // Units of the output: an image's [O, L] block, or a column block of [O, N] (the last one takes the rest).
        int unit = op.Images ? op.OutH * op.OutW : Math.Min(RowUnit, n);
        int units = n / unit, last = n - (units - 1) * unit;
        if (!SameArithmetic(o, k, n, unit, last))
        {
            // One GEMM as eager code runs it, then the steps over the whole result.
            var whole = op.Images ? CpuTensor.Empty(y.DType, new Shape([o, n])) : y;
            Gemm.Run(ad, ga, bd, new GemmOperand(cols.Offset, rowStride, colStride, 0), whole.Data<T>(), new GemmOperand(0, n, 1, o * n), 1, o, k, n);
            steps.Apply(whole.Data<T>(), 0, units, unit, last);
            return;
        }
        int perCall = Math.Max(1, Math.Min(units, BlockElements / Math.Max(1, o * unit)));
        int calls = (units + perCall - 1) / perCall;
        void Call(int c)
        {
            int u0 = c * perCall, count = Math.Min(perCall, units - u0);
            // A unit's C block: [O, L] at its image's place, or a column block of [O, N] (rows spaced by n).
            var gc = op.Images ? new GemmOperand(u0 * o * unit, unit, 1, o * unit) : new GemmOperand(u0 * unit, n, 1, unit);
            var gb = new GemmOperand(cols.Offset + u0 * unit * colStride, rowStride, colStride, unit * colStride);
            bool lastInCall = u0 + count == units && last != unit;
            if (count > (lastInCall ? 1 : 0))
                Gemm.Run(ad, ga, bd, gb, yd, gc, lastInCall ? count - 1 : count, o, k, unit);
            if (lastInCall)
            {
                int u = units - 1;
                Gemm.Run(ad, ga, bd, gb with { Offset = cols.Offset + u * unit * colStride }, yd, gc with { Offset = u * unit }, 1, o, k, last);
            }
            steps.Apply(yd, u0, count, unit, last == unit || u0 + count < units ? unit : last);
        }
        long macs = (long)o * k * n;
        if (CpuParallel.Threads > 1 && calls > 1 && macs >= Gemm.ParallelThreshold) CpuWorkers.For(calls, CpuParallel.Threads - 1, Call);
        else
            for (int c = 0; c < calls; c++) Call(c);
    }

    /// <summary>
    /// Whether the whole product (O x K x N) and every unit's (O x K x width) take the blocked GEMM, whose sums depend on k
    /// alone: no vector path (a side of 1) and no split k.
    /// </summary>
    static bool SameArithmetic(int o, int k, int n, int unit, int last) =>
        o >= 2 && unit >= 2 && last >= 2 && GemmSplitKRule.ChunkLength(o, k, n) == 0
        && GemmSplitKRule.ChunkLength(o, k, unit) == 0 && GemmSplitKRule.ChunkLength(o, k, last) == 0;

    /// <summary>The bias add and activation on units of the product, each step by its primitive's span kernel.</summary>
    sealed class Steps<T>(ConvEpilogue op, Tensor bias, T[] y, int o, int n) where T : unmanaged, INumber<T>
    {
        readonly T[] biasData = bias.Data<T>();
        readonly int biasOffset = bias.Offset, biasStride = bias.Strides[0];

        /// <summary>
        /// Units [u0, u0 + count) of <paramref name="c"/> (the output itself, or with images a whole [O, N] product first)
        /// get the bias and the activation; the last of them may be <paramref name="lastWidth"/> wide.
        /// </summary>
        public void Apply(T[] c, int u0, int count, int unit, int lastWidth)
        {
            for (int u = u0; u < u0 + count; u++)
            {
                int width = u == u0 + count - 1 ? lastWidth : unit;
                for (int r = 0; r < o; r++)
                {
                    // Product row r, columns of unit u: in the image layout the unit's block is [O, L] at the image's place.
                    bool inPlace = ReferenceEquals(c, y);
                    int from = op.Images && inPlace ? (u * o + r) * unit : r * n + u * unit;
                    var z = c.AsSpan(from, width);
                    var b = biasData.AsSpan(biasOffset + r * biasStride, 1);
                    if (op.BiasFirst) AddKernel.Run<T>(b, 0, z, 1, z);
                    else AddKernel.Run<T>(z, 1, b, 0, z);
                    if (op.Images) Activate(z, y.AsSpan((u * o + r) * unit, width));
                }
            }
        }

        /// <summary>act(z) into <paramref name="h"/> (which may be z itself: relu runs in place; the others read a copy).</summary>
        void Activate(Span<T> z, Span<T> h)
        {
            switch (op.Activation)
            {
                case EpilogueActivation.None: if (!z.Overlaps(h)) z.CopyTo(h); return;
                case EpilogueActivation.Relu: ReluKernel.Run<T>(z, h); return;
            }
            var x = z;
            if (z.Overlaps(h))
            {
                x = (scratch is { } s && s.Length >= z.Length ? s : scratch = new T[z.Length]).AsSpan(0, z.Length);
                z.CopyTo(x);
            }
            switch (op.Activation)
            {
                case EpilogueActivation.Gelu: GeluKernel.Run<T>(x, h); break;
                case EpilogueActivation.Tanh: TanhKernel.Run<T>(x, h); break;
                case EpilogueActivation.Sigmoid: SigmoidKernel.Run<T>(x, h); break;
                default: throw new InvalidOperationException($"internal: epilogue activation {op.Activation}");
            }
        }

        [ThreadStatic] static T[]? scratch;
    }
}
