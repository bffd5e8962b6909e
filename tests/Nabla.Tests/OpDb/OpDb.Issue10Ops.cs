using Nabla.Backends.Reference;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>Entries for Tan, Elu, Prod, Median, Norm and Diagonal.</summary>
internal static partial class OpDb
{
    /// <summary>
    /// Values whose magnitudes are all different (0.2, 0.3, ... in random order) with random signs: no ties
    /// in |x| (for the ±∞-norms) and no element near 0 (for the kinks of |x|).
    /// </summary>
    internal static Tensor DistinctMagnitudes(int seed, int[] shape)
    {
        int n = new Shape(shape).NumElements;
        var rng = new Random(seed);
        var v = Enumerable.Range(0, n).Select(i => (0.2 + 0.1 * i) * (rng.Next(2) == 0 ? -1 : 1)).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.FromArray(v, shape);
    }

    /// <summary>Uniform values with the listed flat positions set to exactly 0.</summary>
    static Tensor WithZeros(int seed, int[] shape, params int[] zeros)
    {
        var data = Samples.Uniform(seed, shape).ToArray<double>();
        foreach (var z in zeros) data[z] = 0;
        return Tensor.FromArray(data, shape);
    }

    static IEnumerable<OpSample> ProdSamples()
    {
        foreach (var s in ReduceSamples()) yield return s;
        // The product is multilinear, so central differences stay exact at zeros: these check the
        // gradient (and second order) where y/x would divide by zero.
        yield return new("one zero per row", [WithZeros(89, [3, 4], 1, 4, 11)]);
        yield return new("two zeros in a row", [WithZeros(90, [3, 4], 0, 2, 9)]);
        yield return new("all zeros in a row", [WithZeros(91, [2, 3], 3, 4, 5)]);
    }

    static IEnumerable<OpSample> ProdAllSamples()
    {
        foreach (var s in AllSamples()) yield return s;
        yield return new("one zero", [WithZeros(92, [2, 3], 4)]);
        yield return new("two zeros", [WithZeros(93, [5], 1, 3)]);
    }

    static double RefProd(double[] row) => row.Aggregate(1.0, (a, b) => a * b);

    static double RefLowerMedian(double[] row) => row.OrderBy(v => v).ElementAt((row.Length - 1) / 2);

    static double RefLowerMedianIndex(double[] row) => Array.IndexOf(row, RefLowerMedian(row));

    static IEnumerable<OpSample> MedianSamples()
    {
        yield return new("odd rows", [Distinct(94, [3, 5])]);
        yield return new("even rows", [Distinct(95, [2, 3, 4])]);
        yield return new("non-contiguous", [Distinct(96, [4, 3]).T]);
    }

    static IEnumerable<OpSample> MedianAllSamples()
    {
        yield return new("odd count", [Distinct(97, [7])]);
        yield return new("even count", [Distinct(98, [3, 4])]);
        yield return new("scalar", [Samples.Uniform(99, [])]);
        yield return new("non-contiguous", [Distinct(100, [4, 3]).T]);
    }

    /// <summary>Samples for the norms; the first is a vector (skipped where two dims are named).</summary>
    static IEnumerable<OpSample> NormSamples()
    {
        yield return new("vector", [DistinctMagnitudes(101, [7])]);
        yield return new("matrix", [DistinctMagnitudes(102, [3, 4])]);
        yield return new("rank 3", [DistinctMagnitudes(103, [2, 3, 4])]);
        yield return new("non-contiguous", [DistinctMagnitudes(104, [4, 3]).T]);
    }

    static double RefNorm(double[] v, double p) =>
        p == 0 ? v.Count(a => a != 0)
        : double.IsPositiveInfinity(p) ? v.Max(Math.Abs)
        : double.IsNegativeInfinity(p) ? v.Min(Math.Abs)
        : Math.Pow(v.Sum(a => Math.Pow(Math.Abs(a), p)), 1 / p);

