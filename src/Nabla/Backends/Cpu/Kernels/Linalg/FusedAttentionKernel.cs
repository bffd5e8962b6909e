using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="FusedAttention"/> and <see cref="FusedAttentionGrad"/> on the CPU, flash-attention style: query rows in
/// blocks of <see cref="RowBlock"/>, keys in blocks of <see cref="KeyBlock"/>; every tile product (q·kᵀ, p·v, g·vᵀ, ds·k,
/// dsᵀ·q, pᵀ·g) is an <see cref="AttentionTile"/> call on row-major operands (the kernel keeps transposed copies of k
/// and v for that, and transposes p and ds per tile: linear memory). Scratch per task is a few tiles, so
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
        var kt = new T[b * e * s];                     // kᵀ per batch entry: [e, s], rows contiguous along keys
        for (int n = 0; n < b; n++) Transpose(kd, ko + n * s * e, s, e, kt, n * e * s);
        T scale = T.CreateChecked(op.Scale);
        bool causal = op.Causal;
        int blocks = (l + RowBlock - 1) / RowBlock;

        void Task(int t)
        {
            int n = t / blocks, i0 = t % blocks * RowBlock, rows = Math.Min(RowBlock, l - i0);
            var scores = new T[RowBlock * KeyBlock];
            var max = new T[RowBlock];
            var sum = new T[RowBlock];
            max.AsSpan().Fill(T.NegativeInfinity);
            int keys = causal ? Math.Min(s, i0 + rows) : s;
            int yRow0 = (n * l + i0) * ev;
            for (int j0 = 0; j0 < keys; j0 += KeyBlock)
            {
                int cols = Math.Min(KeyBlock, keys - j0);
                AttentionTile.Run(qd, qo + (n * l + i0) * e, e, kt, n * e * s + j0, s, scores, 0, KeyBlock, rows, e, cols, false);
                for (int r = 0; r < rows; r++)
                {
                    int valid = causal ? Math.Min(cols, i0 + r - j0 + 1) : cols;
                    var row = scores.AsSpan(r * KeyBlock, cols);
                    if (valid <= 0) { row.Clear(); continue; }
                    var live = row[..valid];
                    TensorPrimitives.Multiply(live, scale, live);
                    T mNew = T.Max(max[r], TensorPrimitives.Max<T>(live));
                    TensorPrimitives.Subtract(live, mNew, live);
                    LaneMath.Exp<T>(live, live);
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
                AttentionTile.Run(scores, 0, KeyBlock, vd, vo + (n * s + j0) * ev, ev, yd, yRow0, ev, rows, cols, ev, true);
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

        void Task(int n)
        {
            int gq = n * total, gk = gq + l * e, gv = gk + s * e;
            var (kt, vt) = (new T[e * s], new T[ev * s]);                       // kᵀ [e, s], vᵀ [ev, s]
            Transpose(kd, ko + n * s * e, s, e, kt, 0);
            Transpose(vd, vo + n * s * ev, s, ev, vt, 0);
            var rowD = new T[l];                                               // D = rowsum(g∘y)
            for (int i = 0; i < l; i++) rowD[i] = TensorPrimitives.Dot<T>(gd.AsSpan(go + (n * l + i) * ev, ev), yd.AsSpan(yo + (n * l + i) * ev, ev));
            var p = new T[RowBlock * KeyBlock];
            var ds = new T[RowBlock * KeyBlock];
            var pT = new T[KeyBlock * RowBlock];
            var dsT = new T[KeyBlock * RowBlock];
            for (int j0 = 0; j0 < s; j0 += KeyBlock)
            {
                int cols = Math.Min(KeyBlock, s - j0);
                int firstRow = causal ? j0 / RowBlock * RowBlock : 0;     // rows above j0 see none of these keys
                for (int i0 = firstRow; i0 < l; i0 += RowBlock)
                {
                    int rows = Math.Min(RowBlock, l - i0);
                    int qAt = qo + (n * l + i0) * e, gAt = go + (n * l + i0) * ev;
                    AttentionTile.Run(qd, qAt, e, kt, j0, s, p, 0, KeyBlock, rows, e, cols, false);       // q·kᵀ
                    AttentionTile.Run(gd, gAt, ev, vt, j0, s, ds, 0, KeyBlock, rows, ev, cols, false);    // dp = g·vᵀ
                    for (int r = 0; r < rows; r++)
                    {
                        int valid = causal ? Math.Clamp(i0 + r - j0 + 1, 0, cols) : cols;
                        var pr = p.AsSpan(r * KeyBlock, cols);
                        var dr = ds.AsSpan(r * KeyBlock, cols);
                        var live = pr[..valid];
                        TensorPrimitives.Multiply(live, scale, live);
                        TensorPrimitives.Subtract(live, lsed[lo + n * l + i0 + r], live);
                        LaneMath.Exp<T>(live, live);
                        pr[valid..].Clear();
                        // ds = p∘(dp − D)·scale
                        TensorPrimitives.Subtract(dr, rowD[i0 + r], dr);
                        TensorPrimitives.Multiply(dr, pr, dr);
                        TensorPrimitives.Multiply(dr, scale, dr);
                    }
                    TransposeTile(p, rows, cols, pT);
                    TransposeTile(ds, rows, cols, dsT);
                    // gv[j] += Σ_i p[i, j]·g[i] ; gk[j] += Σ_i ds[i, j]·q[i] ; gq[i] += Σ_j ds[i, j]·k[j]
                    AttentionTile.Run(pT, 0, RowBlock, gd, gAt, ev, pd, gv + j0 * ev, ev, cols, rows, ev, true);
                    AttentionTile.Run(dsT, 0, RowBlock, qd, qAt, e, pd, gk + j0 * e, e, cols, rows, e, true);
                    AttentionTile.Run(ds, 0, KeyBlock, kd, ko + (n * s + j0) * e, e, pd, gq + i0 * e, e, rows, cols, e, true);
                }
            }
        }

        long work = (long)b * l * s * (e + ev);
        if (CpuParallel.Threads <= 1 || work < ParallelWork || b == 1) for (int n = 0; n < b; n++) Task(n);
        else CpuWorkers.For(b, CpuParallel.Threads - 1, Task);
        return packed;
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
}
