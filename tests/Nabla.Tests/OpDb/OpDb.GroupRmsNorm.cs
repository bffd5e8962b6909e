using Nabla.Backends.Reference;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>
/// Functional.GroupNorm and Functional.RmsNorm as OpDb entries (composites over differentiable ops), checked
/// against plain double loops, with derivatives, second order and eager vs compiled from the generic tests.
/// </summary>
internal static partial class OpDb
{
    static IEnumerable<OpInfo> GroupRmsNormEntries()
    {
        yield return new OpInfo
        {
            Name = "GroupNorm", Covers = ["GroupNorm"], Op = x => F.GroupNorm(x[0], 2, x[1], x[2], NormEps),
            Reference = r => RefGroupNorm(r[0], 2, r[1], r[2]),
            Samples = () =>
            [
                new("[N, C, L]", [Samples.Uniform(900, [2, 4, 3]), Samples.Uniform(901, [4]), Samples.Uniform(902, [4])]),
                new("[N, C, H, W]", [Samples.Uniform(903, [2, 6, 2, 2]), Samples.Uniform(904, [6]), Samples.Uniform(905, [6])]),
                new("[N, C] non-contiguous", [Samples.Transposed(906, 3, 4), Samples.Uniform(907, [4]), Samples.Uniform(908, [4])]),
                new("empty batch", [Samples.Uniform(909, [0, 4, 3]), Samples.Uniform(910, [4]), Samples.Uniform(911, [4])]),
            ],
        };
        yield return new OpInfo
        {
            // One group over everything of a sample, and no affine: the statistics span channels and positions.
            Name = "GroupNorm(1 group, no affine)", Covers = ["GroupNorm"], Op = x => F.GroupNorm(x[0], 1, eps: NormEps),
            Reference = r => RefGroupNorm(r[0], 1, null, null),
            Samples = () =>
            [
                new("[N, C, L]", [Samples.Uniform(912, [3, 2, 4])]),
                new("[N, C] non-contiguous", [Samples.Transposed(913, 2, 5)]),
            ],
        };
        yield return new OpInfo
        {
            Name = "RmsNorm", Covers = ["RmsNorm"], Op = x => F.RmsNorm(x[0], [x[0].Shape[^1]], x[1], NormEps),
            Reference = r => RefRmsNorm(r[0], r[1].Data.Length, r[1]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(920, [3, 5]), Samples.Uniform(921, [5])]),
                new("non-contiguous", [Samples.Transposed(922, 2, 4), Samples.Uniform(923, [4])]),
                new("empty batch", [Samples.Uniform(924, [0, 5]), Samples.Uniform(925, [5])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "RmsNorm(2 dims, no weight)", Covers = ["RmsNorm"], Op = x => F.RmsNorm(x[0], [.. x[0].Shape.ToArray()[^2..]], eps: NormEps),
            Reference = r => RefRmsNorm(r[0], r[0].Shape[^1] * r[0].Shape[^2], null),
            Samples = () =>
            [
                new("[B, T, D]", [Samples.Uniform(926, [2, 3, 4])]),
                new("rank 2", [Samples.Uniform(927, [2, 3])]),
            ],
        };
    }

    /// <summary>
    /// x [N, C, rest...]: each (n, group g) holds channels g·C/G … (g+1)·C/G - 1 with all positions; normalized by
    /// its mean and biased variance, then ·w[c] + b[c] per channel.
    /// </summary>
    static RefArray RefGroupNorm(RefArray x, int groups, RefArray? w, RefArray? b)
    {
        int n = x.Shape[0], c = x.Shape[1];
        int positions = 1;
        for (int d = 2; d < x.Shape.Length; d++) positions *= x.Shape[d];
        int perGroup = c / groups, size = perGroup * positions;
        var y = RefArray.Zeros(x.Shape);
        for (int s = 0; s < n; s++)
            for (int g = 0; g < groups; g++)
            {
                int start = (s * c + g * perGroup) * positions;   // a group is contiguous in [N, C, rest...] order
                double mean = 0, variance = 0;
                for (int i = 0; i < size; i++) mean += x.Data[start + i];
                mean /= size;
                for (int i = 0; i < size; i++) variance += (x.Data[start + i] - mean) * (x.Data[start + i] - mean);
                variance /= size;
                for (int i = 0; i < size; i++)
                {
                    int channel = g * perGroup + i / positions;
                    double v = (x.Data[start + i] - mean) / Math.Sqrt(variance + NormEps);
                    y.Data[start + i] = v * (w?.Data[channel] ?? 1) + (b?.Data[channel] ?? 0);
                }
            }
        return y;
    }

    /// <summary>Each run of <paramref name="m"/> trailing values: x / √(Σx²/m + eps)·w.</summary>
    static RefArray RefRmsNorm(RefArray x, int m, RefArray? w)
    {
        var y = RefArray.Zeros(x.Shape);
        for (int start = 0; start < x.Data.Length; start += m)
        {
            double meanSquare = 0;
            for (int i = 0; i < m; i++) meanSquare += x.Data[start + i] * x.Data[start + i] / m;
            for (int i = 0; i < m; i++) y.Data[start + i] = x.Data[start + i] / Math.Sqrt(meanSquare + NormEps) * (w?.Data[i] ?? 1);
        }
        return y;
    }
}
