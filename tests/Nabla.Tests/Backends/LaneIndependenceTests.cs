using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Cpu.Kernels;
using ExpKernel = Nabla.Backends.Cpu.Kernels.ExpKernel;
using TanhKernel = Nabla.Backends.Cpu.Kernels.TanhKernel;
using SigmoidKernel = Nabla.Backends.Cpu.Kernels.SigmoidKernel;
using ErfKernel = Nabla.Backends.Cpu.Kernels.ErfKernel;
using GeluKernel = Nabla.Backends.Cpu.Kernels.GeluKernel;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Backends;

/// <summary>
/// An element's result depends on that element alone: not on its neighbours, nor on where its run starts in memory.
/// TensorPrimitives falls back to scalar Math for a whole vector when one lane is out of range (exp of -∞, sin of 10⁷,
/// NaN), which differs from its vector lanes by an ulp; before <see cref="LaneMath"/>, exp of a softmax row with a
/// causal mask's -∞ changed in its last bit from call to call, as the pool handed out buffers of other alignments.
/// </summary>
public class LaneIndependenceTests
{
    static readonly double[] Neighbours =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e300, -1e300, 800, -800, 710, -745, 400, -400,
         100, -100, 6e6, -6e6, 1e7, -1e7, 1e-310, -1e-310, 1e-40, 0, -0.0, -1, 1e20];

    static double[] Values()
    {
        var rng = new Random(12);
        return [.. Enumerable.Range(0, 160).Select(i => (rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-4, 3)))];
    }

    // Every float kernel whose vector code is TensorPrimitives' or FastMath's.
    static IEnumerable<(string Name, SpanMap<double> F64, SpanMap<float> F32)> Kernels()
    {
        yield return ("Exp", ExpKernel.Run, ExpKernel.Run);
        yield return ("Log", LogKernel.Run, LogKernel.Run);
        yield return ("Tanh", TanhKernel.Run, TanhKernel.Run);
        yield return ("Sin", SinKernel.Run, SinKernel.Run);
        yield return ("Cos", CosKernel.Run, CosKernel.Run);
        yield return ("Tan", TanKernel.Run, TanKernel.Run);
        yield return ("Sigmoid", SigmoidKernel.Run, SigmoidKernel.Run);
        yield return ("Expm1", Expm1Kernel.Run, Expm1Kernel.Run);
        yield return ("Log1p", Log1pKernel.Run, Log1pKernel.Run);
        yield return ("Erf", ErfKernel.Run, ErfKernel.Run);
        yield return ("Gelu", GeluKernel.Run, GeluKernel.Run);
        var elu = new Elu(0.7);
        yield return ("Elu", elu.Float64, elu.Float32);
        yield return ("Pow(x, 2.7)", (x, y) => PowScalarKernel.Floats(x, 2.7, y), (x, y) => PowScalarKernel.Floats(x, 2.7f, y));
    }

    public static TheoryData<string> Names() => [.. Kernels().Select(k => k.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64ElementsIgnoreNeighboursAndAlignment(string name) =>
        Check(name, Kernels().Single(k => k.Name == name).F64, Values(), [.. Neighbours]);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32ElementsIgnoreNeighboursAndAlignment(string name) =>
        Check(name, Kernels().Single(k => k.Name == name).F32, [.. Values().Select(v => (float)v)], [.. Neighbours.Select(v => (float)v)]);

    // Each value alone in runs of neighbours, at several positions, run lengths and start offsets of input and
    // output (8 offsets cover every alignment a 512-bit vector sees), against the value computed in a run of itself.
    static void Check<F>(string name, SpanMap<F> kernel, F[] values, F[] neighbours) where F : unmanaged, IFloatingPointIeee754<F>
    {
        var input = new F[96];
        var output = new F[96];
        var failures = new List<string>();
        foreach (var v in values)
        {
            var alone = new F[40];
            Array.Fill(alone, v);
            var reference = new F[40];
            kernel(alone, reference);
            foreach (var n in neighbours)
                foreach (var (position, length) in new[] { (0, 1), (0, 3), (1, 2), (3, 9), (5, 17), (14, 23), (30, 40) })
                    for (int offset = 0; offset < 8; offset++)
                    {
                        int outOffset = (offset * 5 + 3) % 8;
                        Array.Fill(input, n);
                        input[offset + position] = v;
                        kernel(input.AsSpan(offset, length), output.AsSpan(outOffset, length));
                        var got = output[outOffset + position];
                        if (!got.Equals(reference[position]) && failures.Count < 5)
                            failures.Add($"{name}({v:R}) = {reference[position]:R} alone but {got:R} beside {n:R} (run of {length}, input offset {offset})");
                    }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // The case that found it: a causal mask's -∞ beside a row's finite scores, exp'd many times in one process.
    [Fact]
    public void MaskedSoftmaxExpIsTheSameEveryCall()
    {
        var m = Tensor.Randn([1, 70, 67], DType.Float64, seed: 3);
        m = m.MaskedFill(Tensor.Ones([70, 67], DType.Float64).Triu(1) > 0.5, double.NegativeInfinity);
        var d = m - m.Max(-1, keepDim: true);
        var first = d.Exp().ToArray<double>();
        for (int call = 0; call < 80; call++)
            Assert.Equal(first, d.Exp().ToArray<double>());
        Assert.Equal(Math.Exp(d.ToArray<double>()[67]), first[67], 15);
    }
}
