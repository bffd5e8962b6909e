using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A small model zoo, each compiled and run next to an identical eager copy for several steps, in float64:
/// MLP training with SGD (momentum) and Adam, a CNN with Conv2d, BatchNorm2d, Dropout and MaxPool2d trained
/// then evaluated, a TF-style GradientTape loop, nested tapes and Hessian-vector products inside a compiled
/// function, and a compiled function differentiated from outside by tapes and a ForwardAccumulator.
/// Replays run the same kernels in the same order as eager code, so everything is compared bitwise.
/// </summary>
// Dropout without a seed draws from the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class CompiledZooTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    /// <summary>Exactly <paramref name="traces"/> graphs were traced and none runs eagerly (so the later calls were replays).</summary>
    static void AssertReplayed(CompiledFunction cf, int traces = 1, string what = "")
    {
        string explain = cf.Explain();
        Assert.True(cf.TraceCount == traces && !explain.Contains("runs eagerly", StringComparison.Ordinal) && !explain.Contains("ran eagerly", StringComparison.Ordinal),
            $"{what}expected {traces} traced graph(s), replayed: {explain}");
    }

    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, seed: seed);

    static void AssertSameParameters(Module expected, Module actual)
    {
        var pe = expected.NamedParameters().ToList();
        var pc = actual.NamedParameters().ToList();
        Assert.Equal(pe.Count, pc.Count);
        for (int k = 0; k < pe.Count; k++) Assert.True(D(pe[k].Item2).SequenceEqual(D(pc[k].Item2)), $"parameter {pe[k].Item1} differs from eager");
        var be = expected.NamedBuffers().ToList();
        var bc = actual.NamedBuffers().ToList();
        Assert.Equal(be.Count, bc.Count);
        for (int k = 0; k < be.Count; k++)
            Assert.True(be[k].Buffer.ToDoubleArray().SequenceEqual(bc[k].Buffer.ToDoubleArray()), $"buffer {be[k].Name} differs from eager");
    }

    internal static Module Mlp() => new Sequential(
        new Linear(6, 8, seed: 1, dtype: DType.Float64), new Tanh(), new Linear(8, 8, seed: 2, dtype: DType.Float64), new ReLU(),
        new Linear(8, 3, seed: 3, dtype: DType.Float64));

    /// <summary>The PyTorch-style step: ZeroGrad, forward, Backward, Step.</summary>
    static Func<Tensor, Tensor, Tensor> BackwardStep(Module net, Optimizer opt) => (x, y) =>
    {
        opt.ZeroGrad();
        var loss = Functional.MseLoss(net.Call(x), y);
        loss.Backward();
        opt.Step();
        return loss;
    };

    static void TrainsLikeEager(Func<Module, Optimizer> optimizer, int traces)
    {
        var (netC, netE) = (Mlp(), Mlp());
        var compiled = Graph.Compile(BackwardStep(netC, optimizer(netC)));
        var eager = BackwardStep(netE, optimizer(netE));
        var losses = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            var (x, y) = (Randn(100 + i, 16, 6), Randn(200 + i, 16, 3));
            var le = D(eager(x, y));
            Assert.Equal(le, D(compiled.Call(x, y)));
            losses.Add(le[0]);
        }
        AssertSameParameters(netE, netC);
        AssertReplayed(compiled, traces);
        Assert.NotEqual(D(Mlp().Parameters().First()), D(netC.Parameters().First()));   // it did train
    }

    // SGD's first step takes the gradient as its momentum buffer (torch.optim.SGD) and later steps update it:
    // two graphs, the second traced when the buffers appear (Explain names them).
    [Fact]
    public void MlpTrainingWithMomentumSgdMatchesEagerBitwise() =>
        TrainsLikeEager(net => new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3), traces: 2);

    [Fact]
    public void MlpTrainingWithAdamMatchesEagerBitwise() =>
        TrainsLikeEager(net => new Adam(net.Parameters(), learningRate: 0.01), traces: 1);

    internal static Module Cnn() => new Sequential(
        new Conv2d(2, 4, 3, padding: 1, seed: 5, dtype: DType.Float64), new BatchNorm2d(4, dtype: DType.Float64), new ReLU(),
        new Dropout(0.25), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 3, seed: 6, dtype: DType.Float64));

    [Fact]
    public void CnnWithBatchNormAndDropoutTrainsThenEvaluatesLikeEager()
    {
        var (netC, netE) = (Cnn(), Cnn());
        Func<Module, Func<Tensor, Tensor, Tensor>> step = net =>
        {
            var opt = new Sgd(net.Parameters(), learningRate: 0.1, momentum: 0.5);
            return (x, labels) =>
            {
                opt.ZeroGrad();
                var loss = Functional.CrossEntropy(net.Call(x), labels);
                loss.Backward();
                opt.Step();
                return loss;
            };
        };
        var compiled = Graph.Compile(step(netC));
        var eager = step(netE);
        for (int i = 0; i < 4; i++)
        {
            var x = Randn(300 + i, 5, 2, 8, 8);
            var labels = Tensor.FromArray(new long[] { i % 3, 1, 2, 0, (i + 1) % 3 }, [5]);
            Tensor.ManualSeed(40 + i);                         // same Dropout masks from the global generator
            var le = D(eager(x, labels));
            Tensor.ManualSeed(40 + i);
            var lc = D(compiled.Call(x, labels));
            Assert.True(le.SequenceEqual(lc), $"step {i}: loss {lc[0]:R}, eager {le[0]:R}; {compiled.Explain()}");
        }
        AssertReplayed(compiled, 2);   // the second when SGD's momentum buffers appear
        Assert.Contains("buffers=momentum_buffer", compiled.Explain());
        AssertSameParameters(netE, netC);                      // weights, and BatchNorm's running statistics
        var bn = (BatchNorm2d)netC.NamedChildren().ElementAt(1).Module;
        Assert.Equal(4L, bn.NumBatchesTracked!.ToArray<long>()[0]);
        Assert.NotEqual(new double[4], D(bn.RunningMean!));

        // Eval mode: running statistics, no dropout. A module compiled as a whole keys on its mode.
        netC.Eval();
        netE.Eval();
        var infer = Graph.Compile(netC);
        for (int i = 0; i < 3; i++)
        {
            var x = Randn(400 + i, 5, 2, 8, 8);
            Assert.Equal(D(netE.Call(x)), D(infer.Call(x)));
        }
        AssertReplayed(infer);
        AssertSameParameters(netE, netC);                      // eval left the running statistics alone
    }

    [Fact]
    public void GradientTapeTrainingLoopWithApplyGradientsMatchesEagerBitwise()
    {
        // TF style: Variables, a tape, Adam.ApplyGradients; no Module.
        static (Variable W, Variable B, Adam Opt) Model()
        {
            var w = new Variable(Randn(7, 6, 3), name: "w");
            var b = new Variable(Tensor.Zeros([3], DType.Float64), name: "b");
            return (w, b, new Adam([w, b], learningRate: 0.02));
        }
        static Func<Tensor, Tensor, Tensor> Step(Variable w, Variable b, Adam opt) => (x, y) =>
        {
            using var tape = new GradientTape();
            var loss = (x.MatMul(w) + b - y).Pow(2).Mean();
            var grads = tape.Gradient(loss, [w, b]);
            opt.ApplyGradients([(grads[0], w), (grads[1], b)]);
            return loss;
        };
        var (wc, bc, oc) = Model();
        var (we, be, oe) = Model();
        var compiled = Graph.Compile(Step(wc, bc, oc));
        var eager = Step(we, be, oe);
        for (int i = 0; i < 6; i++)
        {
            var (x, y) = (Randn(500 + i, 10, 6), Randn(600 + i, 10, 3));
            Assert.Equal(D(eager(x, y)), D(compiled.Call(x, y)));
        }
        Assert.Equal(D(we), D(wc));
        Assert.Equal(D(be), D(bc));
        Assert.NotEqual(new double[3], D(bc));
        AssertReplayed(compiled);
    }

    /// <summary>y = sum(x^2 sin x) ; y' = 2x sin x + x^2 cos x ; y'' = 2 sin x + 4x cos x - x^2 sin x.</summary>
    static Tensor SecondDerivativeWithTwoTapes(Tensor x)
    {
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor dy;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            var y = (x * x * x.Sin()).Sum();
            dy = inner.Gradient(y, x)!;
        }
        return outer.Gradient(dy.Sum(), x)!;
    }

    [Fact]
    public void NestedTapesInsideACompiledFunctionGiveTheSecondDerivative()
    {
        var compiled = Graph.Compile(SecondDerivativeWithTwoTapes);
        for (int call = 0; call < 3; call++)
        {
            var xs = new[] { 0.3 + call, -1.1, 2.5 * call };
            var x = Tensor.FromArray(xs, [3]);
            var got = D(compiled.Call(x));
            Assert.Equal(D(SecondDerivativeWithTwoTapes(x)), got);
            for (int i = 0; i < 3; i++)
            {
                double v = xs[i], expected = 2 * Math.Sin(v) + 4 * v * Math.Cos(v) - v * v * Math.Sin(v);
                Assert.Equal(expected, got[i], 1e-12);
            }
        }
        AssertReplayed(compiled);
    }

    /// <summary>f(x) = sum(x^4)/4 + (a.x)^2: H = diag(3 x^2) + 2 a a^T, so H v = 3 x^2 v + 2 a (a.v).</summary>
    static readonly double[] A = [0.5, -1.0, 2.0, 0.25];

    static Tensor Quartic(Tensor x)
    {
        var a = Tensor.FromArray(A, [4]);
        var ax = (a * x).Sum();
        return (x * x * x * x).Sum() / 4.0 + ax * ax;
    }

    static double[] HandHvp(double[] x, double[] v)
    {
        double av = A.Zip(v, (p, q) => p * q).Sum();
        return [.. x.Select((xi, i) => 3 * xi * xi * v[i] + 2 * A[i] * av)];
    }

    [Fact]
    public void HessianVectorProductInsideACompiledFunctionMatchesEagerAndTheHandHessian()
    {
        var viaHvp = Graph.Compile((Tensor x, Tensor v) => Autograd.Hvp(Quartic, x, v).Result);
        Func<Tensor, Tensor, Tensor> doubleBackward = (x, v) =>
        {
            var leaf = x.Detach();
            leaf.RequiresGrad = true;
            var g = Autograd.Grad(Quartic(leaf), leaf, createGraph: true)!;
            return Autograd.Grad((g * v).Sum(), leaf)!;
        };
        var viaDoubleBackward = Graph.Compile(doubleBackward);
        for (int call = 0; call < 3; call++)
        {
            double[] xs = [1.0 + call, -0.5, 0.75 * call, 2.0], vs = [0.5, 1.0, -1.0, 0.25 * call];
            var (x, v) = (Tensor.FromArray(xs, [4]), Tensor.FromArray(vs, [4]));
            var expected = HandHvp(xs, vs);
            var eager = D(Autograd.Hvp(Quartic, x, v).Result);
            Assert.Equal(eager, D(viaHvp.Call(x, v)));
            Assert.Equal(D(doubleBackward(x, v)), D(viaDoubleBackward.Call(x, v)));
            for (int i = 0; i < 4; i++) Assert.Equal(expected[i], eager[i], 1e-12);
        }
        AssertReplayed(viaHvp);
        AssertReplayed(viaDoubleBackward);
    }

    /// <summary>A compiled MLP forward (captured Variables), differentiated from outside.</summary>
    static (Module Net, Func<Tensor, Tensor> Loss) Scored()
    {
        var net = Mlp();
        return (net, x => (net.Call(x).Tanh() * x.Sum(1, keepDim: true)).Sum());
    }

    [Fact]
    public void CompiledFunctionUnderOuterTapesGivesEagerGradientsToSecondOrder()
    {
        var (netC, lossC) = Scored();
        var (netE, lossE) = Scored();
        var compiled = Graph.Compile(lossC);
        compiled.Call(Randn(1, 4, 6));                         // trace outside any tape
        for (int call = 0; call < 3; call++)
        {
            var (xc, xe) = (Randn(700 + call, 4, 6), Randn(700 + call, 4, 6));
            Tensor?[] Grads(Func<Tensor, Tensor> f, Module net, Tensor x, out Tensor second)
            {
                using var outer = new GradientTape();
                outer.Watch(x);
                Tensor?[] g;
                using (var inner = new GradientTape(persistent: true))
                {
                    inner.Watch(x);
                    var y = f(x);
                    g = inner.Gradient(y, [x, .. net.Parameters()]);
                }
                second = outer.Gradient(g[0]!.Pow(2).Sum(), x)!;   // d/dx |dy/dx|^2
                return g;
            }
            var gc = Grads(compiled.Call, netC, xc, out var sc);
            var ge = Grads(lossE, netE, xe, out var se);
            Assert.Equal(ge.Length, gc.Length);
            for (int k = 0; k < ge.Length; k++) Assert.Equal(D(ge[k]!), D(gc[k]!));
            Assert.Equal(D(se), D(sc));
        }
        AssertReplayed(compiled);
    }

    [Fact]
    public void CompiledFunctionUnderForwardAccumulatorGivesEagerJvpAndForwardOverReverse()
    {
        var (_, lossC) = Scored();
        var (_, lossE) = Scored();
        var compiled = Graph.Compile(lossC);
        compiled.Call(Randn(1, 4, 6));                         // trace outside any accumulator
        compiled.Call(Tensor.Randn([4, 6], DType.Float64, seed: 2, requiresGrad: true));   // and for a tracked input
        for (int call = 0; call < 3; call++)
        {
            var x = Randn(800 + call, 4, 6);
            var v = Randn(900 + call, 4, 6);
            Tensor jc, je;
            using (var acc = new ForwardAccumulator(x, v)) jc = acc.Jvp(compiled.Call(x))!;
            using (var acc = new ForwardAccumulator(x, v)) je = acc.Jvp(lossE(x))!;
            Assert.Equal(D(je), D(jc));
            // Forward over reverse: the JVP of the gradient is the Hessian-vector product.
            Tensor HvpOf(Func<Tensor, Tensor> f)
            {
                var leaf = x.Detach();
                leaf.RequiresGrad = true;
                using var acc = new ForwardAccumulator(leaf, v);
                return acc.Jvp(Autograd.Grad(f(leaf), leaf, createGraph: true)!)!;
            }
            var hc = HvpOf(compiled.Call);
            var he = HvpOf(lossE);
            Assert.Equal(D(he), D(hc));
            // Reverse over reverse gives the same H v (different op order, so to 1e-12).
            var leaf2 = x.Detach();
            leaf2.RequiresGrad = true;
            var g = Autograd.Grad(lossE(leaf2), leaf2, createGraph: true)!;
            var hr = D(Autograd.Grad((g * v).Sum(), leaf2)!);
            var hf = D(hc);
            for (int i = 0; i < hr.Length; i++) Assert.Equal(hr[i], hf[i], 1e-12);
        }
        AssertReplayed(compiled, 2);   // requires-grad is part of the key
    }
    /// <summary>
    /// Regression: MaxPool2d's backward scatters to each call's argmax. The scatter (max_unpool) held the argmax
    /// as a field, so a backward recorded in a graph kept scattering to the traced call's positions.
    /// </summary>
    [Fact]
    public void MaxPoolBackwardInsideACompiledFunctionFollowsEachCallsArgmax()
    {
        Func<Tensor, Tensor> grad = x =>
        {
            var leaf = x.Detach();
            leaf.RequiresGrad = true;
            return Autograd.Grad(Functional.MaxPool2d(leaf, 2).Sum(), leaf)!;
        };
        var compiled = Graph.Compile(grad);
        var first = Tensor.FromArray(new double[] { 4, 1, 2, 3 }, [1, 1, 2, 2]);    // max at position 0
        var second = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);   // max at position 3
        Assert.Equal(new double[] { 1, 0, 0, 0 }, D(compiled.Call(first)));
        Assert.Equal(new double[] { 0, 0, 0, 1 }, D(compiled.Call(second)));
        AssertReplayed(compiled);
    }
    /// <summary>
    /// max_unpool takes the argmax as an input, so a graph holding MaxPool2d's backward saves, and the loaded
    /// graph (no C# function) scatters each call's gradient to that call's maximum.
    /// </summary>
    [Fact]
    public void MaxPoolBackwardGraphSavesAndTheLoadedGraphFollowsEachCallsArgmax()
    {
        static Tensor Grad(Tensor x)
        {
            var leaf = x.Detach();
            leaf.RequiresGrad = true;
            return Autograd.Grad((Functional.MaxPool2d(leaf, 2) * 3.0).Sum(), leaf)!;
        }
        var compiled = Graph.Compile(Grad);
        compiled.Call(Tensor.FromArray(new double[] { 4, 1, 2, 3 }, [1, 1, 2, 2]));   // traced with the max at position 0
        using var stream = new MemoryStream();
        compiled.Save(stream);
        stream.Position = 0;
        var loaded = CompiledFunction.Load(stream);
        var x = Tensor.FromArray(new double[] { 1, 2, 5, 4 }, [1, 1, 2, 2]);              // max at position 2
        Assert.Equal(new double[] { 0, 0, 3, 0 }, D(loaded.Call(x)));
        Assert.Equal(D(Grad(x)), D(loaded.Call(x)));
    }

    /// <summary>y = tanh(exp(a)) then y *= 1 in place ; dy/da = (1 - y²) exp(a), with the accumulator inside the compiled function.</summary>
    static Tensor JvpOfTanhExp(Tensor a)
    {
        using var acc = new ForwardAccumulator(a, Tensor.OnesLike(a));
        var y = a.Exp().Tanh();
        y.MulInPlace(Tensor.OnesLike(y));
        return acc.Jvp(y)!;
    }

    /// <summary>
    /// Regression: the JVP rules of exp and tanh read their output; forward mode saw each call before the tracer,
    /// so the tangent ops took the traced output for a capture and every replay reused the first call's values.
    /// </summary>
    [Fact]
    public void ForwardAccumulatorInsideACompiledFunctionUsesEachCallsOutputs()
    {
        var compiled = Graph.Compile(JvpOfTanhExp);
        for (int call = 0; call < 3; call++)
        {
            double[] xs = [0.1 * (call + 1), -0.5 * call];
            var a = Tensor.FromArray(xs, [2]);
            var got = D(compiled.Call(a));
            Assert.Equal(D(JvpOfTanhExp(a)), got);
            for (int i = 0; i < 2; i++)
            {
                double e = Math.Exp(xs[i]), t = Math.Tanh(e);
                Assert.Equal((1 - t * t) * e, got[i], 1e-12);
            }
        }
        AssertReplayed(compiled);
    }

    /// <summary>f(x) = sum(x^4 sin x): its third derivative is (24x - 12x^3) sin x + (36x^2 - x^4) cos x, elementwise.</summary>
    static Tensor QuarticSine(Tensor x) => (x * x * x * x * x.Sin()).Sum();

    static double ThirdDerivative(double x) => (24 * x - 12 * x * x * x) * Math.Sin(x) + (36 * x * x - x * x * x * x) * Math.Cos(x);

    /// <summary>Third derivatives: reverse thrice, and forward over reverse over reverse.</summary>
    static (Tensor Reverse, Tensor Forward) ThirdOrder(Func<Tensor, Tensor> f, double[] xs)
    {
        var x = Tensor.FromArray(xs, [xs.Length], requiresGrad: true);
        var g1 = Autograd.Grad(f(x), x, createGraph: true)!;
        var g2 = Autograd.Grad(g1.Sum(), x, createGraph: true)!;
        var g3 = Autograd.Grad(g2.Sum(), x)!;
        var leaf = Tensor.FromArray(xs, [xs.Length], requiresGrad: true);
        Tensor jvp;
        using (var acc = new ForwardAccumulator(leaf, Tensor.OnesLike(leaf)))
        {
            var h1 = Autograd.Grad(f(leaf), leaf, createGraph: true)!;
            var h2 = Autograd.Grad(h1.Sum(), leaf, createGraph: true)!;
            jvp = acc.Jvp(h2)!;
        }
        return (g3, jvp);
    }

    [Fact]
    public void ThirdDerivativesThroughAReplayMatchEagerAndTheHandFormula()
    {
        var compiled = Graph.Compile(QuarticSine);
        compiled.Call(Tensor.FromArray(new[] { 9.0, 8.0 }, [2], requiresGrad: true));   // trace outside any accumulator
        for (int call = 0; call < 3; call++)
        {
            double[] xs = [0.7 + call, -1.3];
            var (rc, fc) = ThirdOrder(compiled.Call, xs);
            var (re, fe) = ThirdOrder(QuarticSine, xs);
            Assert.Equal(D(re), D(rc));
            Assert.Equal(D(fe), D(fc));
            for (int i = 0; i < 2; i++)
            {
                double expected = ThirdDerivative(xs[i]), tolerance = 1e-12 * Math.Max(1, Math.Abs(expected));
                Assert.Equal(expected, D(rc)[i], tolerance);
                Assert.Equal(expected, D(fc)[i], tolerance);
            }
        }
        AssertReplayed(compiled);
    }
}
