using Nabla.Backends.Reference;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>
    /// torch.nn.functional.pad in plain loops: for each output position and padded dim, the input position it copies
    /// (reflect: walk back from the edge; replicate: the nearest edge; circular: wrap by the size), or the constant.
    /// </summary>
    static RefArray LoopPad(RefArray x, int[] padding, PadMode mode, double value = 0)
    {
        int rank = x.Shape.Length;
        var outShape = (int[])x.Shape.Clone();
        for (int i = 0; i < padding.Length / 2; i++) outShape[rank - 1 - i] += padding[2 * i] + padding[2 * i + 1];
        var y = RefArray.Zeros(outShape);
        for (int flat = 0; flat < y.Count; flat++)
        {
            var at = y.Unravel(flat);
            bool outside = false;
            for (int i = 0; i < padding.Length / 2; i++)
            {
                int d = rank - 1 - i, size = x.Shape[d];
                int p = at[d] - padding[2 * i];   // the position in the input's coordinates
                if (p >= 0 && p < size) { at[d] = p; continue; }
                switch (mode)
                {
                    case PadMode.Constant: outside = true; break;
                    case PadMode.Replicate: at[d] = p < 0 ? 0 : size - 1; break;
                    case PadMode.Circular: at[d] = p < 0 ? p + size : p - size; break;
                    default: at[d] = p < 0 ? -p : (size - 1) - (p - (size - 1)); break;   // mirror about the edge element
                }
            }
            y.Data[flat] = outside ? value : x[at];
        }
        return y;
    }

    static IEnumerable<OpInfo> PadModeEntries()
    {
        foreach (var mode in new[] { PadMode.Reflect, PadMode.Replicate, PadMode.Circular })
        {
            yield return new OpInfo
            {
                Name = $"Pad({mode}, 1 dim)", Covers = ["Pad"], Op = x => x[0].Pad([2, 1], mode), Reference = r => LoopPad(r[0], [2, 1], mode),
                Samples = () => [new("[C, W]", [Samples.Uniform(460, [2, 4])]), new("[N, C, W] non-contiguous", [Samples.Uniform(461, [2, 4, 3]).Transpose(1, 2)])],
            };
            yield return new OpInfo
            {
                Name = $"Pad({mode}, 2 dims)", Covers = ["Pad"], Op = x => F.Pad(x[0], [1, 2, 2, 0], mode), Reference = r => LoopPad(r[0], [1, 2, 2, 0], mode),
                Samples = () => [new("[N, C, H, W]", [Samples.Uniform(462, [1, 2, 3, 4])]), new("[C, H, W] non-contiguous", [Samples.Uniform(463, [2, 4, 3]).Transpose(1, 2)])],
            };
        }
        yield return new OpInfo
        {
            Name = "Pad(Circular, 3 dims, cropping)", Covers = ["Pad"], Op = x => x[0].Pad([1, -1, 0, 2, 1, 1], PadMode.Circular),
            Reference = r => LoopCircularCrop(r[0]),
            Samples = () => [new("[C, D, H, W]", [Samples.Uniform(464, [1, 2, 3, 3])])],
        };
        yield return new OpInfo
        {
            Name = "Pad(Constant, value, cropping)", Covers = ["Pad"], Op = x => F.Pad(x[0], [2, -1, 1, 1], PadMode.Constant, -1.5),
            Reference = r => LoopPad(Crop(r[0], 1), [2, 0, 1, 1], PadMode.Constant, -1.5),
            Samples = () => [new("matrix", [Samples.Uniform(465, [3, 4])]), new("non-contiguous", [Samples.Transposed(466, 3, 4)])],
        };
        yield return new OpInfo
        {
            Name = "PixelShuffle", Covers = ["PixelShuffle"], Op = x => F.PixelShuffle(x[0], 2),
            // y[n, c, h·2 + i, w·2 + j] = x[n, c·4 + i·2 + j, h, w]
            Reference = r => Make([r[0].Shape[0], r[0].Shape[1] / 4, r[0].Shape[2] * 2, r[0].Shape[3] * 2],
                o => r[0][[o[0], o[1] * 4 + (o[2] % 2) * 2 + o[3] % 2, o[2] / 2, o[3] / 2]]),
            Samples = () => [new("[N, 8, H, W]", [Samples.Uniform(467, [2, 8, 2, 3])]), new("non-contiguous", [Samples.Uniform(468, [1, 3, 2, 4]).Permute(0, 3, 2, 1)])],
        };
        yield return new OpInfo
        {
            Name = "PixelUnshuffle", Covers = ["PixelUnshuffle"], Op = x => F.PixelUnshuffle(x[0], 2),
            // y[n, c·4 + i·2 + j, h, w] = x[n, c, h·2 + i, w·2 + j]
            Reference = r => Make([r[0].Shape[0], r[0].Shape[1] * 4, r[0].Shape[2] / 2, r[0].Shape[3] / 2],
                o => r[0][[o[0], o[1] / 4, o[2] * 2 + (o[1] % 4) / 2, o[3] * 2 + o[1] % 2]]),
            Samples = () => [new("[N, C, 4, 6]", [Samples.Uniform(469, [2, 2, 4, 6])]), new("non-contiguous", [Samples.Uniform(470, [1, 4, 2, 2]).Permute(0, 2, 1, 3)])],
        };
        yield return new OpInfo
        {
            Name = "Bilinear", Covers = ["Bilinear"], Op = x => F.Bilinear(x[0], x[1], x[2], x[3]),
            Reference = r => Make([r[0].Shape[0], r[2].Shape[0]], o =>
            {
                double sum = r[3][[o[1]]];
                for (int i = 0; i < r[2].Shape[1]; i++)
                    for (int j = 0; j < r[2].Shape[2]; j++)
                        sum += r[0][[o[0], i]] * r[2][[o[1], i, j]] * r[1][[o[0], j]];
                return sum;
            }),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(471, [3, 2]), Samples.Uniform(472, [3, 4]), Samples.Uniform(473, [5, 2, 4]), Samples.Uniform(474, [5])]),
                new("non-contiguous", [Samples.Transposed(475, 2, 2), Samples.Transposed(476, 2, 4), Samples.Uniform(477, [3, 4, 2]).Transpose(1, 2), Samples.Uniform(478, [3])]),
                new("empty batch", [Samples.Uniform(479, [0, 2]), Samples.Uniform(480, [0, 3]), Samples.Uniform(481, [2, 2, 3]), Samples.Uniform(482, [2])]),
            ],
        };
    }

    /// <summary>The last column dropped <paramref name="count"/> times (a negative right padding).</summary>
    static RefArray Crop(RefArray x, int count) =>
        Make([.. x.Shape[..^1], x.Shape[^1] - count], o => x[o]);

    /// <summary>Circular [1, -1, 0, 2, 1, 1] of [C, D, H, W], written out dim by dim: W wraps one in on the left and loses its last; H gains two rows from its top; D wraps one each side.</summary>
    static RefArray LoopCircularCrop(RefArray x)
    {
        int c = x.Shape[0], d = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        return Make([c, d + 2, h + 2, w], o =>
        {
            int sd = (o[1] - 1 + d) % d;
            int sh = o[2] % h;
            int sw = (o[3] - 1 + w) % w;
            return x[[o[0], sd, sh, sw]];
        });
    }
}
