using Nabla.Backends.Reference;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>Values in [-5, 5] at least 0.1 away from ±3 (hardswish's kinks).</summary>
    static Tensor WideAvoidingThree(int seed, int[] shape)
    {
        var data = Samples.Uniform(seed, shape, -5, 5).ToArray<double>();
        for (int i = 0; i < data.Length; i++)
            foreach (var k in new[] { -3.0, 3.0 })
                if (Math.Abs(data[i] - k) < 0.1) data[i] = k + (data[i] >= k ? 0.1 : -0.1);
        return Tensor.FromArray(data, shape);
    }

    static double Sigma(double x) => 1 / (1 + Math.Exp(-x));

    static IEnumerable<OpInfo> ActivationEntries()
    {
        yield return new OpInfo { Name = "Silu", Covers = ["Silu"], Op = x => x[0].Silu() + F.Silu(x[0]), Reference = r => Unary(r[0], a => 2 * a * Sigma(a)), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "LeakyRelu", Covers = ["LeakyRelu"], Op = x => x[0].LeakyRelu() + F.LeakyRelu(x[0], 0.2), Reference = r => Unary(r[0], a => (a > 0 ? a : 0.01 * a) + (a > 0 ? a : 0.2 * a)), Samples = () => KinkSamples(AwayFromZero) };
        yield return new OpInfo
        {
            Name = "Selu", Covers = ["Selu"], Op = x => x[0].Selu(),
            Reference = r => Unary(r[0], a => 1.0507009873554804934193349852946 * (a > 0 ? a : 1.6732632423543772848170429916717 * (Math.Exp(a) - 1))),
            Samples = () => KinkSamples(AwayFromZero),
        };
        yield return new OpInfo
        {
            Name = "Hardswish", Covers = ["Hardswish"], Op = x => x[0].Hardswish(), Reference = r => Unary(r[0], a => a * Math.Clamp(a + 3, 0, 6) / 6),
            Samples = () => [new("vector", [WideAvoidingThree(121, [9])]), new("matrix", [WideAvoidingThree(122, [3, 4])]), new("non-contiguous", [WideAvoidingThree(123, [4, 3]).T])],
        };
        yield return new OpInfo
        {
            Name = "Hardtanh", Covers = ["Hardtanh"], Op = x => x[0].Hardtanh() + F.Hardtanh(x[0], -0.5, 1.5),
            Reference = r => Unary(r[0], a => Math.Clamp(a, -1, 1) + Math.Clamp(a, -0.5, 1.5)), Samples = () => StepSamples(-1, -0.5, 1, 1.5),
        };
        yield return new OpInfo { Name = "Softsign", Covers = ["Softsign"], Op = x => x[0].Softsign(), Reference = r => Unary(r[0], a => a / (1 + Math.Abs(a))), Samples = () => KinkSamples(AwayFromZero) };
        yield return new OpInfo
        {
            Name = "Log1p", Covers = ["Log1p"], Op = x => x[0].Log1p(), Reference = r => Unary(r[0], Nabla.Primitives.Elementwise.Log1p.Evaluate),
            Samples = () => [new("vector", [Samples.Uniform(128, [9], -0.9, 3)]), new("tiny", [Samples.Uniform(129, [3, 4], -1e-9, 1e-9)]), new("non-contiguous", [Samples.Uniform(130, [4, 3], -0.5, 2).T])],
        };
        yield return new OpInfo
        {
            Name = "Expm1", Covers = ["Expm1"], Op = x => x[0].Expm1(), Reference = r => Unary(r[0], Nabla.Primitives.Elementwise.Elu.ExpM1),
            Samples = () => [new("vector", [Samples.Uniform(147, [9], -3, 3)]), new("tiny", [Samples.Uniform(148, [3, 4], -1e-9, 1e-9)]), new("non-contiguous", [Samples.Transposed(149, 4, 3)])],
        };
        yield return new OpInfo
        {
            Name = "Softplus", Covers = ["Softplus"], Op = x => x[0].Softplus() + F.Softplus(x[0], beta: 2, threshold: 5),
            Reference = r => Unary(r[0], a => Math.Log(1 + Math.Exp(a)) + (2 * a > 5 ? a : Math.Log(1 + Math.Exp(2 * a)) / 2)),
            Samples = () => [new("wide", [Samples.Uniform(150, [3, 4], -6, 6)]), new("non-contiguous", [Samples.Uniform(151, [4, 3], -6, 6).T])],
        };
        yield return new OpInfo
        {
            Name = "Mish", Covers = ["Mish"], Op = x => x[0].Mish() + F.Mish(x[0]), Reference = r => Unary(r[0], a => 2 * a * Math.Tanh(Math.Log(1 + Math.Exp(a)))),
            Samples = () => UnarySamples(),
        };
        yield return new OpInfo
        {
            Name = "Prelu", Covers = ["Prelu"], Op = x => x[0].Prelu(x[1]),
            Reference = r => Make(r[0].Shape, i => r[0][i] > 0 ? r[0][i] : r[1][[r[1].Shape[0] == 1 ? 0 : i[1]]] * r[0][i]),
            Samples = () => [new("per channel", [AwayFromZero(124, [2, 3, 4]), Samples.Uniform(125, [3])]), new("one slope", [AwayFromZero(126, [3, 2]), Samples.Uniform(127, [1])])],
        };
    }
}
