using Nabla.Tests.Custom;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A CustomFunction (torch.autograd.Function) or CustomGradient (tf.custom_gradient) inside a compiled function
/// is one graph op that runs the user's Forward again on every call, and a backward pass inside the function runs
/// the user's Backward as one op on that call's context: forward values, gradients of every front end and order,
/// and training steps match eager code bit for bit, from one trace.
/// </summary>
public class CompiledCustomFunctionTests
{
    static float[] F(Tensor t) => t.ToArray<float>();
    static double[] D(Tensor t) => t.ToArray<double>();

    /// <summary>SiLU x·σ(x), saving σ(x): an intermediate that is neither input nor output of the call.</summary>
    sealed class Silu : CustomFunction
    {
        public int ForwardCalls, BackwardCalls;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ForwardCalls++;
            var s = inputs[0].Sigmoid();
            ctx.SaveForBackward(inputs[0], s);
            return [inputs[0] * s];
        }

        // d/dx x σ(x) = σ(x) (1 + x (1 − σ(x))), with Tensor ops: differentiable again.
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            BackwardCalls++;
            var (x, s) = (ctx.SavedTensors[0], ctx.SavedTensors[1]);
            return [gradOutputs[0] * s * (1.0 + x * (1.0 - s))];
        }
    }

    /// <summary>(sin x, cos x) with SetMaterializeGrads(false): records whether the gradient of each output arrived.</summary>
    sealed class SinCosUnmaterialized : CustomFunction
    {
        public readonly List<(bool Sin, bool Cos)> Arrived = [];

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SetMaterializeGrads(false);
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0].Sin(), inputs[0].Cos()];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            Arrived.Add((gradOutputs[0] is not null, gradOutputs[1] is not null));
            var x = ctx.SavedTensors[0];
            Tensor? g = null;
            if (gradOutputs[0] is { } gs) g = gs * x.Cos();
            if (gradOutputs[1] is { } gc) g = g is null ? -(gc * x.Sin()) : g - gc * x.Sin();
            return [g];
        }
    }

    /// <summary>2x with a Backward marked OnceDifferentiable.</summary>
    sealed class DoubleOnce : CustomFunction
    {
        protected override bool OnceDifferentiable => true;
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * 2.0];
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * 2.0];
    }

    /// <summary>x·c, c given to the constructor: the non-tensor argument of the call.</summary>
    sealed class Scale(double c) : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * c];
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * c];
    }

    /// <summary>The first <see cref="Count"/> elements of x: its output shape comes from C# state.</summary>
    sealed class Prefix : CustomFunction
    {
        public int Count = 2;
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0][..Count] * 1.0];
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => throw new NotSupportedException();
    }

    /// <summary>x·w saving only what the gradients needed (PyTorch's needs_input_grad pattern): x for w's gradient, w for x's.</summary>
    sealed class MulSavingWhatIsNeeded : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(ctx.NeedsInputGrad(1) ? inputs[0] : null, ctx.NeedsInputGrad(0) ? inputs[1] : null);
            return [inputs[0] * inputs[1]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) =>
            [ctx.NeedsInputGrad(0) ? gradOutputs[0] * ctx.SavedTensors[1] : null, ctx.NeedsInputGrad(1) ? gradOutputs[0] * ctx.SavedTensors[0] : null];
    }

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void ForwardRunsEveryCallAsOneOpAndMatchesEagerBitwise()
    {
        var silu = new Silu();
        var cf = Graph.Compile((Tensor x) => silu.Apply(x * 2.0) + 1.0);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Randn([5], seed: 10 + i);
            Assert.Equal(F(new Silu().Apply(x * 2.0) + 1.0), F(cf.Call(x)));
        }
        Assert.Equal(3, silu.ForwardCalls);   // C# Forward ran on the trace and on both replays
        Assert.Equal(1, cf.TraceCount);
        string graph = cf.GraphFor(Tensor.Randn([5], seed: 1));
        Assert.Contains("custom Silu(", graph);
        // The ops inside Forward are not recorded a second time as ops of the graph.
        Assert.DoesNotContain("sigmoid", graph);
    }

    [Fact]
    public void BackwardThroughReplayGivesEagerAndHandDerivedGradients()
    {
        Func<Tensor, Tensor, Tensor> f = (x, w) => new Silu().Apply(x.MatMul(w)).Sum();
        var cf = Graph.Compile(f);
        cf.Call(Tensor.Randn([3, 4], seed: 1), Tensor.Randn([4, 2], seed: 2, requiresGrad: true)).Backward();   // traced
        var x = Tensor.Randn([3, 4], seed: 3);
        var w = Tensor.Randn([4, 2], seed: 4, requiresGrad: true);
        cf.Call(x, w).Backward();
        var we = Tensor.Randn([4, 2], seed: 4, requiresGrad: true);
        f(x, we).Backward();
        Assert.Equal(F(we.Grad!), F(w.Grad!));
        Assert.Equal(1, cf.TraceCount);

        // d/dx Σ silu(x) = σ(x)(1 + x(1 − σ(x))) in float64.
        var cg = Graph.Compile((Tensor v) => new Silu().Apply(v).Sum());
        cg.Call(Tensor.FromArray(new double[] { 0, 0, 0 }, [3], requiresGrad: true));
        double[] xs = [0.5, -1.5, 2.25];
        var xd = Tensor.FromArray(xs, [3], requiresGrad: true);
        cg.Call(xd).Backward();
        var g = D(xd.Grad!);
        for (int i = 0; i < 3; i++) Assert.Equal(Sigmoid(xs[i]) * (1 + xs[i] * (1 - Sigmoid(xs[i]))), g[i], 1e-14);
        Assert.Equal(1, cg.TraceCount);
    }

    [Fact]
    public void GradientTapeThroughReplayGivesEagerGradientsAndRunsUserBackwardEachTime()
    {
        var silu = new Silu();
        Func<Tensor, Tensor, Tensor> f = (x, v) => silu.Apply(x * v).Sum();
        var cf = Graph.Compile(f);
        var v = new Variable(Tensor.Randn([4], seed: 5));
        cf.Call(Tensor.Randn([4], seed: 6), v);
        for (int i = 0; i < 2; i++)
        {
            var x = Tensor.Randn([4], seed: 7 + i);
            Tensor? compiled, eager;
            using (var tape = new GradientTape()) compiled = tape.Gradient(cf.Call(x, v), v);
            using (var tape = new GradientTape()) eager = tape.Gradient(new Silu().Apply(x * v).Sum(), v);
            Assert.Equal(F(eager!), F(compiled!));
        }
        Assert.Equal(2, silu.BackwardCalls);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void SecondOrderGradThroughReplayUsesTheDifferentiableBackward()
    {
        // Σ x³: gradient 3x², second derivative (summed) 6x.
        var cf = Graph.Compile((Tensor x) => new CubeWithJvp().Apply(x).Sum());
        cf.Call(Tensor.FromArray(new double[] { 9, 9 }, [2], requiresGrad: true));
        var x = Tensor.FromArray(new double[] { 1.5, -2 }, [2], requiresGrad: true);
        var g = Autograd.Grad(cf.Call(x), x, createGraph: true)!;
        var gg = Autograd.Grad(g.Sum(), x)!;
        Assert.Equal(new[] { 6.75, 12.0 }, D(g));
        Assert.Equal(new[] { 9.0, -12.0 }, D(gg));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ForwardAccumulatorUsesTheCustomJvpOnEveryReplay()
    {
        var cube = new CubeWithJvp();
        var cf = Graph.Compile((Tensor x) => cube.Apply(x) * 2.0);
        cf.Call(Tensor.FromArray(new double[] { 0, 0 }, [2]));   // traced outside any accumulator
        for (int i = 1; i <= 2; i++)
        {
            var x = Tensor.FromArray(new double[] { 0.5 * i, -1.5 }, [2]);
            var v = Tensor.FromArray(new double[] { 1, 2 }, [2]);
            Tensor jvp;
            using (var acc = new ForwardAccumulator(x, v)) jvp = acc.Jvp(cf.Call(x))!;
            // d/dt 2 (x + t v)³ = 6 x² v
            Assert.Equal(new[] { 6 * 0.25 * i * i, 6 * 2.25 * 2 }, D(jvp));
            Assert.Equal(i, cube.JvpCalls);
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void GradInsideCompiledFunctionRunsUserBackwardOnThatCallsSavedIntermediates()
    {
        // The gradient is taken inside the function: the user's Backward reads σ(x) saved by this call's Forward,
        // not the traced call's (a frozen capture would give the first call's gradient every time).
        Func<Tensor, Tensor> f = x => Autograd.Grad(new Silu().Apply(x).Sum(), x)!;
        var cf = Graph.Compile(f);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Randn([6], seed: 20 + i, requiresGrad: true);
            Assert.Equal(F(f(x)), F(cf.Call(x)));
        }
        Assert.Equal(1, cf.TraceCount);
        Assert.Contains("custom SiluBackward(", cf.GraphFor(Tensor.Randn([6], seed: 1, requiresGrad: true)));
    }

    [Fact]
    public void HessianVectorProductThroughACustomBackwardInsideRunsEagerlyWithTheReason()
    {
        // g = d/dx Σ x³ = 3x² (createGraph), then d/dx <g, v> = 6 x v. The second pass differentiates the ops of the
        // custom Backward, which ran as one op: the graph can't hold them, so the function runs eagerly, correctly.
        var cf = Graph.Compile((Tensor x, Tensor v) =>
        {
            var g = Autograd.Grad(new CubeWithJvp().Apply(x).Sum(), x, createGraph: true)!;
            return Autograd.Grad((g * v).Sum(), x)!;
        });
        for (int i = 0; i < 2; i++)
        {
            var x = Tensor.FromArray(new double[] { 0.5, -2 }, [2], requiresGrad: true);
            var hv = cf.Call(x, Tensor.FromArray(new double[] { 3, 0.25 }, [2]));
            Assert.Equal(new[] { 6 * 0.5 * 3, 6 * -2 * 0.25 }, D(hv));
        }
        string explain = cf.Explain();
        Assert.Contains("runs eagerly", explain);
        Assert.Contains("C# Backward of the custom function CubeWithJvp", explain);
        Assert.Contains("higher-order gradient", explain);
    }

    static (Module Net, Sgd Opt) Model()
    {
        var net = new Sequential(new Linear(4, 3, seed: 1), new Linear(3, 1, seed: 2));
        return (net, new Sgd(net.Parameters(), learningRate: 0.1));
    }

    // A training step with a custom activation between the layers, and a CustomGradient (tf.custom_gradient's
    // log1pexp example) on the output: both backward functions read tensors saved by that step's forward.
    static Func<Tensor, Tensor, Tensor> Step(Sequential net, Optimizer opt)
    {
        var log1pexp = Autograd.CustomGradient(x =>
        {
            var e = x.Exp();
            return ((1.0 + e).Log(), gy => gy * (1.0 - 1.0 / (1.0 + e)));
        });
        return (x, y) =>
        {
            opt.ZeroGrad();
            var h = new Silu().Apply(net[0].Call(x));
            var loss = (log1pexp(net[1].Call(h)) - y).Pow(2).Mean();
            loss.Backward();
            opt.Step();
            return loss;
        };
    }

    [Fact]
    public void CompiledTrainingStepWithCustomFunctionsTrainsToTheEagerParametersBitwise()
    {
        var (netC, optC) = Model();
        var (netE, optE) = Model();
        var compiled = Graph.Compile(Step((Sequential)netC, optC));
        var eager = Step((Sequential)netE, optE);
        for (int i = 0; i < 5; i++)
        {
            var (x, y) = (Tensor.Randn([8, 4], seed: 100 + i), Tensor.Randn([8, 1], seed: 200 + i));
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
        }
        var pc = netC.Parameters().ToList();
        var pe = netE.Parameters().ToList();
        for (int k = 0; k < pc.Count; k++) Assert.Equal(F(pe[k]), F(pc[k]));
        Assert.Equal(1, compiled.TraceCount);
        Assert.NotEqual(F(Model().Net.Parameters().First()), F(pc[0]));   // training moved them
        string graph = compiled.GraphFor(Tensor.Randn([8, 4], seed: 1), Tensor.Randn([8, 1], seed: 2));
        Assert.Contains("custom SiluBackward(", graph);
        Assert.Contains("custom CustomGradientBackward(", graph);
    }

    [Fact]
    public void CustomGradientWithVariablesGivesTheVariablesGradientThroughReplay()
    {
        // y = w1 x + w0 with the gradient of TF's docs example: dy/dw = [Σ dy, Σ dy x].
        var w = new Variable(Tensor.FromArray(new double[] { 1.0, 1.0 }, [2]));
        var linear = Autograd.CustomGradient((Tensor x) =>
        {
            var y = w[1] * x + w[0];
            return (y, (dy, variables) => (dy * w[1], [Tensor.Stack([dy.Sum(), (dy * x).Sum()])]));
        });
        var cf = Graph.Compile((Tensor x) => linear(x) * 3.0);
        cf.Call(Tensor.FromArray(new double[] { 0, 0, 0 }, [3]));
        w.Assign(Tensor.FromArray(new double[] { 0.5, -2.0 }, [2]));   // read by reference on every call
        var xs = Tensor.FromArray(new double[] { 1, 2, 4 }, [3]);
        Tensor out_, gw;
        using (var tape = new GradientTape()) { out_ = cf.Call(xs); gw = tape.Gradient(out_.Sum(), w)!; }
        Assert.Equal(new[] { -4.5, -10.5, -22.5 }, D(out_));   // 3 (−2x + 0.5)
        Assert.Equal(new[] { 9.0, 21.0 }, D(gw));             // [3·3, 3·(1+2+4)]
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void InPlaceCustomFunctionUpdatesItsInputOnEveryCallInProgramOrder()
    {
        // buffer ← buffer · x before it is read: the update is an effect of every call, as eager code's.
        var compiledBuffer = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        var eagerBuffer = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        Func<Tensor, Tensor, Tensor> f = (buffer, x) => new CustomFunctionFidelityTests.ScaleInPlace().Apply(buffer, x) + buffer.Sum();
        var cf = Graph.Compile((Tensor x) => f(compiledBuffer, x));
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.FromArray(new double[] { 2, 0.5 * (i + 1) }, [2]);
            Assert.Equal(D(f(eagerBuffer, x)), D(cf.Call(x)));
            Assert.Equal(D(eagerBuffer), D(compiledBuffer));
        }
        Assert.Equal(new[] { 8.0, 2 * 0.5 * 1.0 * 1.5 }, D(compiledBuffer));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void InPlaceCustomFunctionOnATensorMadeInsideGivesEagerGradients()
    {
        // a = 2x; a ← a·w (dirty): y = Σ (2x w)², dy/dw = 8 x² w.
        Func<Tensor, Tensor, Tensor> f = (x, w) =>
        {
            var a = x * 2.0;
            new CustomFunctionFidelityTests.ScaleInPlace().Apply(a, w);
            return (a * a).Sum();
        };
        var cf = Graph.Compile(f);
        cf.Call(Tensor.FromArray(new double[] { 1, 1 }, [2]), Tensor.FromArray(new double[] { 1, 1 }, [2], requiresGrad: true)).Backward();
        var x = Tensor.FromArray(new double[] { 0.5, -3 }, [2]);
        var w = Tensor.FromArray(new double[] { 2, 0.25 }, [2], requiresGrad: true);
        cf.Call(x, w).Backward();
        Assert.Equal(new[] { 8 * 0.25 * 2, 8 * 9 * 0.25 }, D(w.Grad!));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void SetMaterializeGradsFalsePassesNullForTheUnusedOutputThroughReplay()
    {
        var fn = new SinCosUnmaterialized();
        var cf = Graph.Compile((Tensor x) => fn.ApplyAll(x)[0].Sum());
        cf.Call(Tensor.FromArray(new double[] { 0, 0 }, [2], requiresGrad: true)).Backward();
        var x = Tensor.FromArray(new double[] { 0.25, -1 }, [2], requiresGrad: true);
        cf.Call(x).Backward();
        Assert.Equal(new[] { Math.Cos(0.25), Math.Cos(-1.0) }, D(x.Grad!));
        Assert.Equal([(true, false), (true, false)], fn.Arrived);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void OnceDifferentiableGivesFirstOrderThroughReplayAndRefusesSecondOrderNamingTheFunction()
    {
        var cf = Graph.Compile((Tensor x) => (new DoubleOnce().Apply(x) * x).Sum());
        cf.Call(Tensor.FromArray(new double[] { 1, 1 }, [2], requiresGrad: true));
        var x = Tensor.FromArray(new double[] { 1.5, -2 }, [2], requiresGrad: true);
        // d/dx Σ 2x·x = 4x
        var g = Autograd.Grad(cf.Call(x), x, createGraph: true)!;
        Assert.Equal(new[] { 6.0, -8.0 }, D(g));
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(g.Sum(), x));
        Assert.Contains("DoubleOnce", e.Message);
        Assert.Contains("OnceDifferentiable", e.Message);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void NonTensorArgumentsAreTakenWhenTracedLikeOtherCSharpValues()
    {
        // The function object (with its constructor arguments) is made by C# code that runs only when traced:
        // the graph keeps that instance, as it keeps `x * factor`'s constant.
        double factor = 2;
        var cf = Graph.Compile((Tensor x) => new Scale(factor).Apply(x) + x * factor);
        var x = Tensor.FromArray(new double[] { 1, -3 }, [2]);
        Assert.Equal(new[] { 4.0, -12.0 }, D(cf.Call(x)));
        factor = 5;
        Assert.Equal(new[] { 4.0, -12.0 }, D(cf.Call(x)));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void FullGraphAcceptsACustomFunction()
    {
        var cf = Graph.Compile((Tensor x) => new Silu().Apply(x).Sum(), new CompileOptions { FullGraph = true });
        var x = Tensor.FromArray(new double[] { 1, -1 }, [2]);
        cf.Call(x);
        Assert.Equal(2 * Sigmoid(1) - 1, cf.Call(x).Item<double>(), 1e-15);
        Assert.Equal(1, cf.TraceCount);
        Assert.DoesNotContain("eagerly", cf.Explain());
    }

    [Fact]
    public void ForwardReturningAnotherShapeOnReplayIsAnErrorNamingTheFunction()
    {
        var prefix = new Prefix();
        var cf = Graph.Compile((Tensor x) => prefix.Apply(x) * 2.0);
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [3]);
        Assert.Equal(new[] { 2.0, 4.0 }, D(cf.Call(x)));
        prefix.Count = 3;
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(x));
        Assert.Contains("Prefix", e.Message);
        Assert.Contains("[3] float64", e.Message);
        Assert.Contains("[2] float64", e.Message);
    }

    [Fact]
    public void ForwardAccumulatorOpenedInsideRunsTheFunctionEagerlyWithTheReason()
    {
        Func<Tensor, Tensor> f = x =>
        {
            using var acc = new ForwardAccumulator(x, Tensor.OnesLike(x));
            return acc.Jvp(new CubeWithJvp().Apply(x))!;
        };
        var cf = Graph.Compile(f);
        var x = Tensor.FromArray(new double[] { 2, -1 }, [2]);
        Assert.Equal(new[] { 12.0, 3.0 }, D(cf.Call(x)));
        Assert.Equal(new[] { 12.0, 3.0 }, D(cf.Call(Tensor.FromArray(new double[] { 2, -1 }, [2]))));
        Assert.Contains("Cube", cf.Explain());
        Assert.Contains("ForwardAccumulator", cf.Explain());
    }

    [Fact]
    public void SaveRefusesAGraphWithACustomCallNamingTheFunction()
    {
        var cf = Graph.Compile((Tensor x) => new Silu().Apply(x) * 2.0);
        cf.Call(Tensor.FromArray(new double[] { 1, 2 }, [2]));
        var stream = new MemoryStream();
        var e = Assert.Throws<InvalidOperationException>(() => cf.Save(stream));
        Assert.Contains("'Silu'", e.Message);
        Assert.Contains("CompiledFunction.Save", e.Message);
        Assert.Equal(0, stream.Length);
    }
    [Fact]
    public void CheckpointInsideCompiledFunctionGivesEagerGradients()
    {
        // Autograd.Checkpoint is a custom function: its Forward reruns per call, its Backward recomputes.
        Func<Tensor, Tensor, Tensor> f = (x, w) => Autograd.Checkpoint(xs => xs[0].MatMul(xs[1]).Tanh().Sum(), x, w);
        var cf = Graph.Compile(f);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Randn([3, 4], seed: 30 + i);
            var w = Tensor.Randn([4, 2], seed: 40 + i, requiresGrad: true);
            var we = Tensor.Randn([4, 2], seed: 40 + i, requiresGrad: true);
            var yc = cf.Call(x, w);
            var ye = f(x, we);
            Assert.Equal(F(ye), F(yc));
            yc.Backward();
            ye.Backward();
            Assert.Equal(F(we.Grad!), F(w.Grad!));
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void CustomFunctionInACondBranchRunsWhenThatBranchIsTaken()
    {
        var silu = new Silu();
        var cf = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => silu.Apply(x), () => x * 3.0));
        var pos = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        cf.Call(pos).Sum().Backward();
        var neg = Tensor.FromArray(new double[] { -1, -2 }, [2], requiresGrad: true);
        Assert.Equal(new[] { -3.0, -6.0 }, D(cf.Call(neg)));
        var pos2 = Tensor.FromArray(new double[] { 0.5, 1 }, [2], requiresGrad: true);
        cf.Call(pos2).Sum().Backward();
        for (int i = 0; i < 2; i++)
        {
            double v = new[] { 0.5, 1.0 }[i];
            Assert.Equal(Sigmoid(v) * (1 + v * (1 - Sigmoid(v))), D(pos2.Grad!)[i], 1e-15);
        }
        Assert.Equal(1, cf.TraceCount);
    }
    [Fact]
    public void NeedsInputGradAnswersAsTracedWhenOnlyABackwardInsideUsesTheCall()
    {
        // Only the gradient inside the function uses the call, so replays run its forward without recording; its
        // Forward must still see NeedsInputGrad as traced, or it would not save x for w's gradient.
        var cf = Graph.Compile((Tensor x, Tensor w) => Autograd.Grad(new MulSavingWhatIsNeeded().Apply(x, w).Pow(2).Sum(), w)!);
        cf.Call(Tensor.FromArray(new double[] { 1, 1 }, [2]), Tensor.FromArray(new double[] { 1, 1 }, [2], requiresGrad: true));
        var x = Tensor.FromArray(new double[] { 3, -0.5 }, [2]);
        var w = Tensor.FromArray(new double[] { 2, 4 }, [2], requiresGrad: true);
        // d/dw Σ (x w)² = 2 x² w
        Assert.Equal(new[] { 36.0, 2.0 }, D(cf.Call(x, w)));
        Assert.Contains("[unrecorded]", cf.GraphFor(x, w));
        Assert.Equal(1, cf.TraceCount);
    }
    [Fact]
    public void CustomGradientReadingOtherVariablesOnReplayIsAnErrorNamingTheFunction()
    {
        var w = new Variable(Tensor.FromArray(new double[] { 2.0 }, [1]), name: "w");
        bool readW = true;
        var f = Autograd.CustomGradient((Tensor x) =>
        {
            var y = readW ? x * w : x * 1.0;
            return (y, (dy, variables) => (dy, [.. variables.Select(v => (Tensor?)dy.Sum().Reshape([1]))]));
        });
        var cf = Graph.Compile((Tensor x) => f(x) + 1.0);
        Assert.Equal(new[] { 7.0 }, D(cf.Call(Tensor.FromArray(new double[] { 3 }, [1]))));
        readW = false;
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.FromArray(new double[] { 3 }, [1])));
        Assert.Contains("CustomGradient", e.Message);
        Assert.Contains("read 0 trainable variable(s) in this call but 1", e.Message);
    }
}
