using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>f over the elements of each group that shares its index outside <paramref name="dims"/> (all when empty).</summary>
    static RefArray ReduceOver(RefArray x, int[] dims, bool keepDim, Func<double[], double> f)
    {
        int rank = x.Shape.Length;
        var axes = dims.Length == 0 ? Enumerable.Range(0, rank).ToArray() : dims.Select(d => d < 0 ? d + rank : d).ToArray();
        var kept = x.Shape.Select((n, d) => axes.Contains(d) ? 1 : n).ToArray();
        var groups = new List<double>[Math.Max(1, kept.Aggregate(1, (a, b) => a * b))];
        for (int g = 0; g < groups.Length; g++) groups[g] = [];
        var y = RefArray.Zeros(kept);
        for (int i = 0; i < x.Count; i++)
        {
            var idx = x.Unravel(i);
            foreach (var a in axes) idx[a] = 0;
            groups[y.Ravel(idx)].Add(x.Data[i]);
        }
        for (int g = 0; g < groups.Length; g++) y.Data[g] = f([.. groups[g]]);
        return keepDim ? y : new RefArray(y.Data, [.. x.Shape.Where((_, d) => !axes.Contains(d))]);
    }

    static double RefVar(double[] v, int correction)
    {
        double mean = v.Average();
        return v.Sum(a => (a - mean) * (a - mean)) / Math.Max(0, v.Length - correction);
    }

    static double[] RefScan(double[] row, Func<double, double, double> combine)
    {
        var y = new double[row.Length];
        for (int i = 0; i < row.Length; i++) y[i] = i == 0 ? row[0] : combine(y[i - 1], row[i]);
        return y;
    }

    static IEnumerable<OpSample> MultiDimSamples()
    {
        yield return new("rank 3", [Samples.Uniform(91, [2, 3, 4])]);
        yield return new("permuted rank 3", [Samples.Uniform(92, [4, 2, 3]).Permute(1, 2, 0)]);
    }

    /// <summary>Rows with exact zeros (one, two, at the start and at the end) for cumprod's zero-safe gradient.</summary>
    static IEnumerable<OpSample> CumProdSamples()
    {
        yield return new("no zeros", [Samples.Uniform(93, [3, 5])]);
        yield return new("zeros", [Tensor.FromArray(new[] { 1.5, 0, -2, 0.5, 3, 0, 1.2, -0.7, 2, 0, 0.9, 1.1, 0, -1.3, 0 }, [3, 5])]);
        yield return new("zeros along dim 0", [Tensor.FromArray(new[] { 1.5, 0, -2, 0.5, 3, 0, 1.2, -0.7, 2, 0, 0.9, 1.1 }, [4, 3]).T]);
    }

    static IEnumerable<OpInfo> StatisticsEntries()
    {
        foreach (var (dims, keep) in new[] { (new[] { 0, 2 }, false), (new[] { -1, 0 }, true), (Array.Empty<int>(), false) })
        {
            string tag = $"[{string.Join(",", dims)}]{(keep ? ", keepDim" : "")}";
            yield return new OpInfo { Name = $"Sum({tag})", Covers = ["Sum"], Op = x => x[0].Sum(dims, keep), Reference = r => ReduceOver(r[0], dims, keep, v => v.Sum()), Samples = MultiDimSamples };
            yield return new OpInfo { Name = $"Mean({tag})", Covers = ["Mean"], Op = x => x[0].Mean(dims, keep), Reference = r => ReduceOver(r[0], dims, keep, v => v.Average()), Samples = MultiDimSamples };
            yield return new OpInfo { Name = $"AMax({tag})", Covers = ["AMax", "Max"], Op = x => x[0].AMax(dims, keep) + x[0].Max(dims, keep), Reference = r => ReduceOver(r[0], dims, keep, v => 2 * v.Max()), Samples = MultiDimSamples };
            yield return new OpInfo { Name = $"AMin({tag})", Covers = ["AMin", "Min"], Op = x => x[0].AMin(dims, keep) + x[0].Min(dims, keep), Reference = r => ReduceOver(r[0], dims, keep, v => 2 * v.Min()), Samples = MultiDimSamples };
            yield return new OpInfo { Name = $"LogSumExp({tag})", Covers = ["LogSumExp"], Op = x => x[0].LogSumExp(dims, keep), Reference = r => ReduceOver(r[0], dims, keep, RefLogSumExp), Samples = MultiDimSamples };
            foreach (int c in new[] { 1, 0 })
            {
                yield return new OpInfo { Name = $"Var({tag}, correction={c})", Covers = ["Var"], Op = x => x[0].Var(dims, c, keep), Reference = r => ReduceOver(r[0], dims, keep, v => RefVar(v, c)), Samples = MultiDimSamples };
                yield return new OpInfo { Name = $"Std({tag}, correction={c})", Covers = ["Std"], Op = x => x[0].Std(dims, c, keep), Reference = r => ReduceOver(r[0], dims, keep, v => Math.Sqrt(RefVar(v, c))), Samples = MultiDimSamples };
            }
            yield return new OpInfo
            {
                Name = $"VarMean({tag})", Covers = ["VarMean", "StdMean"],
                Op = x => { var (v, m) = x[0].VarMean(dims, 1, keep); var (s, m2) = x[0].StdMean(dims, 0, keep); return v + 2 * m + 3 * s - m2; },
                Reference = r => ReduceOver(r[0], dims, keep, v => RefVar(v, 1) + v.Average() + 3 * Math.Sqrt(RefVar(v, 0))),
                Samples = MultiDimSamples,
            };
        }
        yield return new OpInfo { Name = "Var(dim)", Covers = ["Var"], Op = x => x[0].Var(1) + x[0].Var(-1, correction: 0, keepDim: true).Squeeze(-1), Reference = r => ReduceAlong(r[0], 1, false, v => RefVar(v, 1) + RefVar(v, 0)), Samples = () => [new("matrix", [Samples.Uniform(94, [3, 4])])] };
        yield return new OpInfo { Name = "Std(dim)", Covers = ["Std"], Op = x => x[0].Std(0), Reference = r => ReduceAlong(r[0], 0, false, v => Math.Sqrt(RefVar(v, 1))), Samples = ReduceSamples };
        yield return new OpInfo { Name = "VarMean(dim)", Covers = ["VarMean"], Op = x => { var (v, m) = x[0].VarMean(-1); return v * m; }, Reference = r => ReduceAlong(r[0], r[0].Shape.Length - 1, false, v => RefVar(v, 1) * v.Average()), Samples = ReduceSamples };
        yield return new OpInfo { Name = "Var()", Covers = ["Var", "Std"], Op = x => x[0].Var() + x[0].Std(correction: 0), Reference = r => Whole(r[0], v => RefVar(v, 1) + Math.Sqrt(RefVar(v, 0))), Samples = () => AllSamples().Where(s => s.Name != "scalar") };
        yield return new OpInfo { Name = "AMax(dim)", Covers = ["AMax", "AMin"], Op = x => x[0].AMax(1) - x[0].AMin(-1, keepDim: true).Squeeze(-1), Reference = r => ReduceAlong(r[0], 1, false, v => v.Max() - v.Min()), Samples = () => [new("matrix", [Samples.Uniform(95, [3, 4])])] };
        foreach (var dim in new[] { 0, 1, -1 })
        {
            yield return Along("CumSum", (t, d) => t.CumSum(d), (r, d) => MapAlong(r, d, row => RefScan(row, (a, b) => a + b)), dim);
            yield return new OpInfo
            {
                Name = $"CumProd(dim={dim})", Covers = ["CumProd"], Op = x => x[0].CumProd(dim),
                Reference = r => MapAlong(r[0], dim, row => RefScan(row, (a, b) => a * b)),
                Samples = () => dim == 0 ? ReduceSamples() : ReduceSamples().Concat(CumProdSamples()),
            };
            yield return Along("LogCumSumExp", (t, d) => t.LogCumSumExp(d), (r, d) => MapAlong(r, d, row => RefScan(row, (a, b) => Math.Max(a, b) + Math.Log(1 + Math.Exp(-Math.Abs(a - b))))), dim);
        }
    }
}
