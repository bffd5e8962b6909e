using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>Targets along dim 0 of a [3, 4] tensor, no place named twice (so the src gradient of a plain scatter is exact).</summary>
    static readonly long[,] UniqueRows = { { 2, 0, 1, 2 }, { 0, 1, 2, 1 } };

    /// <summary>Targets along dim 1 of a [3, 4] tensor, no place named twice.</summary>
    static readonly long[,] UniqueCols = { { 3, 0 }, { 1, 2 }, { 0, 3 } };

    /// <summary>Targets along dim 0 of a [3, 4] tensor with repeats; row 1 of column 0 and row 0 of column 3 are never named.</summary>
    static readonly long[,] RepeatedRows = { { 2, 0, 2, 2 }, { 2, 0, 2, 1 }, { 2, 1, 1, 1 } };

    static Tensor IndexTensor(long[,] index, Device device) =>
        Tensor.FromArray(index.Cast<long>().ToArray(), [index.GetLength(0), index.GetLength(1)]).To(device);

    /// <summary>
    /// torch.scatter_reduce on 2-d tensors in plain loops: each place starts from x (or, when includeSelf is false and some
    /// index names it, from nothing), takes every src value aimed at it, then reduces. Mode null is a plain scatter (last wins).
    /// </summary>
    static RefArray LoopScatter(RefArray x, long[,] index, RefArray src, int dim, ScatterReduction? mode, bool includeSelf = true)
    {
        var lists = new List<double>[x.Shape[0], x.Shape[1]];
        for (int i = 0; i < x.Shape[0]; i++)
            for (int j = 0; j < x.Shape[1]; j++)
                lists[i, j] = [];
        for (int i = 0; i < index.GetLength(0); i++)
            for (int j = 0; j < index.GetLength(1); j++)
            {
                int t = (int)index[i, j];
                (dim == 0 ? lists[t, j] : lists[i, t]).Add(src[[i, j]]);
            }
        var y = RefArray.Zeros(x.Shape);
        for (int i = 0; i < x.Shape[0]; i++)
            for (int j = 0; j < x.Shape[1]; j++)
            {
                var values = lists[i, j];
                double self = x[[i, j]];
                if (values.Count == 0) { y.Data[y.Ravel([i, j])] = self; continue; }
                if (mode is null) { y.Data[y.Ravel([i, j])] = values[^1]; continue; }
                if (includeSelf) values.Insert(0, self);
                y.Data[y.Ravel([i, j])] = mode switch
                {
                    ScatterReduction.Sum => values.Sum(),
                    ScatterReduction.Prod => values.Aggregate(1.0, (p, v) => p * v),
                    ScatterReduction.Mean => values.Average(),
                    ScatterReduction.AMax => values.Max(),
                    _ => values.Min(),
                };
            }
        return y;
    }

    static IEnumerable<OpInfo> ScatterEntries()
    {
        yield return new OpInfo
        {
            Name = "Scatter(dim=0)", Covers = ["Scatter"], Op = x => x[0].Scatter(0, IndexTensor(UniqueRows, x[0].Device), x[1]),
            Reference = r => LoopScatter(r[0], UniqueRows, r[1], 0, null),
            Samples = () => [new("src larger than index", [Samples.Uniform(440, [3, 4]), Samples.Uniform(441, [3, 4])]), new("non-contiguous", [Samples.Transposed(442, 3, 4), Samples.Transposed(443, 2, 4)])],
        };
        yield return new OpInfo
        {
            Name = "Scatter(dim=1)", Covers = ["Scatter"], Op = x => x[0].Scatter(-1, IndexTensor(UniqueCols, x[0].Device), x[1]),
            Reference = r => LoopScatter(r[0], UniqueCols, r[1], 1, null),
            Samples = () => [new("matrix", [Samples.Uniform(444, [3, 4]), Samples.Uniform(445, [3, 3])])],
        };
        yield return new OpInfo
        {
            Name = "Scatter(value)", Covers = ["Scatter"], Op = x => x[0].Scatter(0, IndexTensor(RepeatedRows, x[0].Device), 2.5),
            Reference = r => LoopScatter(r[0], RepeatedRows, RefArray.Map(RefArray.Zeros([3, 4]), _ => 2.5), 0, null),
            Samples = () => [new("matrix", [Samples.Uniform(446, [3, 4])])],
        };
        foreach (var mode in Enum.GetValues<ScatterReduction>())
            foreach (bool includeSelf in new[] { true, false })
                yield return new OpInfo
                {
                    Name = $"ScatterReduce({mode}{(includeSelf ? "" : ", excluding self")})", Covers = ["ScatterReduce"],
                    Op = x => x[0].ScatterReduce(0, IndexTensor(RepeatedRows, x[0].Device), x[1], mode, includeSelf),
                    Reference = r => LoopScatter(r[0], RepeatedRows, r[1], 0, mode, includeSelf),
                    Samples = () => mode == ScatterReduction.Prod
                        ? [new("matrix", [Samples.Uniform(447, [3, 4]), Samples.Uniform(448, [3, 4])]),
                           new("a zero in src and in x", [WithZeros(Samples.Uniform(449, [3, 4]), 1), WithZeros(Samples.Uniform(450, [3, 4]), 2)]),
                           new("two zeros at one place", [Samples.Uniform(451, [3, 4]), WithZeros(Samples.Uniform(452, [3, 4]), 0, 4)]),
                           new("zeros in x and src at one place", [WithZeros(Samples.Uniform(455, [3, 4]), 8), WithZeros(Samples.Uniform(456, [3, 4]), 0)]),
                           new("three zeros at one place", [WithZeros(Samples.Uniform(457, [3, 4]), 8), WithZeros(Samples.Uniform(458, [3, 4]), 0, 4, 8)])]
                        : [new("matrix", [Samples.Uniform(447, [3, 4]), Samples.Uniform(448, [3, 4])]), new("non-contiguous", [Samples.Transposed(453, 3, 4), Samples.Transposed(454, 3, 4)])],
                };
    }

    /// <summary>A copy with zeros at the given flat positions (prod's gradient must not divide by them).</summary>
    static Tensor WithZeros(Tensor t, params int[] flat)
    {
        var data = t.ToArray<double>();
        foreach (int i in flat) data[i] = 0;
        return Tensor.FromArray(data, t.Shape.ToArray());
    }

    /// <summary>Small whole numbers as float64, so values repeat.</summary>
    static Tensor Repeating(int seed, int[] shape)
    {
        var rng = new Random(seed);
        var data = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Next(-2, 3);
        return Tensor.FromArray(data, shape);
    }

    static IEnumerable<OpInfo> UniqueEntries()
    {
        yield return new OpInfo
        {
            Name = "Unique", Covers = ["Unique"], Op = x => x[0].Unique().Values, Differentiable = false,
            Reference = r => { var v = r[0].Data.Distinct().Order().ToArray(); return new RefArray(v, [v.Length]); },
            Samples = () => [new("matrix", [Repeating(490, [3, 4])]), new("non-contiguous", [Repeating(491, [4, 3]).T])],
        };
        yield return new OpInfo
        {
            Name = "Unique(dim=1)", Covers = ["Unique"], Op = x => x[0].Unique(dim: 1).Values, Differentiable = false,
            Reference = r =>
            {
                var cols = Enumerable.Range(0, r[0].Shape[1]).Select(j => Enumerable.Range(0, r[0].Shape[0]).Select(i => r[0][[i, j]]).ToArray())
                    .DistinctBy(col => string.Join(",", col)).OrderBy(col => col, Comparer<double[]>.Create((a, b) =>
                        a.Zip(b, (p, q) => p.CompareTo(q)).FirstOrDefault(c => c != 0))).ToArray();
                return Make([r[0].Shape[0], cols.Length], o => cols[o[1]][o[0]]);
            },
            Samples = () => [new("two rows", [Tensor.FromArray(new double[] { 1, 0, 1, 2, 0, 1, 3, 1, 3, 0, 3, 1 }, [2, 6])])],
        };
        yield return new OpInfo
        {
            Name = "UniqueConsecutive", Covers = ["UniqueConsecutive"], Op = x => x[0].UniqueConsecutive().Values, Differentiable = false,
            Reference = r => { var v = r[0].Data.Where((e, i) => i == 0 || r[0].Data[i - 1] != e).ToArray(); return new RefArray(v, [v.Length]); },
            Samples = () => [new("runs", [Tensor.FromArray(new double[] { 1, 1, 2, 2, 3, 1, 1, 2 }, [8])]), new("matrix", [Repeating(492, [3, 4])])],
        };
    }
}
