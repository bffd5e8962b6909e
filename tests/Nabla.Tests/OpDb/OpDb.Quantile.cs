using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static double RefQuantile(double[] row, double q, QuantileInterpolation how)
    {
        if (row.Any(double.IsNaN)) return double.NaN;
        var s = row.OrderBy(v => v).ToArray();
        double pos = q * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return how switch
        {
            QuantileInterpolation.Lower => s[lo],
            QuantileInterpolation.Higher => s[hi],
            QuantileInterpolation.Nearest => s[(int)Math.Round(pos, MidpointRounding.ToEven)],
            QuantileInterpolation.Midpoint => (s[lo] + s[hi]) / 2,
            _ => s[lo] + (s[hi] - s[lo]) * (pos - lo),
        };
    }

    static IEnumerable<OpInfo> QuantileEntries()
    {
        foreach (var how in Enum.GetValues<QuantileInterpolation>())
            yield return new OpInfo
            {
                Name = $"Quantile({how}, dim=1)", Covers = ["Quantile"], Samples = ReduceSamples,
                Op = x => x[0].Quantile(0.3, 1, interpolation: how) + x[0].Quantile(0.75, 1, interpolation: how),
                Reference = r => ReduceAlong(r[0], 1, false, row => RefQuantile(row, 0.3, how) + RefQuantile(row, 0.75, how)),
            };
        yield return new OpInfo
        {
            Name = "Quantile(several, all)", Covers = ["Quantile"], Op = x => x[0].Quantile([0.0, 0.5, 1.0]),
            Reference = r => new RefArray([RefQuantile(r[0].Data, 0, QuantileInterpolation.Linear), RefQuantile(r[0].Data, 0.5, QuantileInterpolation.Linear), RefQuantile(r[0].Data, 1, QuantileInterpolation.Linear)], [3]),
            Samples = () => AllSamples().Where(s => s.Name != "non-contiguous"),
        };
    }
}
