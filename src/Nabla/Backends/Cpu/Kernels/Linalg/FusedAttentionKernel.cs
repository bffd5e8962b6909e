using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="FusedAttention"/> and <see cref="FusedAttentionGrad"/> on the CPU, flash-attention style: query rows in
/// blocks of <see cref="RowBlock"/>, keys in blocks of <see cref="KeyBlock"/>; every tile product (q·kᵀ, p·v, g·vᵀ, ds·k,
/// dsᵀ·q, pᵀ·g) is a <see cref="GemmDot{T, TV, TOps}"/> call on operands whose rows are contiguous along the summed dim
/// (the kernel keeps transposed copies of v, k, q and g for that: linear memory). Scratch per task is a few tiles, so
/// memory is O(L + S), never O(L·S). The forward runs (batch × query block) tasks in parallel, the backward one task per
/// batch entry (dk and dv sum over every query block); each output element is computed by one task in a fixed order,
/// so results do not depend on the thread count.
/// </summary>
internal static class FusedAttentionKernel
{
    internal const int RowBlock = 32, KeyBlock = 64;

    /// <summary>Below this much work (multiply-adds) one thread runs every task.</summary>
    const long ParallelWork = 1 << 18;

    public static Tensor[] Forward(FusedAttention op, Tensor[] x) =>
        x[0].DType == DType.Float64 ? Forward<double>(op, x) : Forward<float>(op, x);

    public static Tensor Backward(FusedAttentionGrad op, Tensor[] x) =>
        x[0].DType == DType.Float64 ? Backward<double>(op, x) : Backward<float>(op, x);

    static Tensor[] Forward<T>(FusedAttention op, Tensor[] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (q, k, v) = (CopyKernel.AsContiguous(x[0]), CopyKernel.AsContiguous(x[1]), CopyKernel.AsContiguous(x[2]));
        int b = q.Shape[0], l = q.Shape[1], e = q.Shape[2], s = k.Shape[1], ev = v.Shape[2];
        var y = CpuTensor.Empty(q.DType, new Shape([b, l, ev]), zeroed: true);
        var lse = CpuTensor.Empty(q.DType, new Shape([b, l]));
        if (b * l == 0) return [y, lse];
        T[] qd = q.Data<T>(), kd = k.Data<T>(), vd = v.Data<T>(), yd = y.Data<T>(), lsed = lse.Data<T>();
        int qo = q.Offset, ko = k.Offset, vo = v.Offset;
        var vt = new T[b * ev * s];                    // vᵀ per batch entry: [ev, s], rows contiguous along keys
        for (int n = 0; n < b; n++) Transpose(vd, vo + n * s * ev, s, ev, vt, n * ev * s);
        T scale = T.CreateChecked(op.Scale);
        bool causal = op.Causal;
        int blocks = (l + RowBlock - 1) / RowBlock;
        int bits = Bits();

        void Task(int t)
        {
            int n = t / blocks, i0 = t % blocks * RowBlock, rows = Math.Min(RowBlock, l - i0);
            var scores = new T[RowBlock * KeyBlock];
            var pv = new T[RowBlock * ev];
            var max = new T[RowBlock];
            var sum = new T[RowBlock];
            max.AsSpan().Fill(T.NegativeInfinity);
            int keys = causal ? Math.Min(s, i0 + rows) : s;
            int yRow0 = (n * l + i0) * ev;
            for (int j0 = 0; j0 < keys; j0 += KeyBlock)
            {
                int cols = Math.Min(KeyBlock, keys - j0);
                Dot(bits, qd, qo + (n * l + i0) * e, e, kd, ko + (n * s + j0) * e, e, scores, 0, KeyBlock, rows, e, cols);
                for (int r = 0; r < rows; r++)
                {
                    int valid = causal ? Math.Min(cols, i0 + r - j0 + 1) : cols;
                    var row = scores.AsSpan(r * KeyBlock, cols);
                    if (valid <= 0) { row.Clear(); continue; }
                    var live = row[..valid];
                    TensorPrimitives.Multiply(live, scale, live);
                    T mNew = T.Max(max[r], TensorPrimitives.Max<T>(live));
                    TensorPrimitives.Subtract(live, mNew, live);
                    TensorPrimitives.Exp<T>(live, live);
                    row[valid..].Clear();
                    T factor = T.Exp(max[r] - mNew);    // 0 on the first block (max = -inf)
                    sum[r] = sum[r] * factor + TensorPrimitives.Sum<T>(live);
                    max[r] = mNew;
                    if (factor != T.One)
                    {
                        var yRow = yd.AsSpan(yRow0 + r * ev, ev);
                        TensorPrimitives.Multiply(yRow, factor, yRow);
                    }
                }
                Dot(bits, scores, 0, KeyBlock, vt, n * ev * s + j0, s, pv, 0, ev, rows, cols, ev);
                var block = yd.AsSpan(yRow0, rows * ev);
                TensorPrimitives.Add(block, pv.AsSpan(0, rows * ev), block);
            }
            for (int r = 0; r < rows; r++)
            {
                var yRow = yd.AsSpan(yRow0 + r * ev, ev);
                TensorPrimitives.Divide(yRow, sum[r], yRow);
                lsed[n * l + i0 + r] = max[r] + T.Log(sum[r]);
            }
        }

        long work = (long)b * l * s * (e + ev);
        if (CpuParallel.Threads <= 1 || work < ParallelWork) for (int t = 0; t < b * blocks; t++) Task(t);
        else CpuWorkers.For(b * blocks, CpuParallel.Threads - 1, Task);
        return [y, lse];
    }

