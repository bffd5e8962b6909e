using Nabla.Backends.Reference;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>
    /// torch.nn.functional.interpolate in plain double loops over every output element: nearest copies input
    /// ⌊o·scale⌋; linear and bilinear weight the 2 (or 2×2) neighbours of the source position directly (not one dim
    /// at a time, as Nabla does). <paramref name="scales"/> are PyTorch's per-dim scales (in/out for a size, 1/factor
    /// for a scale factor); align corners uses (in - 1)/(out - 1) instead.
    /// </summary>
    static RefArray LoopInterpolate(RefArray x, int[] outSizes, double[] scales, InterpolationMode mode, bool alignCorners)
    {
        int spatial = x.Shape.Length - 2;
        int[] shape = [x.Shape[0], x.Shape[1], .. outSizes];
        var y = RefArray.Zeros(shape);
        for (int flat = 0; flat < y.Count; flat++)
        {
            var at = y.Unravel(flat);
            var lo = new int[spatial];
            var hi = new int[spatial];
            var frac = new double[spatial];
            for (int d = 0; d < spatial; d++)
            {
                int inSize = x.Shape[d + 2], o = at[d + 2];
                double source;
                if (mode == InterpolationMode.Nearest) source = Math.Min(Math.Floor(o * scales[d]), inSize - 1);
                else if (alignCorners) source = outSizes[d] > 1 ? o * (inSize - 1.0) / (outSizes[d] - 1) : 0;
                else source = Math.Max(0, (o + 0.5) * scales[d] - 0.5);
                lo[d] = (int)Math.Floor(source);
                hi[d] = Math.Min(lo[d] + 1, inSize - 1);
                frac[d] = mode == InterpolationMode.Nearest ? 0 : source - lo[d];
            }
            double sum = 0;
            for (int corner = 0; corner < 1 << spatial; corner++)
            {
                var src = (int[])at.Clone();
                double weight = 1;
                for (int d = 0; d < spatial; d++)
                {
                    bool high = (corner >> d & 1) == 1;
                    src[d + 2] = high ? hi[d] : lo[d];
                    weight *= high ? frac[d] : 1 - frac[d];
                }
                if (weight != 0) sum += weight * x[src];
            }
            y.Data[flat] = sum;
        }
        return y;
    }

    static IEnumerable<OpInfo> InterpolateEntries()
    {
        OpSample[] OneD() =>
        [
            new("[N, C, L]", [Samples.Uniform(470, [2, 3, 4])]),
            new("non-contiguous", [Samples.Uniform(471, [2, 4, 3]).Transpose(1, 2)]),
            new("empty batch", [Samples.Uniform(472, [0, 3, 4])]),
        ];
        OpSample[] TwoD() =>
        [
            new("[N, C, H, W]", [Samples.Uniform(473, [1, 2, 3, 4])]),
            new("non-contiguous", [Samples.Uniform(474, [1, 2, 4, 3]).Transpose(2, 3)]),
            new("empty batch", [Samples.Uniform(475, [0, 2, 3, 4])]),
        ];
        yield return new OpInfo
        {
            Name = "Interpolate(nearest, size 7)", Covers = ["Interpolate"],
            Op = x => F.Interpolate(x[0], size: [7]), Reference = r => LoopInterpolate(r[0], [7], [4.0 / 7], InterpolationMode.Nearest, false),
            Samples = OneD,
        };
        yield return new OpInfo
        {
            Name = "Interpolate(nearest, 2-d, scale (1.5, 0.5))", Covers = ["Interpolate"],
            Op = x => F.Interpolate(x[0], scaleFactor: [1.5, 0.5]), Reference = r => LoopInterpolate(r[0], [4, 2], [1 / 1.5, 2], InterpolationMode.Nearest, false),
            Samples = TwoD,
        };
        yield return new OpInfo
        {
            Name = "Interpolate(linear, size 7)", Covers = ["Interpolate"],
            Op = x => F.Interpolate(x[0], size: [7], mode: InterpolationMode.Linear),
            Reference = r => LoopInterpolate(r[0], [7], [4.0 / 7], InterpolationMode.Linear, false),
            Samples = OneD,
        };
        yield return new OpInfo
        {
            Name = "Interpolate(linear, scale 0.75, alignCorners)", Covers = ["Interpolate"],
            Op = x => F.Interpolate(x[0], scaleFactor: [0.75], mode: InterpolationMode.Linear, alignCorners: true),
            Reference = r => LoopInterpolate(r[0], [3], [1 / 0.75], InterpolationMode.Linear, true),
            Samples = OneD,
        };
        yield return new OpInfo
        {
            Name = "Interpolate(bilinear, scale 2.5)", Covers = ["Interpolate"],
            Op = x => F.Interpolate(x[0], scaleFactor: [2.5], mode: InterpolationMode.Bilinear),
            Reference = r => LoopInterpolate(r[0], [7, 10], [1 / 2.5, 1 / 2.5], InterpolationMode.Bilinear, false),
            Samples = TwoD,
        };
        yield return new OpInfo
        {
            Name = "Interpolate(bilinear, size (2, 5), alignCorners)", Covers = ["Interpolate"],
            Op = x => F.Interpolate(x[0], size: [2, 5], mode: InterpolationMode.Bilinear, alignCorners: true),
            Reference = r => LoopInterpolate(r[0], [2, 5], [1.5, 0.8], InterpolationMode.Bilinear, true),
            Samples = TwoD,
        };
    }
}
