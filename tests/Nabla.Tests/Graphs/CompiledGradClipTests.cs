using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Gradient clipping in a compiled training step: the out-Tensor form of ClipGradNorm reads nothing back to the
/// host, so the step traces once and clips exactly as the double form does eagerly.
/// </summary>
public class CompiledGradClipTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static (Module Net, Sgd Opt) Model()
    {
        var net = new Sequential(new Linear(4, 8, seed: 1), new Tanh(), new Linear(8, 1, seed: 2));
        return (net, new Sgd(net.Parameters(), learningRate: 0.1));
    }

    static (Tensor X, Tensor Y) Batch(int i) => (Tensor.Randn([8, 4], seed: 300 + i) * (1 + i), Tensor.Randn([8, 1], seed: 400 + i) * 5.0);

    [Theory]
    [InlineData(0.05)]   // clips
    [InlineData(1e6)]    // leaves the gradients alone
    public void TensorFormClipsBitwiseLikeTheDoubleForm(double maxNorm)
    {
        var (a, _) = Model();
        var (b, _) = Model();
        var (x, y) = Batch(0);
        (a.Call(x) - y).Pow(2).Mean().Backward();
        (b.Call(x) - y).Pow(2).Mean().Backward();
        double total = GradClip.ClipGradNorm(a.Parameters(), maxNorm);
        GradClip.ClipGradNorm(b.Parameters(), maxNorm, out var totalNorm);
        Assert.Equal(total, totalNorm.Item<double>());
        foreach (var (pa, pb) in a.Parameters().Zip(b.Parameters())) Assert.Equal(F(pa.Grad!), F(pb.Grad!));
    }

    [Fact]
    public void CompiledStepWithClippingTracesOnceAndTrainsLikeEager()
    {
        static Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt, bool tensorForm) => (x, y) =>
        {
            opt.ZeroGrad();
            var loss = (net.Call(x) - y).Pow(2).Mean();
            loss.Backward();
            if (tensorForm) GradClip.ClipGradNorm(net.Parameters(), 0.5, out _);
            else GradClip.ClipGradNorm(net.Parameters(), 0.5);
            opt.Step();
            return loss;
        };
        var (netC, optC) = Model();
        var (netE, optE) = Model();
        var compiled = Graph.Compile(Step(netC, optC, tensorForm: true));
        var eager = Step(netE, optE, tensorForm: false);
        for (int i = 0; i < 5; i++)
        {
            var (x, y) = Batch(i);
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
        }
        foreach (var (pe, pc) in netE.Parameters().Zip(netC.Parameters())) Assert.Equal(F(pe), F(pc));
        Assert.Equal(1, compiled.TraceCount);
        Assert.DoesNotContain("eagerly", compiled.Explain());
    }

    [Fact]
    public void ANonFiniteNormIsCheckedOnEveryCall()
    {
        var w = Tensor.FromArray(new float[] { 1, 2 }, [2], requiresGrad: true);
        var cf = Graph.Compile((Tensor x) =>
        {
            w.Grad = null;
            var loss = (x * w).Sum();
            loss.Backward();
            GradClip.ClipGradNorm([w], 1.0, out var norm, errorIfNonfinite: true);
            return norm;
        });
        Assert.Equal(5.0, cf.Call(Tensor.FromArray(new float[] { 3, 4 }, [2])).Item<double>(), 12);
        Assert.Equal(13.0, cf.Call(Tensor.FromArray(new float[] { 5, 12 }, [2])).Item<double>(), 12);
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.FromArray(new float[] { float.PositiveInfinity, 1 }, [2])));
        Assert.Contains("ClipGradNorm: the total norm of order 2 of the gradients is ∞", e.Message.Replace("Infinity", "∞"));
        Assert.Equal(1, cf.TraceCount);
    }
}
