using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A backward pass inside a compiled function is recorded into its graph op by op (the primitives' VJP
/// rules), and the forward ops only it consumed replay without recording nodes. These check what that must
/// keep: the eager numbers, the caller's view of the outputs, higher orders, and retracing when what the
/// recorded backward assumed (which leaves require grad) changes.
/// </summary>
public class CompiledBackwardGraphTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static (Module Net, Sgd Opt) Model()
    {
        var net = new Sequential(new Linear(4, 3, seed: 1, dtype: DType.Float64), new Tanh(), new Linear(3, 1, seed: 2, dtype: DType.Float64));
        return (net, new Sgd(net.Parameters(), learningRate: 0.1));
    }

    static Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => (x, y) =>
    {
        opt.ZeroGrad();
        var loss = (net.Call(x) - y).Pow(2).Mean();
        loss.Backward();
        opt.Step();
        return loss;
    };

    static (Tensor X, Tensor Y) Batch(int i) =>
        (Tensor.Randn([8, 4], seed: 100 + i, dtype: DType.Float64), Tensor.Randn([8, 1], seed: 200 + i, dtype: DType.Float64));

    [Fact]
    public void FreezingALayerBetweenCallsRetracesAndMatchesEager()
    {
        var (netC, optC) = Model();
        var (netE, optE) = Model();
        var compiled = Graph.Compile(Step(netC, optC));
        var eager = Step(netE, optE);
        for (int i = 0; i < 6; i++)
        {
            if (i == 3)
                foreach (var net in new[] { netC, netE })
                    net.Parameters().First().RequiresGrad = false;   // freeze the first weight
            var (x, y) = Batch(i);
            Assert.Equal(D(eager(x, y)), D(compiled.Call(x, y)));
        }
        var pc = netC.Parameters().ToList();
        var pe = netE.Parameters().ToList();
        for (int k = 0; k < pc.Count; k++) Assert.Equal(D(pe[k]), D(pc[k]));
        Assert.Null(pc[0].Grad);                                       // frozen: no gradient recorded for it after the retrace
        Assert.Contains("Variable 'weight' ([3, 4]): requires_grad true -> false", compiled.Explain());
    }

    [Fact]
    public void LossOfACompiledStepReadsAsEagerAndRefusesASecondBackward()
    {
        var (net, opt) = Model();
        var compiled = Graph.Compile(Step(net, opt));
        var (x, y) = Batch(0);
        compiled.Call(x, y);
        compiled.Call(x, y);
        var loss = compiled.Call(x, y);                                // replayed: its forward recorded no node
        Assert.Equal(1, compiled.TraceCount);
        Assert.True(loss.RequiresGrad);
        Assert.Equal("DivBackward", loss.GradFn!.Name);
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("backward through the graph a second time", e.Message);
        // The eager loss says the same.
        var eagerLoss = (net.Call(x) - y).Pow(2).Mean();
        eagerLoss.Backward();
        Assert.Contains("backward through the graph a second time", Assert.Throws<InvalidOperationException>(() => eagerLoss.Backward()).Message);
    }

    [Fact]
    public void RetainedGraphOfACompiledStepCanBeWalkedAgainByTheCaller()
    {
        var w = Tensor.FromArray(new[] { 0.5, -1.5, 2.0 }, [3], requiresGrad: true);
        var cf = Graph.Compile((Tensor x) =>
        {
            var loss = (x * w).Sin().Sum();
            loss.Backward(retainGraph: true);
            return loss;
        });
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, [3]);
        for (int call = 0; call < 3; call++)
        {
            w.Grad = null;
            var loss = cf.Call(x);
            loss.Backward();                                             // the caller walks the retained graph again
            // Two passes: 2 x cos(x w).
            Assert.Equal(new[] { 1.0, 2.0, 3.0 }.Select((xi, i) => 2 * xi * Math.Cos(xi * new[] { 0.5, -1.5, 2.0 }[i])), D(w.Grad!), new Tolerance(1e-15));
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void GradientPenaltyWithCreateGraphInsideMatchesEager()
    {
        // loss = sum(x w)^2 + |d loss0 / dx|^2: a createGraph pass inside, then a backward through it.
        Func<Tensor, Tensor, Tensor> step = (x, w) =>
        {
            var xs = x.Detach();
            xs.RequiresGrad = true;
            var inner = (xs.MatMul(w).Tanh()).Sum();
            var gx = Autograd.Grad(inner, xs, createGraph: true)!;
            var loss = inner * inner + (gx * gx).Sum();
            loss.Backward();
            return loss;
        };
        var cf = Graph.Compile(step);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Randn([5, 3], seed: 10 + i, dtype: DType.Float64);
            var wc = Tensor.Randn([3, 2], seed: 20 + i, dtype: DType.Float64, requiresGrad: true);
            var we = Tensor.Randn([3, 2], seed: 20 + i, dtype: DType.Float64, requiresGrad: true);
            Assert.Equal(D(step(x, we)), D(cf.Call(x, wc)));
            Assert.Equal(D(we.Grad!), D(wc.Grad!));
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void CreateGraphGradientReturnedFromACompiledFunctionIsDifferentiableAgain()
    {
        // f(x) = d/dx sum(x^3) = 3 x^2, computed inside; the caller differentiates it again: 6 x.
        var cf = Graph.Compile((Tensor x) => Autograd.Grad((x * x * x).Sum(), x, createGraph: true)!);
        for (int call = 0; call < 3; call++)
        {
            var x = Tensor.FromArray(new[] { 1.0 + call, -2.0, 0.5 }, [3], requiresGrad: true);
            var g = cf.Call(x);
            Assert.Equal(new[] { 3 * (1.0 + call) * (1.0 + call), 12.0, 0.75 }, D(g));
            g.Sum().Backward();
            Assert.Equal(new[] { 6 * (1.0 + call), -12.0, 3.0 }, D(x.Grad!));
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void TapeTrainingStepInsideACompiledFunctionMatchesEager()
    {
        static Func<Tensor, Tensor, Tensor> TapeStep(Module net, Optimizer opt) => (x, y) =>
        {
            using var tape = new GradientTape();
            var loss = (net.Call(x) - y).Pow(2).Mean();
            var grads = tape.Gradient(loss, net.TrainableVariables);
            opt.ApplyGradients(grads.Zip(net.TrainableVariables, (g, v) => (g, v)));
            return loss;
        };
        var (netC, optC) = Model();
        var (netE, optE) = Model();
        var compiled = Graph.Compile(TapeStep(netC, optC));
        var eager = TapeStep(netE, optE);
        for (int i = 0; i < 4; i++)
        {
            var (x, y) = Batch(i);
            Assert.Equal(D(eager(x, y)), D(compiled.Call(x, y)));
        }
        var pc = netC.Parameters().ToList();
        var pe = netE.Parameters().ToList();
        for (int k = 0; k < pc.Count; k++) Assert.Equal(D(pe[k]), D(pc[k]));
        Assert.Equal(1, compiled.TraceCount);
    }

    [Fact]
    public void ConvMaxPoolTrainingStepMatchesEagerOnEveryBatch()
    {
        // Max pooling's backward scatters into the positions of each call's maxima (an input of max_unpool, not
        // a parameter frozen at trace): new batches put the maxima elsewhere, and the gradients must follow.
        static (Module, Sgd) Cnn()
        {
            var net = new Sequential(new Conv2d(1, 3, 3, padding: 1, seed: 1, dtype: DType.Float64), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(3 * 4 * 4, 2, seed: 2, dtype: DType.Float64));
            return (net, new Sgd(net.Parameters(), learningRate: 0.05));
        }
        var (netC, optC) = Cnn();
        var (netE, optE) = Cnn();
        var compiled = Graph.Compile(Step(netC, optC));
        var eager = Step(netE, optE);
        for (int i = 0; i < 4; i++)
        {
            var x = Tensor.Randn([2, 1, 8, 8], seed: 30 + i, dtype: DType.Float64);
            var y = Tensor.Randn([2, 2], seed: 40 + i, dtype: DType.Float64);
            Assert.Equal(D(eager(x, y)), D(compiled.Call(x, y)));
        }
        var pc = netC.Parameters().ToList();
        var pe = netE.Parameters().ToList();
        for (int k = 0; k < pc.Count; k++) Assert.Equal(D(pe[k]), D(pc[k]));
        Assert.Equal(1, compiled.TraceCount);
    }

    sealed class Tolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(b));
        public int GetHashCode(double d) => 0;
    }
}