    /// <summary>The norm over several dims: those dims moved last and flattened, then one value per row.</summary>
    static RefArray RefNormDims(RefArray x, int[] dims, bool keepDim, double p)
    {
        int rank = x.Shape.Length;
        var kept = Enumerable.Range(0, rank).Where(d => !dims.Contains(d)).ToArray();
        var outShape = keepDim ? x.Shape.Select((s, d) => dims.Contains(d) ? 1 : s).ToArray() : kept.Select(d => x.Shape[d]).ToArray();
        var groups = new Dictionary<int, List<double>>();
        var keptShape = kept.Select(d => x.Shape[d]).ToArray();
        var keptRef = RefArray.Zeros(keptShape);
        for (int i = 0; i < x.Count; i++)
        {
            var idx = x.Unravel(i);
            int o = keptRef.Ravel(kept.Select(d => idx[d]).ToArray());
            if (!groups.TryGetValue(o, out var list)) groups[o] = list = [];
            list.Add(x.Data[i]);
        }
        var data = new double[keptRef.Count];
        for (int o = 0; o < data.Length; o++) data[o] = RefNorm(groups[o].ToArray(), p);
        return new RefArray(data, outShape);
    }

    static IEnumerable<OpSample> DiagonalSamples()
    {
        yield return new("wide", [Samples.Uniform(105, [3, 5])]);
        yield return new("tall, non-contiguous", [Samples.Transposed(106, 5, 3)]);
        yield return new("cube", [Samples.Uniform(107, [4, 3, 4])]);
    }

    static RefArray RefDiagonal(RefArray x, int offset, int dim1, int dim2)
    {
        int rank = x.Shape.Length;
        int d1 = dim1 < 0 ? dim1 + rank : dim1, d2 = dim2 < 0 ? dim2 + rank : dim2;
        var rest = Enumerable.Range(0, rank).Where(d => d != d1 && d != d2).ToArray();
        int r0 = Math.Max(-offset, 0), c0 = Math.Max(offset, 0);
        int length = Math.Max(0, Math.Min(x.Shape[d1] - r0, x.Shape[d2] - c0));
        var y = RefArray.Zeros([.. rest.Select(d => x.Shape[d]), length]);
        var src = new int[rank];
        for (int o = 0; o < y.Count; o++)
        {
            var idx = y.Unravel(o);
            for (int k = 0; k < rest.Length; k++) src[rest[k]] = idx[k];
            src[d1] = r0 + idx[^1];
            src[d2] = c0 + idx[^1];
            y.Data[o] = x[src];
        }
        return y;
    }

