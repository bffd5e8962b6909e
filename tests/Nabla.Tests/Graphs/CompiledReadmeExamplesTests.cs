using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// The autodiff examples of README.md (PyTorch style, TensorFlow style, forward mode and functional
/// helpers, custom gradients, in-place through a view, the training sample), each run through
/// Graph.Compile: the tracing call and the replays give the README's numbers and bitwise the eager ones.
/// </summary>
// The training sample shuffles with its own seeded generator, but the CNN's layers draw nothing; this
// class shares no generator state, yet runs with the generator tests to keep their draws undisturbed.
[Collection("Default generator")]
public class CompiledReadmeExamplesTests
{
    static double[] D(Tensor t) => t.To(DType.Float64).ToArray<double>();

    /// <summary>Exactly <paramref name="traces"/> graphs were traced and none runs eagerly (so the later calls were replays).</summary>
    static void AssertReplayed(CompiledFunction cf, int traces = 1, string what = "")
    {
        string explain = cf.Explain();
        Assert.True(cf.TraceCount == traces && !explain.Contains("runs eagerly", StringComparison.Ordinal) && !explain.Contains("ran eagerly", StringComparison.Ordinal),
            $"{what}expected {traces} traced graph(s), replayed: {explain}");
    }

    /// <summary>Calls <paramref name="call"/> three times (trace, then replays) and checks each against <paramref name="eager"/>, bitwise.</summary>
    static void SameAsEager(Func<int, Tensor[]> call, Func<int, Tensor[]> eager)
    {
        for (int i = 0; i < 3; i++)
        {
            var c = call(i);
            var e = eager(i);
            Assert.Equal(e.Length, c.Length);
            for (int k = 0; k < e.Length; k++) Assert.True(D(e[k]).SequenceEqual(D(c[k])), $"call {i}, output {k}: {string.Join(", ", D(c[k]))} vs eager {string.Join(", ", D(e[k]))}");
        }
    }

    // --- PyTorch-style autodiff ---

    static Tensor PyTorchFirst(Tensor t)
    {
        var z = t.Pow(2) + 3 * t;
        z.Backward();
        return z;
    }

    [Fact]
    public void PyTorchStyleBackwardInsideACompiledFunctionFillsGrad()
    {
        var compiled = Graph.Compile(PyTorchFirst);
        SameAsEager(i =>
        {
            var t = Tensor.Scalar(2.0f + i, requiresGrad: true);
            return [compiled.Call(t), t.Grad!];
        }, i =>
        {
            var t = Tensor.Scalar(2.0f + i, requiresGrad: true);
            return [PyTorchFirst(t), t.Grad!];
        });
        var t2 = Tensor.Scalar(2.0f, requiresGrad: true);
        compiled.Call(t2);
        Assert.Equal(7f, t2.Grad!.Item<float>());               // 2t + 3
        AssertReplayed(compiled);
    }

    [Fact]
    public void PyTorchStyleBackwardThroughACompiledForward()
    {
        var forward = Graph.Compile((Tensor t) => t.Pow(2) + 3 * t);
        SameAsEager(i =>
        {
            var t = Tensor.Scalar(2.0f + i, requiresGrad: true);
            forward.Call(t).Backward();
            return [t.Grad!];
        }, i =>
        {
            var t = Tensor.Scalar(2.0f + i, requiresGrad: true);
            (t.Pow(2) + 3 * t).Backward();
            return [t.Grad!];
        });
        AssertReplayed(forward);
    }

    static Tensor[] PyTorchSecond(Tensor[] args)
    {
        var u = args[0];
        var w = u.Pow(2) + 3 * u;
        var d1 = Autograd.Grad(w, u, createGraph: true)!;
        var d2 = Autograd.Grad(d1, u)!;
        return [d1, d2];
    }

    [Fact]
    public void PyTorchStyleSecondDerivativeCompiled()
    {
        var compiled = Graph.Compile(PyTorchSecond);
        SameAsEager(i => compiled.Call([Tensor.Scalar(2.0f + i, requiresGrad: true)]),
            i => PyTorchSecond([Tensor.Scalar(2.0f + i, requiresGrad: true)]));
        var r = compiled.Call([Tensor.Scalar(2.0f, requiresGrad: true)]);
        Assert.Equal(7f, r[0].Item<float>());
        Assert.Equal(2f, r[1].Item<float>());
        AssertReplayed(compiled);
    }

    [Fact]
    public void InPlaceThroughAViewCompiled()
    {
        static Tensor[] Sample(Tensor[] xw)
        {
            var (x, w) = (xw[0], xw[1]);
            var a = x.Clone();
            a[0].MulInPlace(w);
            a.Sum().Backward();
            return [x.Grad!, w.Grad!];
        }
        static Tensor[] Args(int i) =>
        [
            Tensor.FromArray(new[] { 1.0 + i, 2, 3, 4, 5, 6 }, [2, 3], requiresGrad: true),
            Tensor.FromArray(new[] { 0.5, -1.0, 2.0 * i }, [3], requiresGrad: true),
        ];
        var compiled = Graph.Compile(Sample);
        SameAsEager(i => compiled.Call(Args(i)), i => Sample(Args(i)));
        var r = compiled.Call(Args(0));
        Assert.Equal(new[] { 0.5, -1.0, 0.0, 1, 1, 1 }, D(r[0]));   // [w; 1, 1, 1]
        Assert.Equal(new[] { 1.0, 2, 3 }, D(r[1]));                 // x[0]
        AssertReplayed(compiled);
    }

