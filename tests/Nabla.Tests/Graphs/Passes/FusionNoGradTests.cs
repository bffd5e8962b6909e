using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Fusion of ops that read values requiring grad where they ran with grad off (under NoGrad, as inference and
/// optimizer updates run): fused, with eager code's bits; with grad on the same function stays as traced and its
/// gradients stay eager code's; a group never mixes a grad-off read of such a value with ops that ran with grad on.
/// </summary>
public class FusionNoGradTests
{
    static Tensor Data(int n, int seed, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        var t = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), [n]);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    static int[] Bits(Tensor t) => [.. t.ToArray<float>().Select(BitConverter.SingleToInt32Bits)];

    [Fact]
    public void UnderNoGradAChainReadingParametersIsOneFusedOpWithEagersBits()
    {
        var b = Data(16, 1, requiresGrad: true);
        var c = Data(16, 2, requiresGrad: true);
        Tensor Chain(Tensor y)
        {
            for (int i = 0; i < 30; i++) y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y;
        }
        var cf = Graph.Compile(Chain);
        using (Autograd.NoGrad())
            for (int call = 0; call < 3; call++)
            {
                var x = Data(16, 10 + call);
                Assert.Equal(Bits(Chain(x)), Bits(cf.Call(x)));
                Assert.False(cf.Call(x).RequiresGrad);
            }
        using (Autograd.NoGrad())
        {
            var after = PassText.Ops(cf.GraphFor(Data(16, 0)));
            Assert.Single(after.Split('\n'), line => line.Contains("fused_elementwise"));
            Assert.DoesNotContain("tanh(", after);
        }
        Assert.Contains("fuse: fused 1 group(s) of 30 ops", cf.Explain());

        // With grad on: traced apart, nothing fused that reads b or c, and the gradients are eager code's.
        var xe = Data(16, 20);
        var ge = Autograd.Grad(Chain(xe).Sum(), b)!;
        var gc = Autograd.Grad(cf.Call(Data(16, 20)).Sum(), b)!;
        Assert.Equal(Bits(ge), Bits(gc));
        Assert.DoesNotContain("fused_elementwise", cf.GraphFor(Data(16, 20)));
    }

    [Fact]
    public void AGroupDoesNotMixAGradOffReadOfAParameterWithOpsThatRanWithGradOn()
    {
        var w = Data(40, 3, requiresGrad: true);
        Tensor F(Tensor x)
        {
            Tensor scaled;
            using (Autograd.NoGrad()) scaled = (x * w).Exp();   // grad off, reads w
            return (scaled + 1.0) * x;                           // grad on, reads no parameter
        }
        var cf = Graph.Compile(F);
        for (int call = 0; call < 2; call++)
        {
            var x = Data(40, 30 + call);
            var expected = F(x);
            var actual = cf.Call(x);
            Assert.Equal(Bits(expected), Bits(actual));
            Assert.Equal(expected.RequiresGrad, actual.RequiresGrad);
        }
        // The grad-off part fuses; the grad-on ops after it, grown into the same group from the last op, are left as
        // traced (Grow offers one group per last op).
        Assert.Contains("fuse: fused 1 group(s) of 2 ops: [mul exp]", cf.Explain());
    }
}
