using Nabla.Backends.Reference;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>Margin and embedding losses (issue 14) against plain double loops of PyTorch's definitions.</summary>
internal static partial class OpDb
{
    static Tensor Labels(params long[] v) => Tensor.FromArray(v, [v.Length]);

    static double RefSoftplus(double z) => Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));

    static IEnumerable<OpInfo> LossMarginEntries()
    {
        yield return new OpInfo
        {
            Name = "CosineEmbeddingLoss(none,margin)", Covers = ["CosineEmbeddingLoss"],
            Op = x => F.CosineEmbeddingLoss(x[0], x[1], x[2], margin: -0.5, reduction: Reduction.None),
            Reference = r => RefCosineEmbedding(r[0], r[1], r[2], -0.5),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(740, [4, 3]), Samples.Uniform(741, [4, 3]), Labels(1, -1, -1, 1)]),
                new("non-contiguous", [Samples.Transposed(742, 3, 2), Samples.Uniform(743, [3, 2]), Labels(-1, 1, -1)]),
            ],
        };
        yield return new OpInfo
        {
            Name = "MarginRankingLoss(none)", Covers = ["MarginRankingLoss"],
            Op = x => F.MarginRankingLoss(x[0], x[1], x[2], margin: 0.3, reduction: Reduction.None),
            Reference = r => new RefArray([.. Enumerable.Range(0, r[0].Count).Select(i => Math.Max(0, -r[2].Data[i] * (r[0].Data[i] - r[1].Data[i]) + 0.3))], r[0].Shape),
            Samples = () => [new("batch", [Samples.Uniform(744, [6]), Samples.Uniform(745, [6]), Tensor.FromArray(new double[] { 1, -1, 1, -1, 1, -1 }, [6])])],
            GradInputs = [0, 1],
        };
        yield return new OpInfo
        {
            Name = "TripletMarginLoss(none,swap)", Covers = ["TripletMarginLoss"],
            Op = x => F.TripletMarginLoss(x[0], x[1], x[2], margin: 2.0, swap: true, reduction: Reduction.None),
            Reference = r => RefTriplet(r[0], r[1], r[2], 2.0, 2, swap: true),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(746, [4, 3]), Samples.Uniform(747, [4, 3]), Samples.Uniform(748, [4, 3])]),
                new("non-contiguous", [Samples.Transposed(749, 3, 2), Samples.Uniform(750, [3, 2]), Samples.Uniform(751, [3, 2])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "TripletMarginLoss(mean,p=1)", Covers = ["TripletMarginLoss"],
            Op = x => F.TripletMarginLoss(x[0], x[1], x[2], margin: 3.0, p: 1),
            Reference = r => RefScalar(RefTriplet(r[0], r[1], r[2], 3.0, 1, swap: false).Data.Average()),
            // p = 1 has a kink where a coordinate difference crosses -eps: values far apart keep the samples off it.
            Samples = () => [new("batch", [Tensor.FromArray(new double[] { 0, 1, 2, 3, 4, 5 }, [2, 3]), Samples.Uniform(752, [2, 3], 6, 7), Samples.Uniform(753, [2, 3], -3, -1)])],
        };
        yield return new OpInfo
        {
            Name = "HingeEmbeddingLoss(none)", Covers = ["HingeEmbeddingLoss"],
            Op = x => F.HingeEmbeddingLoss(x[0], x[1], margin: 1.5, reduction: Reduction.None),
            Reference = r => RefArray.Zip(r[0], r[1], (x, y) => y == 1 ? x : Math.Max(0, 1.5 - x)),
            Samples = () => [new("batch", [Samples.Uniform(754, [2, 3]), Tensor.FromArray(new long[] { 1, -1, -1, 1, -1, 1 }, [2, 3])])],
        };
        yield return new OpInfo
        {
            Name = "SoftMarginLoss(none)", Covers = ["SoftMarginLoss"],
            Op = x => F.SoftMarginLoss(x[0], x[1], Reduction.None),
            Reference = r => RefArray.Zip(r[0], r[1], (x, y) => RefSoftplus(-y * x)),
            Samples = () => [new("batch", [Samples.Uniform(755, [2, 3], -4, 4), Tensor.FromArray(new double[] { 1, -1, -1, 1, -1, 1 }, [2, 3])])],
            GradInputs = [0],
        };
        yield return new OpInfo
        {
            Name = "MultiLabelSoftMarginLoss(none,weight)", Covers = ["MultiLabelSoftMarginLoss"],
            Op = x => F.MultiLabelSoftMarginLoss(x[0], x[1], x[2], Reduction.None),
            Reference = r => RefMultiLabelSoftMargin(r[0], r[1], r[2]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(756, [3, 4], -3, 3), Tensor.FromArray(new double[] { 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0 }, [3, 4]), Samples.Positive(757, [4])]),
                new("non-contiguous", [Samples.Transposed(758, 2, 3), Tensor.FromArray(new double[] { 0, 1, 1, 1, 0, 0 }, [2, 3]), Samples.Positive(759, [3])]),
            ],
            GradInputs = [0, 2],
        };
        foreach (int p in new[] { 1, 2 })
            yield return new OpInfo
            {
                Name = $"MultiMarginLoss(none,p={p},weight)", Covers = ["MultiMarginLoss"],
                Op = x => F.MultiMarginLoss(x[0], x[1], p: p, margin: 0.8, weight: x[2], reduction: Reduction.None),
                Reference = r => RefMultiMargin(r[0], r[1], r[2], p, 0.8),
                Samples = () =>
                [
                    new("batch", [Samples.Uniform(760 + p, [3, 4]), Labels(2, 0, 3), Samples.Positive(763, [4])]),
                    new("non-contiguous", [Samples.Transposed(764, 2, 5), Labels(4, 1), Samples.Positive(765, [5])]),
                ],
            };
    }

    static RefArray RefCosineEmbedding(RefArray a, RefArray b, RefArray y, double margin)
    {
        int n = a.Shape[0], d = a.Shape[1];
        var loss = RefArray.Zeros([n]);
        for (int i = 0; i < n; i++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < d; k++)
            {
                double u = a.Data[i * d + k], v = b.Data[i * d + k];
                (dot, na, nb) = (dot + u * v, na + u * u, nb + v * v);
            }
            double cos = dot / Math.Sqrt((na + 1e-12) * (nb + 1e-12));
            loss.Data[i] = y.Data[i] == 1 ? 1 - cos : Math.Max(0, cos - margin);
        }
        return loss;
    }

    static RefArray RefTriplet(RefArray a, RefArray p, RefArray n, double margin, double norm, bool swap)
    {
        int rows = a.Shape[0], d = a.Shape[1];
        double Dist(RefArray x, RefArray y, int i)
        {
            double s = 0;
            for (int k = 0; k < d; k++) s += Math.Pow(Math.Abs(x.Data[i * d + k] - y.Data[i * d + k] + 1e-6), norm);
            return Math.Pow(s, 1 / norm);
        }
        var loss = RefArray.Zeros([rows]);
        for (int i = 0; i < rows; i++)
        {
            double toNegative = swap ? Math.Min(Dist(a, n, i), Dist(p, n, i)) : Dist(a, n, i);
            loss.Data[i] = Math.Max(0, margin + Dist(a, p, i) - toNegative);
        }
        return loss;
    }

    static RefArray RefMultiLabelSoftMargin(RefArray x, RefArray t, RefArray w)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var loss = RefArray.Zeros([n]);
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int k = 0; k < c; k++)
            {
                double v = x.Data[i * c + k], y = t.Data[i * c + k];
                s += w.Data[k] * (y * RefSoftplus(-v) + (1 - y) * RefSoftplus(v));   // -(y·logσ(v) + (1 - y)·logσ(-v))
            }
            loss.Data[i] = s / c;
        }
        return loss;
    }

    static RefArray RefMultiMargin(RefArray x, RefArray t, RefArray w, int p, double margin)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var loss = RefArray.Zeros([n]);
        for (int i = 0; i < n; i++)
        {
            int y = (int)t.Data[i];
            double s = 0;
            for (int k = 0; k < c; k++)
            {
                if (k == y) continue;
                double z = Math.Max(0, margin - x.Data[i * c + y] + x.Data[i * c + k]);
                s += w.Data[y] * Math.Pow(z, p);
            }
            loss.Data[i] = s / c;
        }
        return loss;
    }
}
