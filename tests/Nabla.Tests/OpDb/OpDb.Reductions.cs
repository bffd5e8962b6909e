using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>Applies <paramref name="f"/> to every 1-d slice along <paramref name="dim"/>, giving one value each.</summary>
    internal static RefArray ReduceAlong(RefArray x, int dim, bool keepDim, Func<double[], double> f)
    {
        var rows = MapAlong(x, dim, row => [f(row)]);
        if (keepDim) return rows;
        var shape = x.Shape.Where((_, i) => i != (dim < 0 ? dim + x.Shape.Length : dim)).ToArray();
        return new RefArray(rows.Data, shape);
    }

    /// <summary>Replaces every 1-d slice along <paramref name="dim"/> by <paramref name="f"/> of it (same length, or 1).</summary>
    internal static RefArray MapAlong(RefArray x, int dim, Func<double[], double[]> f)
    {
        int d = dim < 0 ? dim + x.Shape.Length : dim;
        int n = x.Shape[d];
        var outShape = (int[])x.Shape.Clone();
        RefArray? y = null;
        var strides = x.Strides;
        for (int i = 0; i < x.Count; i++)
        {
            var idx = x.Unravel(i);
            if (idx[d] != 0) continue;
            var row = new double[n];
            for (int k = 0; k < n; k++) row[k] = x.Data[i + k * strides[d]];
            var mapped = f(row);
            if (y is null)
            {
                outShape[d] = mapped.Length;
                y = RefArray.Zeros(outShape);
            }
            for (int k = 0; k < mapped.Length; k++)
            {
                idx[d] = k;
                y.Data[y.Ravel(idx)] = mapped[k];
            }
        }
        return y ?? RefArray.Zeros(outShape);
    }

    static double RefLogSumExp(double[] row)
    {
        double m = row.Max();
        return m + Math.Log(row.Sum(v => Math.Exp(v - m)));
    }

    static double[] RefSoftmax(double[] row)
    {
        double m = row.Max();
        double s = row.Sum(v => Math.Exp(v - m));
        return row.Select(v => Math.Exp(v - m) / s).ToArray();
    }

    static double RefArgMax(double[] row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    static RefArray Whole(RefArray x, Func<double[], double> f) => new([f(x.Data)], []);

    /// <summary>Samples of rank 2 and 3 for a reduction along dim 1 (or -1), with a non-contiguous view.</summary>
    static IEnumerable<OpSample> ReduceSamples()
    {
        yield return new("matrix", [Samples.Uniform(81, [3, 4])]);
        yield return new("rank 3", [Samples.Uniform(82, [2, 3, 4])]);
        yield return new("non-contiguous", [Samples.Transposed(83, 4, 3)]);
        yield return new("permuted rank 3", [Samples.Uniform(84, [4, 2, 3]).Permute(1, 2, 0)]);
    }

    static IEnumerable<OpSample> AllSamples()
    {
        yield return new("vector", [Samples.Uniform(85, [7])]);
        yield return new("matrix", [Samples.Uniform(86, [3, 4])]);
        yield return new("scalar", [Samples.Uniform(87, [])]);
        yield return new("non-contiguous", [Samples.Transposed(88, 3, 4)]);
    }

    static OpInfo Along(string name, Func<Tensor, int, Tensor> op, Func<RefArray, int, RefArray> reference, int dim,
        bool keepDim = false, bool differentiable = true) => new()
    {
        Name = $"{name}(dim={dim}{(keepDim ? ", keepDim" : "")})", Covers = [name], Op = x => op(x[0], dim), Reference = r => reference(r[0], dim),
        Samples = ReduceSamples, Differentiable = differentiable,
    };

    internal static IEnumerable<OpInfo> ReductionEntries()
    {
        yield return new OpInfo { Name = "Sum()", Covers = ["Sum"], Op = x => x[0].Sum(), Reference = r => Whole(r[0], v => v.Sum()), Samples = AllSamples };
        yield return new OpInfo { Name = "Mean()", Covers = ["Mean"], Op = x => x[0].Mean(), Reference = r => Whole(r[0], v => v.Average()), Samples = AllSamples };
        yield return new OpInfo { Name = "Max()", Covers = ["Max"], Op = x => x[0].Max(), Reference = r => Whole(r[0], v => v.Max()), Samples = AllSamples };
        yield return new OpInfo { Name = "Min()", Covers = ["Min"], Op = x => x[0].Min(), Reference = r => Whole(r[0], v => v.Min()), Samples = AllSamples };
        yield return new OpInfo
        {
            Name = "ArgMax()", Covers = ["ArgMax"], Op = x => x[0].ArgMax(), Reference = r => Whole(r[0], RefArgMax),
            Samples = AllSamples, Differentiable = false,
        };
        foreach (var (dim, keep) in new[] { (1, false), (-1, true) })
        {
            yield return Along("Sum", (t, d) => t.Sum(d, keep), (r, d) => ReduceAlong(r, d, keep, v => v.Sum()), dim, keep);
            yield return Along("Mean", (t, d) => t.Mean(d, keep), (r, d) => ReduceAlong(r, d, keep, v => v.Average()), dim, keep);
            yield return Along("Max", (t, d) => t.Max(d, keep), (r, d) => ReduceAlong(r, d, keep, v => v.Max()), dim, keep);
            yield return Along("Min", (t, d) => t.Min(d, keep), (r, d) => ReduceAlong(r, d, keep, v => v.Min()), dim, keep);
            yield return Along("ArgMax", (t, d) => t.ArgMax(d, keep), (r, d) => ReduceAlong(r, d, keep, RefArgMax), dim, keep, differentiable: false);
            yield return Along("LogSumExp", (t, d) => t.LogSumExp(d, keep), (r, d) => ReduceAlong(r, d, keep, RefLogSumExp), dim, keep);
        }
        foreach (var dim in new[] { 0, 1, -1 })
        {
            yield return Along("Softmax", (t, d) => t.Softmax(d), (r, d) => MapAlong(r, d, RefSoftmax), dim);
            yield return Along("LogSoftmax", (t, d) => t.LogSoftmax(d),
                (r, d) => MapAlong(r, d, row => RefSoftmax(row).Select(v => Math.Log(v)).ToArray()), dim);
        }
    }
}
