using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static int[] RefOrder(double[] row, bool descending) =>
        [.. Enumerable.Range(0, row.Length).OrderBy(i => descending ? -row[i] : row[i])];   // stable, as the op

    static IEnumerable<OpInfo> SortingEntries()
    {
        foreach (var dim in new[] { 0, -1 })
        {
            yield return Along("ArgMin", (t, d) => t.ArgMin(d), (r, d) => ReduceAlong(r, d, false, row => Array.IndexOf(row, row.Min())), dim, differentiable: false);
            foreach (bool descending in new[] { false, true })
            {
                string tag = descending ? ", descending" : "";
                yield return new OpInfo
                {
                    Name = $"Sort(dim={dim}{tag})", Covers = ["Sort"], Op = x => x[0].Sort(dim, descending).Values,
                    Reference = r => MapAlong(r[0], dim, row => [.. RefOrder(row, descending).Select(i => row[i])]), Samples = ReduceSamples,
                };
                yield return new OpInfo
                {
                    Name = $"ArgSort(dim={dim}{tag})", Covers = ["ArgSort"], Op = x => x[0].ArgSort(dim, descending), Differentiable = false,
                    Reference = r => MapAlong(r[0], dim, row => [.. RefOrder(row, descending).Select(i => (double)i)]), Samples = ReduceSamples,
                };
            }
            foreach (bool largest in new[] { true, false })
                yield return new OpInfo
                {
                    Name = $"TopK(2, dim={dim}{(largest ? "" : ", smallest")})", Covers = ["TopK"],
                    Op = x => { var (v, i) = x[0].TopK(2, dim, largest); return v * 2 + v.Gather(dim == 0 ? 0 : v.Rank - 1, Tensor.ZerosLike(i)); },
                    Reference = r => FirstAlong(MapAlong(r[0], dim, row => TopTwo(row, largest)), dim, 2),
                    Samples = ReduceSamples,
                };
        }
        yield return new OpInfo { Name = "ArgMin()", Covers = ["ArgMin"], Op = x => x[0].ArgMin(), Reference = r => Whole(r[0], v => Array.IndexOf(v, v.Min())), Samples = AllSamples, Differentiable = false };
    }

    /// <summary>The first <paramref name="k"/> elements along <paramref name="dim"/>.</summary>
    static RefArray FirstAlong(RefArray a, int dim, int k)
    {
        int d = dim < 0 ? dim + a.Shape.Length : dim;
        var shape = (int[])a.Shape.Clone();
        shape[d] = k;
        var y = RefArray.Zeros(shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = a[y.Unravel(i)];
        return y;
    }

    /// <summary>The two largest (or smallest) values, each doubled plus the first of them, then padding to the row's length.</summary>
    static double[] TopTwo(double[] row, bool largest)
    {
        var order = RefOrder(row, largest);
        var result = new double[row.Length];
        result[0] = 2 * row[order[0]] + row[order[0]];
        result[1] = 2 * row[order[1]] + row[order[0]];
        return result;
    }
}