    static IEnumerable<OpInfo> Issue10OpEntries()
    {
        yield return new OpInfo
        {
            Name = "Tan", Covers = ["Tan"], Op = x => x[0].Tan(), Reference = r => Unary(r[0], Math.Tan),
            // Away from the poles at ±π/2, where finite differences lose all accuracy.
            Samples = () => KinkSamples((s, shape) => Samples.Uniform(s, shape, -1.2, 1.2)),
        };
        yield return new OpInfo
        {
            Name = "Elu", Covers = ["Elu"], Op = x => x[0].Elu(), Reference = r => Unary(r[0], a => a > 0 ? a : Math.Exp(a) - 1),
            Samples = () => KinkSamples(AwayFromZero),
        };
        yield return new OpInfo
        {
            Name = "F.Elu(alpha=0.5)", Covers = ["Elu"], Op = x => F.Elu(x[0], 0.5), Reference = r => Unary(r[0], a => a > 0 ? a : 0.5 * (Math.Exp(a) - 1)),
            Samples = () => KinkSamples((s, shape) => Avoiding(s, shape, 0)),
        };
        yield return new OpInfo { Name = "Prod()", Covers = ["Prod"], Op = x => x[0].Prod(), Reference = r => Whole(r[0], RefProd), Samples = ProdAllSamples };
        foreach (var (dim, keep) in new[] { (1, false), (-1, true), (0, false) })
            yield return new OpInfo
            {
                Name = $"Prod(dim={dim}{(keep ? ", keepDim" : "")})", Covers = ["Prod"], Op = x => x[0].Prod(dim, keep),
                Reference = r => ReduceAlong(r[0], dim, keep, RefProd), Samples = ProdSamples,
            };
        yield return new OpInfo { Name = "Median()", Covers = ["Median"], Op = x => x[0].Median(), Reference = r => Whole(r[0], RefLowerMedian), Samples = MedianAllSamples };
        foreach (var (dim, keep) in new[] { (1, false), (-1, true), (0, false) })
        {
            yield return new OpInfo
            {
                Name = $"Median(dim={dim}{(keep ? ", keepDim" : "")}).Values", Covers = ["Median"], Op = x => x[0].Median(dim, keep).Values,
                Reference = r => ReduceAlong(r[0], dim, keep, RefLowerMedian), Samples = MedianSamples,
            };
            yield return new OpInfo
            {
                Name = $"Median(dim={dim}{(keep ? ", keepDim" : "")}).Indices", Covers = ["Median"], Op = x => x[0].Median(dim, keep).Indices,
                Reference = r => ReduceAlong(r[0], dim, keep, RefLowerMedianIndex), Samples = MedianSamples, Differentiable = false,
            };
        }
        foreach (var p in new[] { 2, 1, 3, 0.5, 1.5, -1, 0, double.PositiveInfinity, double.NegativeInfinity })
        {
            // The 0-"norm" counts non-zeros: piecewise constant, so its gradient is 0 everywhere (checked in
            // Ops/NormTests); as a differentiable entry it would be a check without teeth.
            yield return new OpInfo
            {
                Name = $"Norm(p={p})", Covers = ["Norm"], Op = x => x[0].Norm(p), Reference = r => Whole(r[0], v => RefNorm(v, p)), Samples = NormSamples,
                Differentiable = p != 0,
            };
            yield return new OpInfo
            {
                Name = $"Norm(p={p}, dim=-1, keepDim)", Covers = ["Norm"], Op = x => x[0].Norm(p, -1, keepDim: true),
                Reference = r => ReduceAlong(r[0], -1, true, v => RefNorm(v, p)), Samples = NormSamples, Differentiable = p != 0,
            };
        }
        yield return new OpInfo
        {
            Name = "Norm(p=2, dims=[0, -1])", Covers = ["Norm"], Op = x => x[0].Norm(2, [0, -1]),
            Reference = r => RefNormDims(r[0], [0, r[0].Shape.Length - 1], false, 2), Samples = () => NormSamples().Skip(1),
        };
        yield return new OpInfo
        {
            Name = "Norm(p=3, dims=[-1, 0], keepDim)", Covers = ["Norm"], Op = x => x[0].Norm(3, [-1, 0], keepDim: true),
            Reference = r => RefNormDims(r[0], [0, r[0].Shape.Length - 1], true, 3), Samples = () => NormSamples().Skip(1),
        };
        foreach (var (offset, d1, d2) in new[] { (0, 0, 1), (1, 0, 1), (-2, 0, 1), (1, -1, 0), (9, 0, 1) })
            yield return new OpInfo
            {
                Name = $"Diagonal(offset={offset}, dim1={d1}, dim2={d2})", Covers = ["Diagonal"], Samples = DiagonalSamples,
                Op = x => x[0].Diagonal(offset, d1, d2), Reference = r => RefDiagonal(r[0], offset, d1, d2),
                // Offset 9 leaves every sample's plane: an empty diagonal has nothing to differentiate (the
                // empty-view gradients of the other entries are checked by OpDbEdgeLayoutTests).
                Differentiable = offset != 9,
            };
        yield return new OpInfo
        {
            // A view of a view: the diagonal of a transposed slice, then arithmetic on it.
            Name = "Diagonal of a view", Covers = ["Diagonal"], Samples = DiagonalSamples,
            Op = x => x[0].T.Diagonal(0, 0, 1) * 2.0,
            Reference = r => RefArray.Map(RefDiagonal(r[0], 0, 0, r[0].Shape.Length - 1), v => 2 * v),
        };
    }
}
