using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A seeded Dropout layer has its own generator: compiled, each call draws the next mask from it exactly
/// as eager calls do (the traced seed is never replayed), and GraphFor says where the draws come from.
/// </summary>
public class CompiledSeededDropoutTests
{
    static Module Net() => new Sequential(new Linear(6, 6, seed: 3), new Dropout(0.5, seed: 11));

    [Fact]
    public void SeededDropoutLayerDrawsAFreshMaskOnEveryCompiledCall()
    {
        var (netC, netE) = (Net(), Net());
        var compiled = Graph.Compile(netC);
        var x = Tensor.Ones([4, 6]);
        var masks = new List<float[]>();
        for (int i = 0; i < 4; i++)
        {
            var e = netE.Call(x).ToArray<float>();
            var c = compiled.Call(x).ToArray<float>();
            Assert.Equal(e, c);
            masks.Add(c);
        }
        Assert.Equal(1, compiled.TraceCount);
        Assert.NotEqual(masks[0], masks[1]);                 // fresh draws, not the traced seed again
        Assert.Contains("from its own generator", compiled.GraphFor(x));
    }

    [Fact]
    public void ModeOfAModuleUsedInAClosureIsGuarded()
    {
        // Not Compile(module): the module is captured by a lambda, so its mode is not in the cache key; reading
        // IsTraining while tracing makes it a guard instead, and Eval() between calls retraces.
        var (netC, netE) = (Net(), Net());
        var compiled = Graph.Compile((Tensor x) => netC.Call(x) * 2.0);
        var x = Tensor.Ones([4, 6]);
        Assert.Equal((netE.Call(x) * 2.0).ToArray<float>(), compiled.Call(x).ToArray<float>());
        netC.Eval();
        netE.Eval();
        var eval = compiled.Call(x).ToArray<float>();
        Assert.Equal((netE.Call(x) * 2.0).ToArray<float>(), eval);
        Assert.Equal(2, compiled.TraceCount);
        Assert.Contains("Dropout module's mode: train -> eval", compiled.Explain());
    }
}
