using System.Runtime.CompilerServices;
using static Nabla.Tests.Custom.Fd;

namespace Nabla.Tests.Custom;

/// <summary>Autograd.Checkpoint: same gradients (any order), activations not kept, forward recomputed once.</summary>
public class CheckpointTests
{
    /// <summary>A two-layer tanh network whose intermediates are tracked by weak references and whose calls are counted.</summary>
    sealed class Net
    {
        public int Calls;
        public readonly List<WeakReference<Tensor>> Hidden = [];

        public Tensor F(Tensor[] xs)
        {
            Calls++;
            var h = xs[0].MatMul(xs[1]).Tanh();
            Hidden.Add(new WeakReference<Tensor>(h));
            return h.MatMul(xs[2]).Tanh();
        }
    }

    static Tensor Rand(int[] shape, int seed, bool rg = true)
    {
        var rng = new Random(seed);
        var d = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < d.Length; i++) d[i] = 2 * rng.NextDouble() - 1;
        return Tensor.FromArray(d, shape, rg);
    }

    static Tensor[] Inputs(bool xRequiresGrad = true) =>
        [Rand([4, 3], 1, xRequiresGrad), Rand([3, 5], 2), Rand([5, 2], 3)];

    static Tensor Loss(Tensor y) => (y * Tensor.FromArray(new double[] { 1, -2 }, [2])).Sum();

    static void Same(Tensor expected, Tensor actual, string what)
    {
        var e = D(expected);
        var a = D(actual);
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-15 * (1 + Math.Abs(e[i])), $"{what}[{i}]: {a[i]:R} vs {e[i]:R}");
    }

    [Fact]
    public void FirstOrderGradientsAreIdenticalAndForwardRunsTwice()
    {
        var plain = Inputs();
        var net = new Net();
        Loss(net.F(plain)).Backward();

        var ck = Inputs();
        var cnet = new Net();
        var y = Autograd.Checkpoint(cnet.F, ck);
        Assert.Equal("CheckpointBackward", y.GradFn!.Name);
        Same(net.F(Inputs()), y, "value");
        Assert.Equal(1, cnet.Calls);
        Loss(y).Backward();
        Assert.Equal(2, cnet.Calls);
        for (int i = 0; i < 3; i++) Same(plain[i].Grad!, ck[i].Grad!, $"grad {i}");

        // and the gradient itself is right: finite differences on W1
        var fd = Gradient(w => Loss(new Net().F([Inputs()[0], w, Inputs()[2]])), D(Inputs()[1]), [3, 5]);
        for (int i = 0; i < fd.Length; i++) Assert.Equal(fd[i], D(ck[1].Grad!)[i], 8);
    }

    [Fact]
    public void SecondOrderGradientsAreIdentical()
    {
        Tensor[] SecondOrder(bool checkpoint)
        {
            var xs = Inputs();
            var y = checkpoint ? Autograd.Checkpoint(new Net().F, xs) : new Net().F(xs);
            var g = Autograd.Grad(new[] { Loss(y) }, xs, createGraph: true);
            var penalty = (g[0]!.Square().Sum() + g[1]!.Square().Sum() + g[2]!.Square().Sum());
            return Autograd.Grad(new[] { penalty }, xs).Select(t => t!).ToArray();
        }
        var plain = SecondOrder(false);
        var ck = SecondOrder(true);
        for (int i = 0; i < 3; i++) Same(plain[i], ck[i], $"second-order grad {i}");
        Assert.Contains(D(plain[1]), v => Math.Abs(v) > 1e-3);
    }

    [Fact]
    public void OneInputFormSecondDerivativeMatchesHandValue()
    {
        // f(x) = x·sin x: f' = sin x + x cos x, f'' = 2 cos x − x sin x
        var x = Tensor.Scalar(0.8, requiresGrad: true);
        var y = Autograd.Checkpoint(t => t * t.Sin(), x);
        var d1 = Autograd.Grad(y, x, createGraph: true)!;
        Assert.Equal(Math.Sin(0.8) + 0.8 * Math.Cos(0.8), d1.Item<double>(), 15);
        Assert.Equal(2 * Math.Cos(0.8) - 0.8 * Math.Sin(0.8), Autograd.Grad(d1, x)!.Item<double>(), 15);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static Tensor ForwardOnly(Net net, bool checkpoint) =>
        checkpoint ? Autograd.Checkpoint(net.F, Inputs()) : net.F(Inputs());

    static bool Alive(WeakReference<Tensor> w) => w.TryGetTarget(out _);

    [Fact]
    public void ActivationsAreNotKeptWhenCheckpointed()
    {
        var plainNet = new Net();
        var plainY = ForwardOnly(plainNet, checkpoint: false);
        var ckNet = new Net();
        var ckY = ForwardOnly(ckNet, checkpoint: true);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.True(Alive(plainNet.Hidden[0]), "without checkpointing the graph keeps the hidden activation");
        Assert.False(Alive(ckNet.Hidden[0]), "a checkpointed forward must not keep its hidden activation");
        GC.KeepAlive(plainY);
        GC.KeepAlive(ckY);
    }

    [Fact]
    public void UnderGradientTapeWithVariablesAndWatchedTensor()
    {
        Tensor?[] TapeGrads(bool checkpoint)
        {
            var xs = Inputs(xRequiresGrad: false);
            var w1 = new Variable(xs[1].Detach());
            var w2 = new Variable(xs[2].Detach());
            using var tape = new GradientTape();
            tape.Watch(xs[0]);
            Tensor[] args = [xs[0], w1, w2];
            var y = checkpoint ? Autograd.Checkpoint(new Net().F, args) : new Net().F(args);
            var grads = tape.Gradient(Loss(y), args);
            Assert.Null(w1.Grad);
            return grads;
        }
        var plain = TapeGrads(false);
        var ck = TapeGrads(true);
        for (int i = 0; i < 3; i++) Same(plain[i]!, ck[i]!, $"tape grad {i}");
    }

    [Fact]
    public void NestedTapesGiveTheSecondDerivativeForWatchedTensorsAndVariables()
    {
        // f(x, w) = sin(x·w): ∂²f/∂x² = −w² sin(xw), ∂²f/∂w∂x summed: cos(xw) − xw sin(xw)
        double xv = 0.7, wv = 1.3;
        var x = Tensor.Scalar(xv);
        var w = new Variable(wv);
        using var outer = new GradientTape(persistent: true);
        outer.Watch(x);
        using var inner = new GradientTape();
        inner.Watch(x);
        var y = Autograd.Checkpoint(a => (a[0] * a[1]).Sin(), x, w);
        var dx = inner.Gradient(y, x)!;
        Assert.Equal(wv * Math.Cos(xv * wv), dx.Item<double>(), 15);
        Assert.Equal(-wv * wv * Math.Sin(xv * wv), outer.Gradient(dx, x)!.Item<double>(), 15);
        Assert.Equal(Math.Cos(xv * wv) - xv * wv * Math.Sin(xv * wv), outer.Gradient(dx, w)!.Item<double>(), 15);
    }

    [Fact]
    public void InputsThatDoNotRequireGradGetNoGradient()
    {
        var plain = Inputs(xRequiresGrad: false);
        Loss(new Net().F(plain)).Backward();
        var ck = Inputs(xRequiresGrad: false);
        Loss(Autograd.Checkpoint(new Net().F, ck)).Backward();
        Assert.Null(ck[0].Grad);
        Same(plain[1].Grad!, ck[1].Grad!, "W1");
        Same(plain[2].Grad!, ck[2].Grad!, "W2");

        var net = new Net();
        var none = Autograd.Checkpoint(net.F, Inputs().Select(t => t.Detach()).ToArray());
        Assert.Null(none.GradFn);
        Assert.Equal(1, net.Calls);
    }

    [Fact]
    public void HooksOnInputsFireOncePerBackward()
    {
        var ck = Inputs();
        int calls = 0;
        using var h = ck[1].RegisterHook(g => { calls++; return g * 2.0; });
        Loss(Autograd.Checkpoint(new Net().F, ck)).Backward();
        Assert.Equal(1, calls);
        var plain = Inputs();
        Loss(new Net().F(plain)).Backward();
        for (int i = 0; i < D(plain[1].Grad!).Length; i++)
            Assert.Equal(2 * D(plain[1].Grad!)[i], D(ck[1].Grad!)[i], 15);
    }

    [Fact]
    public void ForwardModeThroughCheckpointMatchesPlain()
    {
        var xs = Inputs(xRequiresGrad: false);
        var v = Rand([4, 3], 9, rg: false);
        Func<Tensor, Tensor> plain = x => Loss(new Net().F([x, xs[1].Detach(), xs[2].Detach()]));
        Func<Tensor, Tensor> ck = x => Loss(Autograd.Checkpoint(new Net().F, x, xs[1].Detach(), xs[2].Detach()));
        var (p, pt) = Autograd.Jvp(plain, xs[0], v);
        var (c, ct) = Autograd.Jvp(ck, xs[0], v);
        Assert.Equal(p.Item<double>(), c.Item<double>(), 15);
        Assert.Equal(pt.Item<double>(), ct.Item<double>(), 14);
    }
}

/// <summary>Tests that use the process-wide random generator run alone, so no other test draws in between.</summary>
[CollectionDefinition("Default generator", DisableParallelization = true)]
public class DefaultGeneratorCollection;

[Collection("Default generator")]
public class CheckpointRandomTests
{
    [Fact]
    public void RecomputationReplaysRandomDrawsAndLeavesTheGeneratorAlone()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [4], requiresGrad: true);
        var draws = new List<double[]>();
        Tensor F(Tensor t)
        {
            var r = Tensor.Rand([4], DType.Float64);             // a random scale, like a dropout mask
            draws.Add(r.ToArray<double>());
            return t * r;
        }
        var y = Autograd.Checkpoint(F, x);
        var before = Generator.Default.State;
        var g = Autograd.Grad(y.Sum(), x)!;
        Assert.Equal(2, draws.Count);
        Assert.Equal(draws[0], draws[1]);                       // the recompute drew the same numbers
        Assert.Equal(draws[0], g.ToArray<double>());            // d(sum(x·r))/dx = r exactly
        Assert.Equal(before, Generator.Default.State);          // later draws are not shifted by the recompute
    }
}
