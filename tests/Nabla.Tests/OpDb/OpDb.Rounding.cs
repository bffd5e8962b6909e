using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>
    /// Samples at least 0.1 away from every jump of a step function (<paramref name="jumps"/> in [-2, 2]), so the
    /// finite differences see the zero slope the rules give (or the slope 1 of frac).
    /// </summary>
    static IEnumerable<OpSample> StepSamples(params double[] jumps)
    {
        yield return new("vector", [Avoiding(61, [9], jumps)]);
        yield return new("matrix", [Avoiding(62, [3, 4], jumps)]);
        yield return new("scalar", [Avoiding(63, [], jumps)]);
        yield return new("non-contiguous", [Avoiding(64, [4, 3], jumps).T]);
    }

    static readonly double[] Integers = [-2, -1, 0, 1, 2];
    static readonly double[] Halves = [-1.5, -0.5, 0.5, 1.5];

    /// <summary>Values k/10 + 0.02..0.08: at least 0.02 from the jumps of round to one decimal (at k/10 + 0.05).</summary>
    static Tensor OneDecimalAway(int seed, int[] shape)
    {
        var rng = new Random(seed);
        var data = new double[new Shape(shape).NumElements];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Next(-20, 20) / 10.0 + (rng.Next(2) == 0 ? 0.02 : 0.07) + 0.01 * rng.NextDouble();
        return Tensor.FromArray(data, shape);
    }

    static IEnumerable<OpInfo> RoundingEntries()
    {
        yield return new OpInfo { Name = "Floor", ZeroDerivative = true, Covers = ["Floor"], Op = x => x[0].Floor(), Reference = r => Unary(r[0], Math.Floor), Samples = () => StepSamples(Integers) };
        yield return new OpInfo { Name = "Ceil", ZeroDerivative = true, Covers = ["Ceil"], Op = x => x[0].Ceil(), Reference = r => Unary(r[0], Math.Ceiling), Samples = () => StepSamples(Integers) };
        yield return new OpInfo { Name = "Trunc", ZeroDerivative = true, Covers = ["Trunc"], Op = x => x[0].Trunc(), Reference = r => Unary(r[0], Math.Truncate), Samples = () => StepSamples(Integers) };
        yield return new OpInfo { Name = "Round", ZeroDerivative = true, Covers = ["Round"], Op = x => x[0].Round(), Reference = r => Unary(r[0], a => Math.Round(a, MidpointRounding.ToEven)), Samples = () => StepSamples(Halves) };
        yield return new OpInfo
        {
            Name = "Round(decimals)", ZeroDerivative = true, Covers = ["Round"], Op = x => x[0].Round(1) + x[0].Round(-1),
            Reference = r => Unary(r[0], a => Math.Round(a * 10) / 10 + Math.Round(a / 10) * 10),
            Samples = () => [new("vector", [OneDecimalAway(65, [9])]), new("matrix", [OneDecimalAway(66, [3, 4])])],
        };
        yield return new OpInfo { Name = "Frac", Covers = ["Frac"], Op = x => x[0].Frac(), Reference = r => Unary(r[0], a => a - Math.Truncate(a)), Samples = () => StepSamples(Integers) };
        yield return new OpInfo { Name = "Sign", ZeroDerivative = true, Covers = ["Sign"], Op = x => x[0].Sign(), Reference = r => Unary(r[0], a => Math.Sign(a)), Samples = () => StepSamples(0) };
    }
}
