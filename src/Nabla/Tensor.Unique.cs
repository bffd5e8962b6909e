using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The unique elements (torch.unique), or with <paramref name="dim"/> the unique slices along it, sorted ascending
    /// (slices compared lexicographically). <paramref name="sorted"/> false (without a dim) gives them in order of first
    /// appearance instead (PyTorch leaves that order unspecified); with a dim they are always sorted, as PyTorch.
    /// <paramref name="returnInverse"/> adds, for each element (each slice with a dim), the int64 index of its value;
    /// <paramref name="returnCounts"/> the int64 number of times each value occurs. NaN is never equal to anything, so
    /// each NaN is its own value (sorted last). No gradient, as PyTorch: the values are detached. Reads the values to the
    /// host (the result's size depends on them).
    /// </summary>
    /// <example><code>
    /// var x = Tensor.FromArray(new long[] { 1, 3, 2, 3 }, [4]);
    /// var (values, inverse, counts) = x.Unique(returnInverse: true, returnCounts: true);
    /// // values [1, 2, 3], inverse [0, 2, 1, 2], counts [1, 1, 2]
    /// </code></example>
    public UniqueResult Unique(bool sorted = true, bool returnInverse = false, bool returnCounts = false, int? dim = null) =>
        UniqueGroups("Unique", dim, returnInverse, returnCounts, dim is null && !sorted ? UniqueOrder.FirstSeen : UniqueOrder.Sorted);

    /// <summary>
    /// torch.unique_consecutive: keeps the first of each run of equal consecutive elements (slices along
    /// <paramref name="dim"/>, when given), in their order; inverse and counts as <see cref="Unique"/>.
    /// </summary>
    /// <example><code>
    /// Tensor.FromArray(new long[] { 1, 1, 2, 2, 3, 1, 1, 2 }, [8]).UniqueConsecutive().Values;   // [1, 2, 3, 1, 2]
    /// </code></example>
    public UniqueResult UniqueConsecutive(bool returnInverse = false, bool returnCounts = false, int? dim = null) =>
        UniqueGroups("UniqueConsecutive", dim, returnInverse, returnCounts, UniqueOrder.Runs);

    enum UniqueOrder { Sorted, FirstSeen, Runs }

    UniqueResult UniqueGroups(string op, int? dim, bool returnInverse, bool returnCounts, UniqueOrder order)
    {
        int d = dim is { } given ? NormalizeDim(op, given) : 0;
        if (dim is not null && Rank == 0) throw Errors.Arg(op, $"dim {dim} needs a tensor with at least one dim, got {Errors.Describe(this)}.");
        var x = DetachFor(op.ToLowerInvariant());
        // Slices along d laid out as rows (one element each without a dim).
        var moved = dim is null ? x.Reshape(-1) : x.MoveDim(d, 0);
        int n = moved.Rank == 0 ? 1 : moved.Shape[0];
        int width = n == 0 ? 0 : moved.NumElements / n;
        var rows = moved.Contiguous();
        Comparison<int> compare = DType == DType.Int64 ? RowComparer(rows.ToArray<long>(), width) : RowComparer(rows.To(DType.Float64).ToArray<double>(), width);
        var groupOf = new long[n];
        var firsts = new List<int>();
        var counts = new List<long>();
        var visit = Enumerable.Range(0, n).ToArray();
        if (order != UniqueOrder.Runs) Array.Sort(visit, (a, b) => compare(a, b) is var c && c != 0 ? c : a.CompareTo(b));
        for (int k = 0; k < n; k++)
        {
            int i = visit[k];
            if (k == 0 || !RowsEqual(compare, visit[k - 1], i))
            {
                firsts.Add(i);
                counts.Add(0);
            }
            groupOf[i] = firsts.Count - 1;
            counts[^1]++;
        }
        if (order == UniqueOrder.FirstSeen) Renumber(firsts, counts, groupOf);
        var picked = FromArray(firsts.Select(i => (long)i).ToArray(), [firsts.Count]).To(Device);
        var values = rows.IndexSelect(0, picked);
        values = dim is null ? values : values.Reshape([firsts.Count, .. moved.Shape.ToArray()[1..]]).MoveDim(0, d);
        var inverse = returnInverse ? FromArray(groupOf, dim is null ? Shape.ToArray() : [n]).To(Device) : null;
        var countTensor = returnCounts ? FromArray(counts.ToArray(), [counts.Count]).To(Device) : null;
        return new UniqueResult(values, inverse, countTensor);
    }

    /// <summary>Reorders groups found in sorted order by their first appearance.</summary>
    static void Renumber(List<int> firsts, List<long> counts, long[] groupOf)
    {
        var byFirst = Enumerable.Range(0, firsts.Count).OrderBy(g => firsts[g]).ToArray();
        var newId = new long[byFirst.Length];
        for (int k = 0; k < byFirst.Length; k++) newId[byFirst[k]] = k;
        var (oldFirsts, oldCounts) = (firsts.ToArray(), counts.ToArray());
        for (int k = 0; k < byFirst.Length; k++) (firsts[k], counts[k]) = (oldFirsts[byFirst[k]], oldCounts[byFirst[k]]);
        for (int i = 0; i < groupOf.Length; i++) groupOf[i] = newId[groupOf[i]];
    }

    /// <summary>Equal only when no element pair differs and none is NaN (compare says 0 for NaN rows of one index only).</summary>
    static bool RowsEqual(Comparison<int> compare, int a, int b) => a != b && compare(a, b) == 0 && compare(b, a) == 0;

    /// <summary>Lexicographic order of rows; NaN sorts after every number and a NaN never equals anything (it compares by row).</summary>
    static Comparison<int> RowComparer<T>(T[] data, int width) where T : IComparable<T> => (a, b) =>
    {
        for (int j = 0; j < width; j++)
        {
            T va = data[a * width + j], vb = data[b * width + j];
            bool nanA = va is double da && double.IsNaN(da), nanB = vb is double db && double.IsNaN(db);
            if (nanA || nanB)
            {
                if (nanA && nanB) return a.CompareTo(b);   // distinct NaNs, kept in their order
                return nanA ? 1 : -1;
            }
            int c = va.CompareTo(vb);
            if (c != 0) return c;
        }
        return 0;
    };
}
