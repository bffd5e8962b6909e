using Nabla.Backends.Reference;
using Nabla.Tests.NN;
using F = Nabla.NN.Functional;
using R = Nabla.Tests.NN.ConvPoolReference;

namespace Nabla.Tests.OpDb;

/// <summary>
/// The 1-d and 3-d convolutions, transposed convolutions, pooling options (ceil mode, indices, divisor
/// override, 1-d), unpooling, adaptive pools and instance norm, against the plain loops of
/// <see cref="ConvPoolReference"/>; the generic tests add gradients (both modes, second order) and graphs.
/// </summary>
internal static partial class OpDb
{
    static IEnumerable<OpInfo> ConvPoolEntries()
    {
        yield return new OpInfo
        {
            Name = "Conv1d(stride,padding,dilation,groups)", Covers = ["Conv1d"],
            Op = x => F.Conv1d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2, groups: 2),
            Reference = r => R.Conv(r[0], r[1], r[2], [2], [1], [2], 2),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(700, [2, 4, 7]), Samples.Uniform(701, [6, 2, 3]), Samples.Uniform(702, [6])]),
                new("non-contiguous", [Samples.Uniform(703, [1, 8, 4]).Permute(0, 2, 1), Samples.Uniform(704, [6, 3, 2]).Permute(0, 2, 1), Samples.Uniform(705, [6])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "Conv3d(stride,padding,dilation,groups)", Covers = ["Conv3d"],
            Op = x => F.Conv3d(x[0], x[1], x[2], stride: (2, 1, 2), padding: (1, 0, 1), dilation: (1, 2, 1), groups: 2),
            Reference = r => R.Conv(r[0], r[1], r[2], [2, 1, 2], [1, 0, 1], [1, 2, 1], 2),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(710, [2, 2, 3, 5, 4]), Samples.Uniform(711, [4, 1, 2, 2, 2]), Samples.Uniform(712, [4])]),
                new("non-contiguous", [Samples.Uniform(713, [1, 4, 5, 3, 2]).Permute(0, 4, 3, 2, 1), Samples.Uniform(714, [4, 1, 2, 2, 2]), Samples.Uniform(715, [4])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "Conv3d(unbatched)", Covers = ["Conv3d"],
            Op = x => F.Conv3d(x[0], x[1], x[2]),
            Reference = r => Unbatch(R.Conv(Batch(r[0]), r[1], r[2], [1, 1, 1], [0, 0, 0], [1, 1, 1], 1)),
            Samples = () => [new("unbatched", [Samples.Uniform(716, [2, 3, 3, 3]), Samples.Uniform(717, [3, 2, 2, 1, 2]), Samples.Uniform(718, [3])])],
        };
        yield return new OpInfo
        {
            // 'same' with an even kernel height and a dilated width: 3 rows of padding (1 before, 2 after), 4 columns (2 and 2).
            Name = "Conv2d(same,dilation)", Covers = ["Conv2d"],
            Op = x => F.Conv2d(x[0], x[1], Nabla.NN.ConvPadding.Same, x[2], dilation: (1, 2)),
            Reference = r => R.Conv(PadHW(r[0], 1, 2, 2, 2), r[1], r[2], [1, 1], [0, 0], [1, 2], 1),
            Samples = () => [new("batch", [Samples.Uniform(706, [2, 2, 4, 5]), Samples.Uniform(707, [3, 2, 4, 3]), Samples.Uniform(708, [3])])],
        };
        yield return new OpInfo
        {
            Name = "Conv1d(same,even kernel)", Covers = ["Conv1d"],
            Op = x => F.Conv1d(x[0], x[1], Nabla.NN.ConvPadding.Same, groups: 2),
            Reference = r => R.Conv(PadLast(r[0], 1, 2), r[1], null, [1], [0], [1], 2),
            Samples = () => [new("batch", [Samples.Uniform(709, [2, 4, 5]), Samples.Uniform(719, [2, 2, 4])])],
        };
        yield return new OpInfo
        {
            Name = "ConvTranspose1d(stride,padding,outputPadding,groups)", Covers = ["ConvTranspose1d"],
            Op = x => F.ConvTranspose1d(x[0], x[1], x[2], stride: 3, padding: 1, outputPadding: 2, groups: 2),
            Reference = r => Batched(r[0], 3, x => R.ConvTranspose(x, r[1], r[2], [3], [1], [2], [1], 2)),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(720, [2, 4, 3]), Samples.Uniform(721, [4, 2, 3]), Samples.Uniform(722, [4])]),
                new("unbatched", [Samples.Uniform(723, [4, 2]), Samples.Uniform(724, [4, 2, 3]), Samples.Uniform(725, [4])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "ConvTranspose2d(stride,padding,outputPadding)", Covers = ["ConvTranspose2d"],
            Op = x => F.ConvTranspose2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 0), outputPadding: (1, 0)),
            Reference = r => R.ConvTranspose(r[0], r[1], r[2], [2, 1], [1, 0], [1, 0], [1, 1], 1),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(730, [2, 2, 3, 3]), Samples.Uniform(731, [2, 3, 3, 2]), Samples.Uniform(732, [3])]),
                new("non-contiguous", [NchwView(733, 1, 2, 3, 4), Samples.Uniform(734, [2, 3, 2, 3]).Permute(0, 1, 3, 2), Samples.Uniform(735, [3])]),
            ],
        };
        yield return new OpInfo
        {
            // Output padding 2 ≥ stride 1 (allowed under dilation 3): the fold-the-whole-extent-then-crop path.
            Name = "ConvTranspose2d(dilation,groups,outputPadding>=stride)", Covers = ["ConvTranspose2d"],
            Op = x => F.ConvTranspose2d(x[0], x[1], null, stride: 1, padding: (2, 1), outputPadding: 2, groups: 2, dilation: 3),
            Reference = r => R.ConvTranspose(r[0], r[1], null, [1, 1], [2, 1], [2, 2], [3, 3], 2),
            Samples = () => [new("batch", [Samples.Uniform(736, [2, 4, 2, 3]), Samples.Uniform(737, [4, 1, 2, 2])])],
        };
        yield return new OpInfo
        {
            Name = "MaxPool2d(ceilMode,dilation)", Covers = ["MaxPool2d"],
            Op = x => F.MaxPool2d(x[0], (3, 2), stride: 2, padding: 1, dilation: (1, 2), ceilMode: true),
            Reference = r => R.MaxPool(r[0], [3, 2], [2, 2], [1, 1], [1, 2], ceil: true).Values,
            Samples = () => [new("contiguous", [Distinct(740, [2, 2, 6, 7])]), new("unbatched-like", [Distinct(741, [1, 5, 4, 6]).Permute(0, 3, 1, 2)])],
        };
        yield return new OpInfo
        {
            Name = "MaxPool2dWithIndices(ceilMode).Indices", Covers = ["MaxPool2dWithIndices"], Differentiable = false,
            Op = x => F.MaxPool2dWithIndices(x[0], 2, stride: 2, ceilMode: true).Indices,
            Reference = r => R.MaxPool(r[0], [2, 2], [2, 2], [0, 0], [1, 1], ceil: true).Indices,
            Samples = () => [new("contiguous", [Distinct(742, [2, 2, 5, 5])])],
        };
        yield return new OpInfo
        {
            Name = "MaxPool1d(padding,dilation,ceilMode)", Covers = ["MaxPool1d"],
            Op = x => F.MaxPool1d(x[0], 3, stride: 2, padding: 1, dilation: 2, ceilMode: true),
            Reference = r => R.MaxPool(r[0], [3], [2], [1], [2], ceil: true).Values,
            Samples = () => [new("batch", [Distinct(743, [2, 3, 10])]), new("non-contiguous", [Distinct(744, [1, 9, 2]).Permute(0, 2, 1)])],
        };
        yield return new OpInfo
        {
            Name = "MaxPool1dWithIndices.Indices", Covers = ["MaxPool1dWithIndices"], Differentiable = false,
            Op = x => F.MaxPool1dWithIndices(x[0], 2, stride: 1, padding: 1).Indices,
            Reference = r => R.MaxPool(r[0], [2], [1], [1], [1], ceil: false).Indices,
            Samples = () => [new("batch", [Distinct(745, [2, 2, 6])])],
        };
        yield return new OpInfo
        {
            Name = "AvgPool2d(ceilMode,countIncludePad:false)", Covers = ["AvgPool2d"],
            Op = x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true),
            Reference = r => R.AvgPool(r[0], [3, 3], [2, 2], [1, 1], ceil: true, countIncludePad: false),
            Samples = () => [new("contiguous", [Samples.Uniform(750, [2, 2, 6, 5])]), new("non-contiguous", [NchwView(751, 1, 2, 5, 6)])],
        };
        yield return new OpInfo
        {
            Name = "AvgPool2d(ceilMode,countIncludePad)", Covers = ["AvgPool2d"],
            Op = x => F.AvgPool2d(x[0], (2, 3), stride: (2, 2), padding: 1, ceilMode: true),
            Reference = r => R.AvgPool(r[0], [2, 3], [2, 2], [1, 1], ceil: true, countIncludePad: true),
            Samples = () => [new("contiguous", [Samples.Uniform(752, [2, 2, 6, 6])])],
        };
        yield return new OpInfo
        {
            Name = "AvgPool2d(divisorOverride)", Covers = ["AvgPool2d"],
            Op = x => F.AvgPool2d(x[0], 2, stride: 1, padding: 1, divisorOverride: 3),
            Reference = r => R.AvgPool(r[0], [2, 2], [1, 1], [1, 1], ceil: false, countIncludePad: true, divisor: 3),
            Samples = () => [new("contiguous", [Samples.Uniform(753, [1, 2, 4, 3])])],
        };
        yield return new OpInfo
        {
            Name = "AvgPool1d(padding,ceilMode)", Covers = ["AvgPool1d"],
            Op = x => F.AvgPool1d(x[0], 3, stride: 2, padding: 1, ceilMode: true),
            Reference = r => Batched(r[0], 3, x => R.AvgPool(x, [3], [2], [1], ceil: true, countIncludePad: true)),
            Samples = () => [new("batch", [Samples.Uniform(754, [2, 3, 8])]), new("unbatched", [Samples.Uniform(755, [3, 7])])],
        };
        yield return new OpInfo
        {
            Name = "MaxUnpool2d", Covers = ["MaxUnpool2d"], GradInputs = [0],
            Op = x => F.MaxUnpool2d(x[0], x[1], 2, stride: 2, outputSize: (5, 5)),
            Reference = r => R.MaxUnpool(r[0], r[1], [5, 5]),
            // Indices of a 2x2/stride-2 max pool of a 5x5 plane: distinct, one per window.
            Samples = () => [new("batch", [Samples.Uniform(760, [2, 2, 2, 2]), UnpoolIndices()])],
        };
        yield return new OpInfo
        {
            Name = "MaxUnpool1d", Covers = ["MaxUnpool1d"], GradInputs = [0],
            Op = x => F.MaxUnpool1d(x[0], x[1], 3, stride: 2),
            Reference = r => R.MaxUnpool(r[0], r[1], [7]),
            Samples = () => [new("batch", [Samples.Uniform(761, [1, 2, 3]), Tensor.FromArray(new long[] { 0, 3, 6, 2, 4, 5 }, [1, 2, 3])])],
        };
        yield return new OpInfo
        {
            Name = "AdaptiveAvgPool2d", Covers = ["AdaptiveAvgPool2d"],
            Op = x => F.AdaptiveAvgPool2d(x[0], (3, 2)),
            Reference = r => R.Adaptive(r[0], [3, 2], max: false).Values,
            Samples = () => [new("contiguous", [Samples.Uniform(770, [2, 2, 5, 7])]), new("unbatched-like", [NchwView(771, 1, 2, 4, 3)])],
        };
        yield return new OpInfo
        {
            Name = "AdaptiveAvgPool2d(None,3)", Covers = ["AdaptiveAvgPool2d"],
            Op = x => F.AdaptiveAvgPool2d(x[0], (null, 3)),
            Reference = r => R.Adaptive(r[0], [r[0].Shape[2], 3], max: false).Values,
            Samples = () => [new("contiguous", [Samples.Uniform(772, [1, 2, 3, 5])])],
        };
        yield return new OpInfo
        {
            Name = "AdaptiveAvgPool1d", Covers = ["AdaptiveAvgPool1d"],
            Op = x => F.AdaptiveAvgPool1d(x[0], 4),
            Reference = r => R.Adaptive(r[0], [4], max: false).Values,
            Samples = () => [new("batch", [Samples.Uniform(773, [2, 3, 6])])],
        };
        yield return new OpInfo
        {
            Name = "AdaptiveMaxPool2d", Covers = ["AdaptiveMaxPool2d"],
            Op = x => F.AdaptiveMaxPool2d(x[0], (2, 3)),
            Reference = r => R.Adaptive(r[0], [2, 3], max: true).Values,
            Samples = () => [new("contiguous", [Distinct(774, [2, 2, 5, 7])]), new("non-contiguous", [Distinct(775, [1, 4, 6, 2]).Permute(0, 3, 1, 2)])],
        };
        yield return new OpInfo
        {
            Name = "AdaptiveMaxPool2dWithIndices.Indices", Covers = ["AdaptiveMaxPool2dWithIndices"], Differentiable = false,
            Op = x => F.AdaptiveMaxPool2dWithIndices(x[0], (3, 2)).Indices,
            Reference = r => R.Adaptive(r[0], [3, 2], max: true).Indices,
            Samples = () => [new("contiguous", [Distinct(776, [2, 2, 5, 3])])],
        };
        yield return new OpInfo
        {
            Name = "AdaptiveMaxPool1d", Covers = ["AdaptiveMaxPool1d", "AdaptiveMaxPool1dWithIndices"],
            Op = x => F.AdaptiveMaxPool1d(x[0], 3),
            Reference = r => Batched(r[0], 3, x => R.Adaptive(x, [3], max: true).Values),
            Samples = () => [new("batch", [Distinct(777, [2, 2, 7])]), new("unbatched", [Distinct(778, [2, 4])])],
        };
        yield return new OpInfo
        {
            Name = "InstanceNorm(affine)", Covers = ["InstanceNorm"],
            Op = x => F.InstanceNorm(x[0], weight: x[1], bias: x[2], eps: NormEps),
            Reference = r => R.InstanceNorm(r[0], r[1], r[2], NormEps),
            Samples = () =>
            [
                new("2d", [Samples.Uniform(780, [2, 3, 3, 2]), Samples.Uniform(781, [3]), Samples.Uniform(782, [3])]),
                new("1d non-contiguous", [Samples.Uniform(783, [2, 4, 3]).Permute(0, 2, 1), Samples.Uniform(784, [3]), Samples.Uniform(785, [3])]),
                new("empty batch", [Samples.Uniform(786, [0, 3, 4]), Samples.Uniform(787, [3]), Samples.Uniform(788, [3])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "InstanceNorm(running stats)", Covers = ["InstanceNorm"],
            Op = x => F.InstanceNorm(x[0], x[1], x[2], useInputStats: false, eps: NormEps),
            Reference = r => R.NormalizeBy(r[0], r[1], r[2], NormEps),
            Samples = () => [new("1d", [Samples.Uniform(789, [2, 3, 4]), Samples.Uniform(790, [3]), Samples.Positive(791, [3])])],
        };
    }

    /// <summary>[2, 2, 2, 2] int64: each plane's argmax positions of a 2x2/stride-2 max pool on a 5x5 plane (distinct).</summary>
    static Tensor UnpoolIndices() =>
        Tensor.FromArray(new long[] { 0, 3, 11, 18, 6, 2, 15, 13, 5, 8, 16, 12, 1, 7, 10, 19 }, [2, 2, 2, 2]);

    /// <summary>f on a batch of one when <paramref name="x"/> is unbatched (rank one less than <paramref name="rank"/>), else on x.</summary>
    static RefArray Batched(RefArray x, int rank, Func<RefArray, RefArray> f) => x.Shape.Length == rank ? f(x) : Unbatch(f(Batch(x)));

    /// <summary>[B, C, H, W] zero padded by (top, bottom) rows and (left, right) columns.</summary>
    static RefArray PadHW(RefArray x, int top, int bottom, int left, int right)
    {
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = RefArray.Zeros([b, c, h + top + bottom, w + left + right]);
        for (int f = 0; f < x.Count; f++)
        {
            var i = x.Unravel(f);
            y.Data[y.Ravel([i[0], i[1], i[2] + top, i[3] + left])] = x.Data[f];
        }
        return y;
    }

    /// <summary>[B, C, L] zero padded by (before, after).</summary>
    static RefArray PadLast(RefArray x, int before, int after)
    {
        var padded = PadHW(new RefArray(x.Data, [x.Shape[0], x.Shape[1], 1, x.Shape[2]]), 0, 0, before, after);
        return new RefArray(padded.Data, [x.Shape[0], x.Shape[1], padded.Shape[3]]);
    }

    static RefArray Batch(RefArray x) => new(x.Data, [1, .. x.Shape]);

    static RefArray Unbatch(RefArray x) => new(x.Data, x.Shape[1..]);
}
