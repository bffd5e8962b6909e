using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A whole training step (forward, backward, optimizer update) compiled into one graph that is replayed
/// for every later step: the learning rate and the step counts are read again by each replay (rebuilt ops,
/// host effects), and the first step's state is made outside the graph, so Adam traces once and trains to
/// bitwise the parameters, losses and optimizer state of the eager loop.
/// </summary>
public class CompiledOptimizerStepTests
{
    const int Steps = 20;

    static float[] F(Tensor t) => t.ToArray<float>();

    static Module Net() => new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 1, seed: 2));

    static (Tensor X, Tensor Y) Batch(int i) => CompiledTrainingStepTests.Batch(i);

    static Optimizer Make(string name, Module net) => name switch
    {
        "adam" => new Adam(net.Parameters(), learningRate: 0.01, weightDecay: 0.05),
        "adamw" => new AdamW(net.Parameters(), learningRate: 0.01, weightDecay: 0.1),
        "adam-maximize" => new Adam(net.Parameters(), learningRate: 0.01, maximize: true),
        "sgd-momentum" => new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9, weightDecay: 0.01),
        "sgd-nesterov" => new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9, nesterov: true),
        "rmsprop" => new RmsProp(net.Parameters(), learningRate: 0.01, momentum: 0.5, centered: true),
        "adagrad" => new Adagrad(net.Parameters(), learningRate: 0.1, lrDecay: 0.05),
        _ => throw new ArgumentException(name),
    };

    /// <summary>PyTorch style: ZeroGrad, forward, Backward, Step.</summary>
    static Func<Tensor, Tensor, Tensor> TorchStep(Module net, Optimizer opt) => CompiledTrainingStepTests.Step(net, opt);

    /// <summary>Functional gradients handed to ApplyGradients (TF's apply_gradients with gradients from Autograd.Grad).</summary>
    static Func<Tensor, Tensor, Tensor> ApplyStep(Module net, Optimizer opt) => (x, y) =>
    {
        var vars = net.TrainableVariables;
        var loss = (net.Call(x) - y).Pow(2).Mean();
        var grads = Autograd.Grad([loss], vars.Cast<Tensor>().ToList());
        opt.ApplyGradients(grads.Zip(vars));
        return loss;
    };

    /// <summary>TF style: GradientTape, then ApplyGradients.</summary>
    static Func<Tensor, Tensor, Tensor> TapeStep(Module net, Optimizer opt) => (x, y) =>
    {
        var vars = net.TrainableVariables;
        using var tape = new GradientTape();
        var loss = (net.Call(x) - y).Pow(2).Mean();
        var grads = tape.Gradient(loss, vars);
        opt.ApplyGradients(grads.Zip(vars));
        return loss;
    };

    static void AssertSameParameters(Module expected, Module actual)
    {
        var pe = expected.Parameters().ToList();
        var pa = actual.Parameters().ToList();
        for (int k = 0; k < pe.Count; k++) Assert.Equal(F(pe[k]), F(pa[k]));
    }

    static void AssertSameState(Optimizer expected, Optimizer actual, long steps)
    {
        var se = expected.StateDict();
        var sa = actual.StateDict();
        Assert.Equal(se.State.Keys.Order(), sa.State.Keys.Order());
        foreach (var (index, buffers) in se.State)
        {
            Assert.Equal(buffers.Keys.Order(), sa.State[index].Keys.Order());
            Assert.Equal((double)steps, sa.State[index]["step"].Item<double>());
            foreach (var (key, t) in buffers.Where(b => b.Key != "step")) Assert.Equal(F(t), F(sa.State[index][key]));
        }
        for (int g = 0; g < se.ParamGroups.Count; g++) Assert.Equal(se.ParamGroups[g].Options, sa.ParamGroups[g].Options);
    }

    /// <summary>
    /// Runs <see cref="Steps"/> steps both ways, comparing losses bit for bit; <paramref name="afterStep"/>
    /// makes, for each optimizer, what runs after each of its steps (a scheduler's Step).
    /// </summary>
    static (Module NetE, Module NetC, Optimizer OptE, Optimizer OptC, CompiledFunction Compiled) Train(
        string optimizer, Func<Module, Optimizer, Func<Tensor, Tensor, Tensor>> style, Func<Optimizer, Action>? afterStep = null)
    {
        var (netE, netC) = (Net(), Net());
        var (optE, optC) = (Make(optimizer, netE), Make(optimizer, netC));
        var (afterE, afterC) = (afterStep?.Invoke(optE), afterStep?.Invoke(optC));
        var eager = style(netE, optE);
        var compiled = Graph.Compile(style(netC, optC));
        for (int i = 0; i < Steps; i++)
        {
            var (x, y) = Batch(i);
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
            afterE?.Invoke();
            afterC?.Invoke();
        }
        AssertSameParameters(netE, netC);
        return (netE, netC, optE, optC, compiled);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("adam-maximize")]
    public void CompiledAdamTorchStyleStepTracesOnceAndTrainsBitwiseLikeEager(string optimizer)
    {
        var (_, netC, optE, optC, compiled) = Train(optimizer, TorchStep);
        Assert.Equal(1, compiled.TraceCount);
        AssertSameState(optE, optC, Steps);
        // Training did move the parameters.
        Assert.NotEqual(F(Net().Parameters().First()), F(netC.Parameters().First()));
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void CompiledAdamApplyGradientsStepTracesOnceAndTrainsBitwiseLikeEager(string optimizer)
    {
        var (_, _, optE, optC, compiled) = Train(optimizer, ApplyStep);
        Assert.Equal(1, compiled.TraceCount);
        AssertSameState(optE, optC, Steps);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void CompiledAdamGradientTapeStepTrainsBitwiseLikeEagerWithOneTrace(string optimizer)
    {
        var (_, _, optE, optC, compiled) = Train(optimizer, TapeStep);
        Assert.Equal(1, compiled.TraceCount);
        Assert.DoesNotContain("runs eagerly", compiled.Explain());   // the tape's gradient is in the graph
        AssertSameState(optE, optC, Steps);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgd-momentum")]
    [InlineData("rmsprop")]
    [InlineData("adagrad")]
    public void LearningRateScheduledEveryStepNeverRetracesAndMatchesEager(string optimizer)
    {
        var (_, _, optE, optC, compiled) = Train(optimizer, TorchStep, afterStep: opt => new ExponentialLR(opt, gamma: 0.8).Step);
        // The rate changed at every step: 0.8^20 of the initial one at the end.
        Assert.Equal(optE.ParamGroups[0].InitialLearningRate!.Value * Math.Pow(0.8, Steps), optC.LearningRate, 12);
        // SGD's first step takes the gradient as its momentum buffer (torch.optim.SGD), a different graph
        // from the later steps: one retrace, for the new buffer, never for the rate.
        Assert.Equal(optimizer == "sgd-momentum" ? 2 : 1, compiled.TraceCount);
        Assert.DoesNotContain("lr=", compiled.Explain());
        AssertSameState(optE, optC, Steps);
    }

    [Theory]
    [InlineData("sgd-momentum")]
    [InlineData("sgd-nesterov")]
    public void CompiledSgdWithMomentumRetracesOnlyForTheNewBufferAndMatchesEager(string optimizer)
    {
        var (_, _, optE, optC, compiled) = Train(optimizer, TorchStep);
        Assert.Equal(2, compiled.TraceCount);
        Assert.Matches(@"retrace #2 of .*: guard at .*: Sgd state: group 0 parameter 0 state #\d+ buffers= -> group 0 parameter 0 state #\d+ buffers=momentum_buffer",
            compiled.Explain());
        AssertSameState(optE, optC, Steps);
    }

    [Fact]
    public void GraphOfACompiledAdamStepCountsStepsAndRebuildsTheFusedUpdate()
    {
        var net = Net();
        var opt = new AdamW(net.Parameters(), learningRate: 0.01);
        var compiled = Graph.Compile(TorchStep(net, opt));
        var (x, y) = Batch(0);
        compiled.Call(x, y);
        var text = compiled.GraphFor(x, y);
        // One step-count effect and one rebuilt fused write per parameter (4), and AdamW's rebuilt decay scalar each.
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(text, @"host: AdamW step count of '[^']*' \+= 1").Count);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(text, @"adam_step\(%\d+, %\d+, %\d+, %\d+\)  writes .* \[no_grad\] \[rebuilt per call\]").Count);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(text, @"= full\(\) : \[\] float32 \[no_grad\] \[rebuilt per call\]").Count);
        // The moment buffers are captures (made outside the graph on the first call), not ops of it.
        Assert.Equal(8, System.Text.RegularExpressions.Regex.Matches(text, @"= capture tensor : ").Count);
    }

    [Fact]
    public void LoadingOptimizerStateBetweenCompiledStepsRetracesAndUsesTheLoadedBuffers()
    {
        // The graph holds the moment buffers by reference: a loaded state dict brings new ones, so the next
        // call must not replay the old graph (it would update the old buffers).
        var (netE, netC) = (Net(), Net());
        var (optE, optC) = (Make("adam", netE), Make("adam", netC));
        var eager = TorchStep(netE, optE);
        var compiled = Graph.Compile(TorchStep(netC, optC));
        OptimizerStateDict? checkpoint = null;
        for (int i = 0; i < 8; i++)
        {
            if (i == 3) checkpoint = optE.StateDict();
            if (i == 6)
            {
                optE.LoadStateDict(checkpoint!);
                optC.LoadStateDict(checkpoint!);
            }
            var (x, y) = Batch(i);
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
        }
        AssertSameParameters(netE, netC);
        AssertSameState(optE, optC, 5);    // 3 steps before the checkpoint, then steps 6 and 7
        Assert.Equal(2, compiled.TraceCount);
    }

    [Fact]
    public void CompiledCrossEntropyStepReplaysForNewLabelsAndStillRejectsABadOne()
    {
        // CrossEntropy checks its targets, and Gather its indices, with one count read back (a guard that stays
        // 0), not a read of every label: a graph traced on one batch serves the next batch's labels.
        Func<Module, Optimizer, Func<Tensor, Tensor, Tensor>> step = (net, opt) => (x, labels) =>
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(net.Call(x), labels);
            loss.Backward();
            opt.Step();
            return loss;
        };
        Module Classifier() => new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 5, seed: 2));
        var (netE, netC) = (Classifier(), Classifier());
        var (optE, optC) = (new Adam(netE.Parameters(), learningRate: 0.01), new Adam(netC.Parameters(), learningRate: 0.01));
        var (eager, compiled) = (step(netE, optE), Graph.Compile(step(netC, optC)));
        for (int i = 0; i < 6; i++)
        {
            var x = Tensor.Randn([8, 4], seed: 300 + i);
            var labels = Tensor.FromArray(Enumerable.Range(0, 8).Select(k => (long)((k * (i + 1) + i) % 5)).ToArray(), [8]);
            Assert.Equal(F(eager(x, labels)), F(compiled.Call(x, labels)));
        }
        AssertSameParameters(netE, netC);
        Assert.Equal(1, compiled.TraceCount);

        // A loss alone (no update before the check): a bad label fails the guard, the retrace runs the
        // check eagerly and throws CrossEntropy's error.
        var lossOnly = Graph.Compile((Tensor logits, Tensor t) => Functional.CrossEntropy(logits, t));
        var z = Tensor.Randn([3, 5], seed: 9);
        Assert.Equal(F(Functional.CrossEntropy(z, Tensor.FromArray(new long[] { 4, 0, 2 }, [3]))),
            F(lossOnly.Call(z, Tensor.FromArray(new long[] { 4, 0, 2 }, [3]))));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => lossOnly.Call(z, Tensor.FromArray(new long[] { 1, 7, 2 }, [3])));
        Assert.Contains("target 7 is out of range for 5 classes", ex.Message);
    }

    [Fact]
    public void CompiledStepCalledInsideAnotherCompiledFunctionStillCountsStepsAndFollowsTheRate()
    {
        // The inner graph's host effects and rebuilt ops are recorded again by the outer trace.
        var (netE, netC) = (Net(), Net());
        var (optE, optC) = (Make("adamw", netE), Make("adamw", netC));
        var (schedE, schedC) = (new ExponentialLR(optE, gamma: 0.7), new ExponentialLR(optC, gamma: 0.7));
        var eager = TorchStep(netE, optE);
        var inner = Graph.Compile(TorchStep(netC, optC));
        var (x0, y0) = Batch(0);
        inner.Call(x0, y0);                         // inner traced: the outer call below replays it
        eager(x0, y0);
        schedE.Step();
        schedC.Step();
        var outer = Graph.Compile((Tensor x, Tensor y) => inner.Call(x, y));
        for (int i = 1; i < 8; i++)
        {
            var (x, y) = Batch(i);
            Assert.Equal(F(eager(x, y)), F(outer.Call(x, y)));
            schedE.Step();
            schedC.Step();
        }
        AssertSameParameters(netE, netC);
        AssertSameState(optE, optC, 8);
        Assert.Equal(1, outer.TraceCount);
        Assert.Equal(1, inner.TraceCount);
    }
}
