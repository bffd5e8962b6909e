using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

/// <summary>Linalg.MatrixNorm: every order, against sums and singular values computed here (SvdReference).</summary>
internal static partial class OpDb
{
    static IEnumerable<OpInfo> MatrixNormEntries()
    {
        foreach (var ord in new[] { 1, -1, double.PositiveInfinity, double.NegativeInfinity, 2, -2 })
            yield return new OpInfo
            {
                Name = $"MatrixNorm({ord})", Covers = ["MatrixNorm"], Samples = MatrixNormSamples,
                Op = x => Linalg.MatrixNorm(x[0], ord),
                Reference = r => MatrixNormReference(r[0], -2, -1, false, (a, m, n) => OrderNorm(a, m, n, ord)),
            };
        foreach (var kind in Enum.GetValues<MatrixNormKind>())
            yield return new OpInfo
            {
                Name = $"MatrixNorm({kind})", Covers = ["MatrixNorm"], Samples = MatrixNormSamples,
                Op = x => Linalg.MatrixNorm(x[0], kind),
                Reference = r => MatrixNormReference(r[0], -2, -1, false, (a, m, n) => KindNorm(a, m, n, kind)),
            };
        yield return new OpInfo
        {
            Name = "MatrixNorm(dims=(2, 0), keepDim)", Covers = ["MatrixNorm"],
            Samples = () => [new("rank 3", [Samples.Uniform(631, [3, 2, 4])])],
            Op = x => Linalg.MatrixNorm(x[0], 1, dims: (2, 0), keepDim: true) + Linalg.MatrixNorm(x[0], MatrixNormKind.Nuclear, dims: (2, 0), keepDim: true),
            Reference = r => MatrixNormReference(r[0], 2, 0, true, (a, m, n) => OrderNorm(a, m, n, 1) + KindNorm(a, m, n, MatrixNormKind.Nuclear)),
        };
    }

    static IEnumerable<OpSample> MatrixNormSamples()
    {
        yield return new("wide", [Samples.Uniform(632, [3, 4])]);
        yield return new("batch", [Samples.Uniform(633, [2, 3, 2])]);
        yield return new("non-contiguous", [Samples.Transposed(634, 4, 3)]);
    }

    static double OrderNorm(double[] a, int m, int n, double ord)
    {
        var columns = Enumerable.Range(0, n).Select(j => Enumerable.Range(0, m).Sum(i => Math.Abs(a[i * n + j]))).ToArray();
        var rows = Enumerable.Range(0, m).Select(i => Enumerable.Range(0, n).Sum(j => Math.Abs(a[i * n + j]))).ToArray();
        var singular = SvdReference(a, m, n)[..Math.Min(m, n)];
        return ord switch
        {
            1 => columns.Max(),
            -1 => columns.Min(),
            double.PositiveInfinity => rows.Max(),
            double.NegativeInfinity => rows.Min(),
            2 => singular.Max(),
            _ => singular.Min(),
        };
    }

    static double KindNorm(double[] a, int m, int n, MatrixNormKind kind) =>
        kind == MatrixNormKind.Frobenius ? Math.Sqrt(a.Sum(e => e * e)) : SvdReference(a, m, n)[..Math.Min(m, n)].Sum();

    /// <summary>f of the matrix (rows along d0, columns along d1) at every index of the other dims.</summary>
    static RefArray MatrixNormReference(RefArray x, int d0, int d1, bool keepDim, Func<double[], int, int, double> f)
    {
        int rank = x.Shape.Length;
        (d0, d1) = ((d0 + rank) % rank, (d1 + rank) % rank);
        int m = x.Shape[d0], n = x.Shape[d1];
        var kept = x.Shape.Select((s, d) => d == d0 || d == d1 ? 1 : s).ToArray();
        var y = RefArray.Zeros(kept);
        for (int o = 0; o < y.Count; o++)
        {
            var idx = y.Unravel(o);
            var a = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    idx[d0] = i;
                    idx[d1] = j;
                    a[i * n + j] = x[idx];
                }
            y.Data[o] = f(a, m, n);
        }
        return keepDim ? y : new RefArray(y.Data, x.Shape.Where((_, d) => d != d0 && d != d1).ToArray());
    }
}
