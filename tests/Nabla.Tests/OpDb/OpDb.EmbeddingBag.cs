using Nabla.Backends.Reference;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>
/// EmbeddingBag's three modes (weight and per-sample weights differentiated), against plain loops. Embedding's
/// paddingIdx and scaleGradByFreq change the gradient on purpose (it is no longer the derivative), so they are
/// checked by hand in NN/EmbeddingOptionsTests instead.
/// </summary>
internal static partial class OpDb
{
    // Bags of the 1-d input: [1, 2], [], [3, 0, 2] (offsets 0, 2, 2).
    static readonly long[] BagInput = [1, 2, 3, 0, 2];
    static readonly int[][] Bags = [[0, 1], [], [2, 3, 4]];

    static IEnumerable<OpInfo> EmbeddingBagEntries()
    {
        // The indices and offsets are inputs too (not differentiated), so they follow the table to each device tested.
        Tensor Input() => Tensor.FromArray(BagInput, [5]);
        Tensor Offsets() => Tensor.FromArray(new long[] { 0, 2, 2 }, [3]);
        yield return new OpInfo
        {
            Name = "EmbeddingBag(sum,perSampleWeights)", Covers = ["EmbeddingBag"],
            Op = x => F.EmbeddingBag(x[2], x[0], x[3], EmbeddingBagMode.Sum, perSampleWeights: x[1]),
            Reference = r => RefBag(r[0], r[1], EmbeddingBagMode.Sum),
            Samples = () =>
            [
                new("table", [Samples.Uniform(770, [4, 3]), Samples.Uniform(771, [5]), Input(), Offsets()]),
                new("non-contiguous", [Samples.Transposed(772, 4, 2), Samples.Uniform(773, [5]), Input(), Offsets()]),
            ],
        };
        foreach (var mode in new[] { EmbeddingBagMode.Mean, EmbeddingBagMode.Max })
            yield return new OpInfo
            {
                Name = $"EmbeddingBag({mode})", Covers = ["EmbeddingBag"],
                Op = x => F.EmbeddingBag(x[1], x[0], x[2], mode),
                Reference = r => RefBag(r[0], null, mode),
                // Distinct values: no ties for Max.
                Samples = () => [new("table", [Distinct(774, [4, 3]), Input(), Offsets()]), new("non-contiguous", [Distinct(775, [3, 4]).T, Input(), Offsets()])],
            };
    }

    static RefArray RefBag(RefArray w, RefArray? perSample, EmbeddingBagMode mode)
    {
        int dim = w.Shape[1];
        var y = RefArray.Zeros([Bags.Length, dim]);
        for (int b = 0; b < Bags.Length; b++)
            for (int k = 0; k < dim; k++)
            {
                double acc = mode == EmbeddingBagMode.Max ? double.NegativeInfinity : 0;
                foreach (int at in Bags[b])
                {
                    double v = w.Data[BagInput[at] * dim + k] * (perSample is null ? 1 : perSample.Data[at]);
                    acc = mode == EmbeddingBagMode.Max ? Math.Max(acc, v) : acc + v;
                }
                if (Bags[b].Length == 0) acc = 0;
                else if (mode == EmbeddingBagMode.Mean) acc /= Bags[b].Length;
                y.Data[b * dim + k] = acc;
            }
        return y;
    }
}