    static Tensor Backward<T>(FusedAttentionGrad op, Tensor[] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (q, k, v) = (CopyKernel.AsContiguous(x[0]), CopyKernel.AsContiguous(x[1]), CopyKernel.AsContiguous(x[2]));
        var (y, lse, g) = (CopyKernel.AsContiguous(x[3]), CopyKernel.AsContiguous(x[4]), CopyKernel.AsContiguous(x[5]));
        int b = q.Shape[0], l = q.Shape[1], e = q.Shape[2], s = k.Shape[1], ev = v.Shape[2];
        int total = l * e + s * e + s * ev;
        var packed = CpuTensor.Empty(q.DType, new Shape([b, total]), zeroed: true);
        if (b * total == 0) return packed;
        T[] qd = q.Data<T>(), kd = k.Data<T>(), vd = v.Data<T>(), yd = y.Data<T>(), lsed = lse.Data<T>(), gd = g.Data<T>(), pd = packed.Data<T>();
        int qo = q.Offset, ko = k.Offset, vo = v.Offset, yo = y.Offset, lo = lse.Offset, go = g.Offset;
        T scale = T.CreateChecked(op.Scale);
        bool causal = op.Causal;
        int bits = Bits();

        void Task(int n)
        {
            int gq = n * total, gk = gq + l * e, gv = gk + s * e;
            var (qt, gt, kt) = (new T[e * l], new T[ev * l], new T[e * s]);   // qᵀ [e, l], gᵀ [ev, l], kᵀ [e, s]
            Transpose(qd, qo + n * l * e, l, e, qt, 0);
            Transpose(gd, go + n * l * ev, l, ev, gt, 0);
            Transpose(kd, ko + n * s * e, s, e, kt, 0);
            var rowD = new T[l];                                               // D = rowsum(g∘y)
            for (int i = 0; i < l; i++) rowD[i] = TensorPrimitives.Dot<T>(gd.AsSpan(go + (n * l + i) * ev, ev), yd.AsSpan(yo + (n * l + i) * ev, ev));
            var p = new T[RowBlock * KeyBlock];
            var ds = new T[RowBlock * KeyBlock];
            var pT = new T[KeyBlock * RowBlock];
            var dsT = new T[KeyBlock * RowBlock];
            var part = new T[Math.Max(KeyBlock * Math.Max(e, ev), RowBlock * e)];
            for (int j0 = 0; j0 < s; j0 += KeyBlock)
            {
                int cols = Math.Min(KeyBlock, s - j0);
                int firstRow = causal ? j0 / RowBlock * RowBlock : 0;     // rows above j0 see none of these keys
                for (int i0 = firstRow; i0 < l; i0 += RowBlock)
                {
                    int rows = Math.Min(RowBlock, l - i0);
                    Dot(bits, qd, qo + (n * l + i0) * e, e, kd, ko + (n * s + j0) * e, e, p, 0, KeyBlock, rows, e, cols);
                    Dot(bits, gd, go + (n * l + i0) * ev, ev, vd, vo + (n * s + j0) * ev, ev, ds, 0, KeyBlock, rows, ev, cols);
                    for (int r = 0; r < rows; r++)
                    {
                        int valid = causal ? Math.Clamp(i0 + r - j0 + 1, 0, cols) : cols;
                        var pr = p.AsSpan(r * KeyBlock, cols);
                        var dr = ds.AsSpan(r * KeyBlock, cols);
                        var live = pr[..valid];
                        TensorPrimitives.Multiply(live, scale, live);
                        TensorPrimitives.Subtract(live, lsed[lo + n * l + i0 + r], live);
                        TensorPrimitives.Exp<T>(live, live);
                        pr[valid..].Clear();
                        // ds = p∘(dp − D)·scale
                        TensorPrimitives.Subtract(dr, rowD[i0 + r], dr);
                        TensorPrimitives.Multiply(dr, pr, dr);
                        TensorPrimitives.Multiply(dr, scale, dr);
                    }
                    TransposeTile(p, rows, cols, pT);
                    TransposeTile(ds, rows, cols, dsT);
                    // gv[j] += Σ_i p[i, j]·g[i] ; gk[j] += Σ_i ds[i, j]·q[i] ; gq[i] += Σ_j ds[i, j]·k[j]
                    Dot(bits, pT, 0, RowBlock, gt, i0, l, part, 0, ev, cols, rows, ev);
                    AddInto(pd, gv + j0 * ev, part, cols * ev);
                    Dot(bits, dsT, 0, RowBlock, qt, i0, l, part, 0, e, cols, rows, e);
                    AddInto(pd, gk + j0 * e, part, cols * e);
                    Dot(bits, ds, 0, KeyBlock, kt, j0, s, part, 0, e, rows, cols, e);
                    AddInto(pd, gq + i0 * e, part, rows * e);
                }
            }
        }

        long work = (long)b * l * s * (e + ev);
        if (CpuParallel.Threads <= 1 || work < ParallelWork || b == 1) for (int n = 0; n < b; n++) Task(n);
        else CpuWorkers.For(b, CpuParallel.Threads - 1, Task);
        return packed;
    }