    // --- TensorFlow-style autodiff ---

    [Fact]
    public void TensorFlowStyleTapeGradientOfACapturedVariableCompiled()
    {
        var x = new Variable(2.0f);
        Tensor Gradient(Tensor scale)
        {
            using var tape = new GradientTape();
            var y = x * x + 3 * x * scale;
            return tape.Gradient(y, x)!;
        }
        var compiled = Graph.Compile(Gradient);
        var one = Tensor.Scalar(1.0f);
        Assert.Equal(7f, compiled.Call(one).Item<float>());          // 2x + 3
        Assert.Equal(7f, compiled.Call(one).Item<float>());
        x.Assign(Tensor.Scalar(5.0f));                                // captured by reference: seen by the replay
        Assert.Equal(13f, compiled.Call(one).Item<float>());
        Assert.Equal(D(Gradient(one)), D(compiled.Call(one)));
        Assert.Equal(D(Gradient(Tensor.Scalar(-2.0f))), D(compiled.Call(Tensor.Scalar(-2.0f))));
        AssertReplayed(compiled);
    }

    static Tensor NestedTapes(Tensor x)
    {
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor dv;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            var v = x * x + 3 * x;
            dv = inner.Gradient(v, x)!;
        }
        return outer.Gradient(dv, x)!;
    }

    [Fact]
    public void TensorFlowStyleSecondDerivativeWithNestedTapesCompiled()
    {
        var compiled = Graph.Compile(NestedTapes);
        SameAsEager(i => [compiled.Call(Tensor.Scalar(2.0f + i))], i => [NestedTapes(Tensor.Scalar(2.0f + i))]);
        Assert.Equal(2f, compiled.Call(Tensor.Scalar(2.0f)).Item<float>());
        AssertReplayed(compiled);
    }

    [Fact]
    public void TensorFlowStyleTapeThroughACompiledForward()
    {
        var forward = Graph.Compile((Tensor v) => v * v + 3 * v);
        var x = new Variable(2.0f);
        forward.Call(x);                                               // trace
        SameAsEager(i =>
        {
            x.Assign(Tensor.Scalar(2.0f + i));
            using var tape = new GradientTape();
            return [tape.Gradient(forward.Call(x), x)!];
        }, i =>
        {
            x.Assign(Tensor.Scalar(2.0f + i));
            using var tape = new GradientTape();
            return [tape.Gradient(x * x + 3 * x, x)!];
        });
        AssertReplayed(forward);
    }

    // --- Forward mode, higher orders and functional helpers ---

    [Fact]
    public void ForwardAccumulatorAroundAndInsideACompiledFunction()
    {
        var cube = Graph.Compile((Tensor a) => a * a * a);
        cube.Call(Tensor.Scalar(1.0));                                 // trace outside the accumulator
        var a = Tensor.Scalar(3.0);
        using (var acc = new ForwardAccumulator(a, Tensor.Scalar(1.0)))
            Assert.Equal(27.0, acc.Jvp(cube.Call(a))!.Item<double>());   // 3a², exact in float64
        AssertReplayed(cube);

        static Tensor JvpInside(Tensor a)
        {
            using var acc = new ForwardAccumulator(a, Tensor.OnesLike(a));
            return acc.Jvp(a * a * a)!;
        }
        var inside = Graph.Compile(JvpInside);
        SameAsEager(i => [inside.Call(Tensor.Scalar(3.0 + i))], i => [JvpInside(Tensor.Scalar(3.0 + i))]);
        Assert.Equal(27.0, inside.Call(Tensor.Scalar(3.0)).Item<double>());
        AssertReplayed(inside);
    }

    static Tensor F(Tensor z) => (z * z).Sum().Exp();

    static Tensor[] FunctionalHelpers(Tensor[] args)
    {
        var (z0, v) = (args[0], args[1]);
        return [Autograd.Jacobian(F, z0), Autograd.Hessian(F, z0), Autograd.Hvp(F, z0, v).Result];
    }

    [Fact]
    public void FunctionalHelpersCompiledMatchEagerAndEachOther()
    {
        var compiled = Graph.Compile(FunctionalHelpers);
        static Tensor[] Args(int i) => [Tensor.FromArray(new[] { 0.1 * (i + 1), 0.2 }, [2]), Tensor.Ones([2], DType.Float64)];
        SameAsEager(i => compiled.Call(Args(i)), i => FunctionalHelpers(Args(i)));
        var r = compiled.Call(Args(0));
        Assert.Equal([2], r[0].Shape.ToArray());
        Assert.Equal([2, 2], r[1].Shape.ToArray());
        // f = exp(|z|²): J = 2 z f, H = f (2 I + 4 z zᵀ); H·1 is the Hessian's row sums.
        double f = Math.Exp(0.01 + 0.04), z1 = 0.1, z2 = 0.2;
        double[] hess = [f * (2 + 4 * z1 * z1), f * 4 * z1 * z2, f * 4 * z2 * z1, f * (2 + 4 * z2 * z2)];
        var (gotJ, gotH, gotHv) = (D(r[0]), D(r[1]), D(r[2]));
        Assert.Equal(2 * z1 * f, gotJ[0], 1e-12);
        Assert.Equal(2 * z2 * f, gotJ[1], 1e-12);
        for (int k = 0; k < 4; k++) Assert.Equal(hess[k], gotH[k], 1e-12);
        Assert.Equal(hess[0] + hess[1], gotHv[0], 1e-12);
        Assert.Equal(hess[2] + hess[3], gotHv[1], 1e-12);
        AssertReplayed(compiled);
    }

    // --- Custom gradients ---

    [Fact]
    public void CustomFunctionAndCustomGradientCompiledGiveTheEagerGradients()
    {
        static Tensor WithMyExp(Tensor w)
        {
            new ReadmeExamplesTests.MyExp().Apply(w).Sum().Backward();
            return w.Grad!;
        }
        var myExp = Graph.Compile(WithMyExp);
        SameAsEager(i => [myExp.Call(Tensor.FromArray(new[] { 0.5, -1.0 * i }, [2], requiresGrad: true))],
            i => [WithMyExp(Tensor.FromArray(new[] { 0.5, -1.0 * i }, [2], requiresGrad: true))]);
        var g = D(myExp.Call(Tensor.FromArray(new[] { 0.5, -1.0 }, [2], requiresGrad: true)));
        Assert.Equal(Math.Exp(0.5), g[0], 1e-15);
        Assert.Equal(Math.Exp(-1.0), g[1], 1e-15);

        var log1pexp = Autograd.CustomGradient(v =>
        {
            var e = v.Exp();
            return ((1 + e).Log(), gy => gy * (1 - 1 / (1 + e)));
        });
        Tensor Stable(Tensor big)
        {
            log1pexp(big).Backward();
            return big.Grad!;
        }
        var stable = Graph.Compile(Stable);
        SameAsEager(i => [stable.Call(Tensor.Scalar(100.0f - 50 * i, requiresGrad: true))],
            i => [Stable(Tensor.Scalar(100.0f - 50 * i, requiresGrad: true))]);
        Assert.Equal(1f, stable.Call(Tensor.Scalar(100.0f, requiresGrad: true)).Item<float>());
        // As the README says, a custom function is one op of the graph: both functions replay (no eager fallback).
        Assert.DoesNotContain("eagerly", myExp.Explain());
        Assert.DoesNotContain("eagerly", stable.Explain());
        Assert.Equal(1, myExp.TraceCount);
        Assert.Equal(1, stable.TraceCount);
    }

    // --- The training sample, both styles, compiled step vs eager step ---

    static Sequential Cnn() => new(
        new Conv2d(1, 8, 3, padding: 1, seed: 1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(8 * 14 * 14, 10, seed: 2));

    [Fact]
    public void TrainingSampleBothStylesCompiledTrainsToTheEagerParameters()
    {
        var (images, labels) = Mnist.Load(train: true, normalize: true);
        var data = new TensorDataset(images[..96], labels[..96]);
        var (modelC, modelE) = (Cnn(), Cnn());
        var (optC, optE) = (new Adam(modelC.Parameters(), learningRate: 1e-3), new Adam(modelE.Parameters(), learningRate: 1e-3));
        Func<Tensor, Tensor, Tensor> TorchStep(Module model, Optimizer opt) => (x, t) =>
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(x), t);
            loss.Backward();
            opt.Step();
            return loss;
        };
        Func<Tensor, Tensor, Tensor> TfStep(Module model, Optimizer opt) => (x, t) =>
        {
            using var tape = new GradientTape();
            var loss = Functional.CrossEntropy(model.Call(x), t);
            var grads = tape.Gradient(loss, model.TrainableVariables);
            opt.ApplyGradients(grads.Zip(model.TrainableVariables));
            return loss;
        };
        var (torchC, tfC) = (Graph.Compile(TorchStep(modelC, optC)), Graph.Compile(TfStep(modelC, optC)));
        var (torchE, tfE) = (TorchStep(modelE, optE), TfStep(modelE, optE));
        var loaderC = new DataLoader(data, batchSize: 32, shuffle: true, seed: 0);
        var loaderE = new DataLoader(data, batchSize: 32, shuffle: true, seed: 0);
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (bc, be) in loaderC.Zip(loaderE))
            {
                var step = epoch == 0 ? (torchC, torchE) : (tfC, tfE);
                Assert.Equal(D(step.Item2(be[0], be[1])), D(step.Item1.Call(bc[0], bc[1])));
            }
        var pc = modelC.Parameters().ToList();
        var pe = modelE.Parameters().ToList();
        for (int k = 0; k < pc.Count; k++) Assert.True(D(pe[k]).SequenceEqual(D(pc[k])), $"parameter {k} differs from eager");
        AssertReplayed(torchC);
        AssertReplayed(tfC);
    }
}
