using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// SIMD reductions with a reduce-op struct. A contiguous input whose reduced axes form one block
/// is read in place as [outer, r, inner]: inner = 1 reduces contiguous rows; inner &gt; 1 accumulates
/// whole inner vectors row by row (no permute, no copy). Other layouts are first laid out with the
/// reduced axes last. Every output element is reduced in an order fixed by the shape alone (long rows
/// are cut into <see cref="ChunkLength"/>-element chunks whose partials are combined in order), so
/// results do not depend on <see cref="CpuParallel.Threads"/>.
/// </summary>
internal static partial class ReduceDriver
{
    /// <summary>Long rows are reduced in chunks of this many elements, independently of the thread count.</summary>
    public const int ChunkLength = 1 << 14;

    // Columns of the [outer, r, inner] case are handled in pieces of this many elements (L1-sized accumulators).
    const int InnerPiece = 2048;

    /// <summary>Reduces <paramref name="axes"/> of <paramref name="x"/> with <typeparamref name="TOp"/>, keeping them as size 1.</summary>
    public static Tensor Run<T, TOp>(Tensor x, int[] axes) where T : unmanaged, INumber<T> where TOp : IReduceOp<T>
    {
        var outShape = new int[x.Rank];
        for (int d = 0; d < outShape.Length; d++) outShape[d] = axes.Contains(d) ? 1 : x.Shape[d];
        var y = CpuTensor.Empty(x.DType, new Shape(outShape));
        using (Backends.RawAccess.Enter()) Into<T, TOp>(x, axes, y.Data<T>());
        return y;
    }

    /// <summary>
    /// <see cref="Run{T, TOp}"/> written into <paramref name="dst"/> from index 0 (the output's elements in
    /// order, as many as the kept axes hold); the caller holds raw access.
    /// </summary>
    public static void Into<T, TOp>(Tensor x, int[] axes, T[] dst) where T : unmanaged, INumber<T> where TOp : IReduceOp<T>
    {
        int rank = x.Rank;
        Span<bool> isReduced = stackalloc bool[rank];
        foreach (var a in axes) isReduced[a] = true;
        int count = 1;
        for (int d = 0; d < rank; d++) if (!isReduced[d]) count *= x.Shape[d];
        if (count == 0) return;

        int first = -1, last = -1;
        for (int d = 0; d < rank; d++)
            if (isReduced[d] && x.Shape[d] != 1) { if (first < 0) first = d; last = d; }
        bool block = first >= 0 && x.IsContiguous;
        for (int d = first; block && d <= last; d++) block = isReduced[d] || x.Shape[d] == 1;

        if (block)
        {
            long outer = 1, r = 1, inner = 1;
            for (int d = 0; d < first; d++) outer *= x.Shape[d];
            for (int d = first; d <= last; d++) r *= x.Shape[d];
            for (int d = last + 1; d < rank; d++) inner *= x.Shape[d];
            Reduce3<T, TOp>(x.Data<T>(), x.Offset, (int)outer, (int)r, (int)inner, dst);
        }
        else if (first < 0)
        {
            // Only size-1 axes are reduced: the result is the input's values.
            CopyKernel.CopyInto(x, dst, 0);
        }
        else
        {
            var laid = LayOutReducedLast(x, isReduced, out int rowLength);
            Reduce3<T, TOp>(laid.Data<T>(), laid.Offset, count, rowLength, 1, dst);
        }
    }

    // x viewed with kept axes first and reduced axes last, made contiguous (a copy unless it already is).
    static Tensor LayOutReducedLast(Tensor x, ReadOnlySpan<bool> isReduced, out int rowLength)
    {
        int rank = x.Rank, k = 0;
        var order = new int[rank];
        for (int d = 0; d < rank; d++) if (!isReduced[d]) order[k++] = d;
        for (int d = 0; d < rank; d++) if (isReduced[d]) order[k++] = d;
        var shape = new int[rank];
        var strides = new int[rank];
        rowLength = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = x.Shape[order[i]];
            strides[i] = x.Strides[order[i]];
            if (isReduced[order[i]]) rowLength *= shape[i];
        }
        return CopyKernel.AsContiguous(x.View(new Shape(shape), strides, x.Offset));
    }

    /// <summary>
    /// One contiguous row reduced in the order <see cref="Reduce3"/> gives it (chunks of <see cref="ChunkLength"/>
    /// combined from the first), for kernels that reduce rows themselves and must give eager code's bits.
    /// </summary>
    internal static T ReduceRow<T, TOp>(ReadOnlySpan<T> row) where T : unmanaged where TOp : IReduceOp<T>
    {
        T acc = RowReducer.Reduce<T, TOp>(row[..Math.Min(ChunkLength, row.Length)]);
        for (int start = ChunkLength; start < row.Length; start += ChunkLength)
            acc = TOp.Invoke(acc, RowReducer.Reduce<T, TOp>(row.Slice(start, Math.Min(ChunkLength, row.Length - start))));
        return acc;
    }

    /// <summary>dst[o*inner + j] = reduce over i of src[offset + (o*r + i)*inner + j].</summary>
    internal static void Reduce3<T, TOp>(T[] src, int offset, int outer, int r, int inner, T[] dst)
        where T : unmanaged where TOp : IReduceOp<T>
    {
        if (r == 0) { dst.AsSpan(0, outer * inner).Fill(TOp.Identity); return; }
        bool parallel = CpuParallel.Threads > 1 && (long)outer * r * inner >= CpuParallel.Threshold;
        if (inner == 1)
        {
            int chunks = (r + ChunkLength - 1) / ChunkLength;
            if (chunks == 1)
            {
                For(outer, parallel, o => dst[o] = RowReducer.Reduce<T, TOp>(src.AsSpan(offset + o * r, r)));
                return;
            }
            var partial = new T[(long)outer * chunks];
            For(outer * chunks, parallel, t =>
            {
                int o = t / chunks, c = t % chunks;
                int start = c * ChunkLength, len = Math.Min(ChunkLength, r - start);
                partial[t] = RowReducer.Reduce<T, TOp>(src.AsSpan(offset + o * r + start, len));
            });
            for (int o = 0; o < outer; o++)
            {
                T acc = partial[o * chunks];
                for (int c = 1; c < chunks; c++) acc = TOp.Invoke(acc, partial[o * chunks + c]);
                dst[o] = acc;
            }
            return;
        }
        int pieces = (inner + InnerPiece - 1) / InnerPiece;
        For(outer * pieces, parallel, t =>
        {
            int o = t / pieces, j0 = (t % pieces) * InnerPiece, len = Math.Min(InnerPiece, inner - j0);
            var acc = dst.AsSpan(o * inner + j0, len);
            int row = offset + o * r * inner + j0;
            src.AsSpan(row, len).CopyTo(acc);
            for (int i = 1; i < r; i++)
                SimdDriver.Binary<T, TOp>(acc, 1, src.AsSpan(row + i * inner, len), 1, acc);
        });
    }

    static void For(int tasks, bool parallel, Action<int> body)
    {
        if (!parallel || tasks < 2)
            for (int t = 0; t < tasks; t++) body(t);
        else
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = CpuParallel.Threads }, body);
    }
}
