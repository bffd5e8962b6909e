namespace Nabla.Backends.Cpu;

/// <summary>
/// Walks an n-d iteration space over several strided operands as contiguous inner runs: dimensions
/// that are contiguous for every operand are merged first, so a plain or broadcast tensor usually
/// becomes one or a few long runs handed to a 1-D SIMD kernel, never element-by-element index maths.
/// </summary>
internal sealed class StridedLoop
{
    /// <summary>Sizes after merging; the last one is the run length.</summary>
    public readonly int[] Shape;

    /// <summary>Per operand, strides after merging.</summary>
    public readonly int[][] Strides;

    public readonly int[] Offsets;

    public StridedLoop(ReadOnlySpan<int> shape, int[][] strides, int[] offsets)
    {
        Offsets = offsets;
        if (!ShapeHasNoZero(shape))
        {
            // Nothing to walk: one empty run, so no caller ever divides by a zero size (an empty strided
            // view such as x.T.Narrow(0, 1, 0) would otherwise unravel run indices by a size of 0).
            Shape = [0];
            Strides = Array.ConvertAll(strides, _ => new[] { 0 });
            return;
        }
        var dims = new List<int>();
        var merged = new List<int>[strides.Length];
        for (int k = 0; k < strides.Length; k++) merged[k] = new List<int>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = dims.Count - 1;
            bool canMerge = last >= 0;
            for (int k = 0; k < strides.Length && canMerge; k++)
                canMerge = merged[k][last] == strides[k][d] * shape[d];
            if (canMerge)
            {
                dims[last] *= shape[d];
                for (int k = 0; k < strides.Length; k++) merged[k][last] = strides[k][d];
            }
            else
            {
                dims.Add(shape[d]);
                for (int k = 0; k < strides.Length; k++) merged[k].Add(strides[k][d]);
            }
        }
        if (dims.Count == 0)
        {
            dims.Add(1);
            for (int k = 0; k < strides.Length; k++) merged[k].Add(0);
        }
        Shape = dims.ToArray();
        Strides = Array.ConvertAll(merged, l => l.ToArray());
    }

    static bool ShapeHasNoZero(ReadOnlySpan<int> shape)
    {
        foreach (var d in shape) if (d == 0) return false;
        return true;
    }

    public int RunLength => Shape[^1];

    public int InnerStride(int operand) => Strides[operand][^1];

    /// <summary>Number of runs (product of all but the last merged size).</summary>
    public long RunCount
    {
        get
        {
            long n = 1;
            for (int d = 0; d < Shape.Length - 1; d++) n *= Shape[d];
            return RunLength == 0 ? 0 : n;
        }
    }

    public delegate void RunBody(ReadOnlySpan<int> offsets, int length);

    /// <summary>Calls <paramref name="body"/> for runs [first, first+count) in row-major order.</summary>
    public void ForEachRun(long first, long count, RunBody body)
    {
        if (count <= 0) return;
        int outer = Shape.Length - 1;
        int ops = Offsets.Length;
        Span<int> offs = stackalloc int[ops];
        Span<int> idx = stackalloc int[Math.Max(outer, 1)];
        // Unravel 'first' into the outer index.
        long rem = first;
        for (int d = outer - 1; d >= 0; d--) { idx[d] = (int)(rem % Shape[d]); rem /= Shape[d]; }
        for (int k = 0; k < ops; k++)
        {
            int o = Offsets[k];
            for (int d = 0; d < outer; d++) o += idx[d] * Strides[k][d];
            offs[k] = o;
        }
        for (long r = 0; r < count; r++)
        {
            body(offs, RunLength);
            for (int d = outer - 1; d >= 0; d--)
            {
                idx[d]++;
                for (int k = 0; k < ops; k++) offs[k] += Strides[k][d];
                if (idx[d] < Shape[d]) break;
                for (int k = 0; k < ops; k++) offs[k] -= Strides[k][d] * Shape[d];
                idx[d] = 0;
            }
        }
    }

    public void ForEachRun(RunBody body) => ForEachRun(0, RunCount, body);
}
