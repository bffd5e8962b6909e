namespace Nabla.Tests.Graphs;

/// <summary>
/// Replays go through Dispatch like eager code, so every autodiff front end differentiates through a
/// compiled function and gets the eager gradients bitwise.
/// </summary>
public class CompiledGradientTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor Net(Tensor x, Tensor w) => (x.MatMul(w).Tanh() * x.MatMul(w)).Sum();

    static (Tensor X, Tensor W) Inputs(int seed) =>
        (Tensor.Randn([3, 4], seed: seed), Tensor.Randn([4, 2], seed: seed + 1, requiresGrad: true));

    [Fact]
    public void BackwardThroughReplayGivesEagerGradients()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)Net);
        var (x0, w0) = Inputs(1);
        cf.Call(x0, w0).Backward();                  // traced call
        var (x, w) = Inputs(5);
        cf.Call(x, w).Backward();                    // replay
        var (xe, we) = Inputs(5);
        Net(xe, we).Backward();
        Assert.Equal(F(we.Grad!), F(w.Grad!));
        var (xe0, we0) = Inputs(1);
        Net(xe0, we0).Backward();
        Assert.Equal(F(we0.Grad!), F(w0.Grad!));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void GradientTapeThroughReplayGivesEagerGradients()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)Net);
        var v = new Variable(Tensor.Randn([4, 2], seed: 3));
        var x = Tensor.Randn([3, 4], seed: 4);
        cf.Call(x, v);
        Tensor? compiled, eager;
        using (var tape = new GradientTape()) { var y = cf.Call(x, v); compiled = tape.Gradient(y, v); }
        using (var tape = new GradientTape()) { var y = Net(x, v); eager = tape.Gradient(y, v); }
        Assert.Equal(F(eager!), F(compiled!));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void SecondOrderGradThroughReplayMatchesEagerAndHandDerivative()
    {
        // f(x) = sum(x^3): df/dx = 3x^2, d2f/dx2 (summed) = 6x.
        var cf = Graph.Compile((Tensor x) => (x * x * x).Sum());
        cf.Call(Tensor.FromArray(new double[] { 9, 9 }, [2], requiresGrad: true));
        var x = Tensor.FromArray(new double[] { 1.5, -2 }, [2], requiresGrad: true);
        var g = Autograd.Grad(cf.Call(x), x, createGraph: true)!;
        var gg = Autograd.Grad(g.Sum(), x)!;
        Assert.Equal(new[] { 6.75, 12.0 }, g.ToArray<double>());
        Assert.Equal(new[] { 9.0, -12.0 }, gg.ToArray<double>());
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ForwardAccumulatorSeesTangentsThroughReplay()
    {
        // f(x) = sin(x) * x: jvp with v = dx/dt is (cos(x) x + sin(x)) v.
        var cf = Graph.Compile((Tensor x) => x.Sin() * x);
        cf.Call(Tensor.FromArray(new double[] { 0, 0 }, [2]));   // traced outside any accumulator
        var x = Tensor.FromArray(new double[] { 0.3, -1.2 }, [2]);
        var v = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        Tensor jvp;
        using (var acc = new ForwardAccumulator(x, v)) jvp = acc.Jvp(cf.Call(x))!;
        var expected = new[] { Math.Cos(0.3) * 0.3 + Math.Sin(0.3), 2 * (Math.Cos(-1.2) * -1.2 + Math.Sin(-1.2)) };
        var got = jvp.ToArray<double>();
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i], got[i], 1e-14);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void FirstCallUnderForwardAccumulatorRunsEagerlyAndIsNotTraced()
    {
        var cf = Graph.Compile((Tensor x) => x * x);
        var x = Tensor.FromArray(new double[] { 3 }, [1]);
        Tensor jvp;
        using (var acc = new ForwardAccumulator(x, Tensor.FromArray(new double[] { 1 }, [1]))) jvp = acc.Jvp(cf.Call(x))!;
        Assert.Equal(new[] { 6.0 }, jvp.ToArray<double>());
        Assert.Equal(0, cf.TraceCount);
        Assert.Contains("ForwardAccumulator", cf.Explain());
    }

    [Fact]
    public void AnomalyDetectionFlagsTheNaNOfAReplayedOpAsEager()
    {
        var cf = Graph.Compile((Tensor x) => (x.Log() * 2.0).Sum());
        cf.Call(Tensor.FromArray(new double[] { 1, 2 }, [2]));        // traced without NaN
        var bad = Tensor.FromArray(new double[] { 1, -2 }, [2]);
        Exception eager, compiled;
        using (Autograd.DetectAnomaly())
        {
            eager = Assert.ThrowsAny<Exception>(() => (bad.Log() * 2.0).Sum());
            compiled = Assert.ThrowsAny<Exception>(() => cf.Call(bad));
        }
        Assert.Equal(eager.GetType(), compiled.GetType());
        Assert.Contains("log", compiled.Message);
        Assert.Equal(1, cf.TraceCount);
    }
}
