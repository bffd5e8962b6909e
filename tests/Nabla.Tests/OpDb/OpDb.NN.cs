using Nabla.Backends.Reference;
using Nabla.NN;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Special;
using Nabla.Tests.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>A [B, C, H, W] sample as a non-contiguous view (a permuted contiguous tensor).</summary>
    static Tensor NchwView(int seed, int b, int c, int h, int w) => Samples.Uniform(seed, [b, h, w, c]).Permute(0, 3, 1, 2);

    static Im2Col Geo(int c, int h, int w, int k, int s, int p, int d) => new(c, h, w, k, k, s, s, p, p, d, d);

    static OpInfo ConvEntry(string name, int stride, int padding, int dilation, int groups, int c, int o) => new()
    {
        Name = name, Covers = ["Conv2d"],
        Op = x => F.Conv2d(x[0], x[1], x[2], stride, padding, dilation, groups),
        Reference = r => NNReference.Conv2d(r[0], r[1], r[2], (stride, stride), (padding, padding), (dilation, dilation), groups),
        Samples = () =>
        [
            new("contiguous", [Samples.Uniform(201, [2, c, 5, 6]), Samples.Uniform(202, [o, c / groups, 3, 2]), Samples.Uniform(203, [o])]),
            new("non-contiguous", [NchwView(204, 1, c, 6, 5), Samples.Uniform(205, [o, 3, 2, c / groups]).Permute(0, 3, 1, 2), Samples.Uniform(206, [o])]),
        ],
        Float32Tolerance = 1e-5,
    };

    static IEnumerable<OpInfo> NNEntries()
    {
        yield return new OpInfo
        {
            Name = "Erf", Covers = ["Erf"], Op = x => F.Erf(x[0]),
            Reference = r => RefArray.Map(r[0], Erf.Evaluate),
            Samples = () =>
            [
                new("vector", [Samples.Uniform(190, [9], -3.5, 3.5)]),
                new("scalar", [Samples.Uniform(191, [])]),
                new("non-contiguous", [Samples.Transposed(192, 3, 4)]),
            ],
        };
        yield return new OpInfo
        {
            Name = "Gelu", Covers = ["Gelu"], Op = x => x[0].Gelu(),
            Reference = r => RefArray.Map(r[0], v => 0.5 * v * (1 + Erf.Evaluate(v / Math.Sqrt(2)))),
            Samples = () =>
            [
                new("vector", [Samples.Uniform(207, [11], -4, 4)]),
                new("scalar", [Samples.Uniform(208, [])]),
                new("non-contiguous", [Samples.Transposed(209, 3, 4)]),
            ],
        };
        yield return new OpInfo
        {
            Name = "Unfold", Covers = ["Unfold", "Im2Col"], Op = x => F.Unfold(x[0], (3, 2), dilation: (1, 2), padding: (1, 0), stride: (2, 1)),
            Reference = r => new Unfold(new Im2Col(r[0].Shape[1], r[0].Shape[2], r[0].Shape[3], 3, 2, 2, 1, 1, 0, 1, 2)).Reference(r),
            Samples = () => [new("contiguous", [Samples.Uniform(193, [2, 2, 5, 6])]), new("non-contiguous", [NchwView(194, 1, 3, 4, 5)])],
        };
        yield return new OpInfo
        {
            Name = "Fold", Covers = ["Fold", "Col2Im"], Op = x => F.Fold(x[0], (5, 4), 3, dilation: 1, padding: 1, stride: 2),
            Reference = r => new Fold(Geo(r[0].Shape[1] / 9, 5, 4, 3, 2, 1, 1)).Reference(r),
            // 5x4 output, kernel 3, padding 1, stride 2: 3x2 = 6 window positions.
            Samples = () => [new("contiguous", [Samples.Uniform(195, [2, 18, 6])]), new("non-contiguous", [Samples.Uniform(196, [6, 9, 1]).Permute(2, 1, 0)])],
        };
        yield return ConvEntry("Conv2d", 1, 0, 1, 1, 2, 3);
        yield return ConvEntry("Conv2d(stride,padding)", 2, 1, 1, 1, 2, 3);
        yield return ConvEntry("Conv2d(dilation,groups)", 1, 2, 2, 2, 4, 6);
        yield return new OpInfo
        {
            Name = "MaxPool2d", Covers = ["MaxPool2d"], Op = x => F.MaxPool2d(x[0], 3, stride: 2, padding: 1),
            Reference = r => NNReference.Pool(r[0], (3, 3), (2, 2), (1, 1), max: true),
            // Distinct values (a permutation scaled), so no window has a tie and finite differences are clean.
            Samples = () => [new("contiguous", [Distinct(197, [2, 2, 5, 6])]), new("non-contiguous", [Distinct(198, [1, 5, 4, 3]).Permute(0, 3, 1, 2)])],
        };
        yield return new OpInfo
        {
            Name = "AvgPool2d", Covers = ["AvgPool2d"], Op = x => F.AvgPool2d(x[0], (2, 3), stride: (1, 2), padding: 1),
            Reference = r => NNReference.Pool(r[0], (2, 3), (1, 2), (1, 1), max: false),
            Samples = () => [new("contiguous", [Samples.Uniform(199, [2, 2, 4, 5])]), new("non-contiguous", [NchwView(200, 1, 3, 5, 4)])],
        };
    }

    /// <summary>A random permutation of 0.1·(0..n-1), shifted: all values distinct and at least 0.1 apart.</summary>
    internal static Tensor Distinct(int seed, int[] shape)
    {
        int n = new Shape(shape).NumElements;
        var rng = new Random(seed);
        var v = Enumerable.Range(0, n).Select(i => 0.1 * i - 0.05 * n).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.FromArray(v, shape);
    }
}