    static void AddInto<T>(T[] dst, int at, T[] part, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = dst.AsSpan(at, count);
        TensorPrimitives.Add(d, part.AsSpan(0, count), d);
    }

    /// <summary>src [rows, cols] at srcOff (row-major) into dst [cols, rows] at dstOff.</summary>
    static void Transpose<T>(T[] src, int srcOff, int rows, int cols, T[] dst, int dstOff)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[dstOff + j * rows + i] = src[srcOff + i * cols + j];
    }

    /// <summary>A [rows, cols] tile with row stride KeyBlock into [cols, rows] with row stride RowBlock.</summary>
    static void TransposeTile<T>(T[] src, int rows, int cols, T[] dst)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[j * RowBlock + i] = src[i * KeyBlock + j];
    }

    static int Bits() => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>C[m, n] = A[m, kc]·B[kc, n], A's rows and B's columns contiguous along kc (see <see cref="GemmDot{T, TV, TOps}"/>).</summary>
    static void Dot<T>(int bits, T[] a, int aOff, int rsA, T[] b, int bOff, int csB, T[] c, int cOff, int ldc, int m, int kc, int n)
        where T : unmanaged, INumber<T>
    {
        if (bits == 512) GemmDot<T, Vector512<T>, DotVec512<T>>.Run(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n);
        else if (bits == 256) GemmDot<T, Vector256<T>, DotVec256<T>>.Run(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n);
        else GemmDot<T, Vector128<T>, DotVec128<T>>.Run(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n);
    }
}
