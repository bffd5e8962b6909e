using Nabla.Graphs;
using Nabla.Tests.Graphs.Passes;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Large traces (10,000 ops, the size issue 13 asks to compile in a second) compile and give eager code's bits, with the
/// passes on; and fusion's worklist finds the same groups a rescan to a fixed point found (a value joins a group only
/// once every reader of it has joined, in whatever order the readers are reached).
/// </summary>
public class CompileTimeTests
{
    static Tensor Vector(int seed, float lo, float hi)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, 16).Select(_ => lo + (hi - lo) * rng.NextSingle()).ToArray(), [16]);
    }

    static int[] Bits(Tensor t) => [.. t.ToArray<float>().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>The compiled_overhead chain: each op reads the last result and b or c.</summary>
    static Func<Tensor, Tensor> Chain(int ops, Tensor b, Tensor c) => y =>
    {
        for (int i = 0; i < ops; i++)
            y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
        return y;
    };

    /// <summary>Branches that all read x, b and c (half of them alike, for CSE), summed one by one (a 2,500-op fusable chain).</summary>
    static Func<Tensor, Tensor> FanOut(int ops, Tensor b, Tensor c) => y =>
    {
        Tensor? sum = null;
        for (int k = 0; k < ops / 4; k++)
        {
            var branch = k % 2 == 0 ? (y * c + b).Tanh() : (y + b).Tanh() * c;
            sum = sum is null ? branch : sum + branch;
        }
        return sum!;
    };

    [Fact]
    public void TenThousandOpChainGivesEagerBitsWithoutGrad()
    {
        var (b, c, x) = (Vector(1, -1, 1), Vector(2, 0.5f, 1.5f), Vector(3, -1, 1));
        var f = Chain(10_000, b, c);
        var cf = Graph.Compile(f);
        using var _ = Autograd.NoGrad();
        var expected = Bits(f(x));
        Assert.Equal(expected, Bits(cf.Call(x)));   // the trace
        Assert.Equal(expected, Bits(cf.Call(x)));   // the first replay
        Assert.Contains("10000 ops", cf.Explain());
        // b, c and x do not require grad: everything fuses, in groups of at most 64 steps (156 of 64 and one of 16).
        Assert.Contains("fused 157 group(s) of 10000 ops", cf.Explain());
    }

    [Fact]
    public void TenThousandOpChainGivesEagerBitsAndGradientsWithGrad()
    {
        var (b, c) = (Vector(1, -1, 1), Vector(2, 0.5f, 1.5f));
        b.RequiresGrad = c.RequiresGrad = true;
        var f = Chain(10_000, b, c);
        var cf = Graph.Compile(f);
        int[] Run(Func<Tensor, Tensor> g, out int[] gradB, out int[] gradC)
        {
            b.Grad = c.Grad = null;
            var x = Vector(3, -1, 1);
            var y = g(x);
            y.Sum().Backward();
            (gradB, gradC) = (Bits(b.Grad!), Bits(c.Grad!));
            return Bits(y);
        }
        var expected = Run(f, out var eagerB, out var eagerC);
        for (int call = 0; call < 2; call++)   // the trace, then a replay with the joint backward
        {
            Assert.Equal(expected, Run(cf.Call, out var gb, out var gc));
            Assert.Equal(eagerB, gb);
            Assert.Equal(eagerC, gc);
        }
    }

    [Fact]
    public void TenThousandOpFanOutGivesEagerBitsWithThePassesOn()
    {
        var (b, c, x) = (Vector(1, -1, 1), Vector(2, 0.5f, 1.5f), Vector(3, -1, 1));
        var f = FanOut(10_000, b, c);
        var cf = Graph.Compile(f);
        using var _ = Autograd.NoGrad();
        var expected = Bits(f(x));
        Assert.Equal(expected, Bits(cf.Call(x)));
        Assert.Equal(expected, Bits(cf.Call(x)));
        var explain = cf.Explain();
        Assert.Contains("cse: merged", explain);
        Assert.Contains("fuse: fused", explain);
    }

    /// <summary>
    /// t = exp(x) has two readers, sin and cos; the worklist reaches cos before sin (or sin before cos), so t is turned
    /// down at the first and must be taken when the second joins: the whole function is one fused op.
    /// </summary>
    [Fact]
    public void FusionTakesAValueOnceItsLastReaderJoins()
    {
        static Tensor F(Tensor x)
        {
            var t = x.Exp();
            return t.Sin() * t.Cos() + x;
        }
        var cf = Graph.Compile(F);
        var x = PassText.V(0.5f, -1.25f, 2f, 0f, -0.0f, 3.5f);
        Assert.Equal(Bits(F(x)), Bits(cf.Call(x)));
        var ops = PassText.Ops(cf.GraphFor(x)).Split('\n')[1..];   // the first line names the compiler's local function
        Assert.Equal(["  %5 = fused_elementwise(%0) : [6] float32", "  return %5", ""], ops);
        Assert.Contains("fused 1 group(s) of 5 ops: [exp sin cos mul add]", cf.Explain());
    }

    /// <summary>A value read by an op after the group becomes a second output: exp's result is summed afterwards, so exp joins as an output.</summary>
    [Fact]
    public void FusionLeavesAValueWithAReaderOutsideTheGroup()
    {
        static Tensor[] F(Tensor[] args)
        {
            var t = args[0].Exp();
            return [t.Sin() * t.Cos(), t.Sum()];
        }
        var cf = Graph.Compile(F);
        var x = PassText.V(0.5f, -1.25f, 2f);
        var eager = F([x]);
        var got = cf.Call([x]);
        Assert.Equal(Bits(eager[0]), Bits(got[0]));
        Assert.Equal(Bits(eager[1]), Bits(got[1]));
        Assert.Contains("fused 1 group(s) of 4 ops: [exp sin cos mul] (2 outputs)", cf.Explain());
    }
}
