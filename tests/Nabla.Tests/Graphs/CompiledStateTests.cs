using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Captured tensors are read at every call (never baked in), tensor side effects happen on every call in
/// program order, random ops draw fresh numbers like eager code, and module modes are part of the signature.
/// </summary>
// Draws from (and reseeds) the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class CompiledStateTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    [Fact]
    public void CapturedVariableAssignedBetweenCallsIsSeen()
    {
        var scale = new Variable(2.0f);
        var cf = Graph.Compile((Tensor x) => x * scale);
        var x = Tensor.FromArray(new float[] { 1, -3 }, [2]);
        Assert.Equal(new float[] { 2, -6 }, F(cf.Call(x)));
        scale.Assign(5.0);
        Assert.Equal(new float[] { 5, -15 }, F(cf.Call(x)));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void InPlaceUpdatesOfCapturesHappenOnEveryCallInProgramOrder()
    {
        // counter += 1 and then the output reads the new value: order matters.
        var counter = new Variable(Tensor.Zeros([]), trainable: false);
        var total = Tensor.Zeros([2]);
        var cf = Graph.Compile((Tensor x) =>
        {
            counter.AssignAdd(1.0);
            total.AddInPlace(x);
            return x * counter;
        });
        var x = Tensor.FromArray(new float[] { 1, 2 }, [2]);
        Assert.Equal(new float[] { 1, 2 }, F(cf.Call(x)));
        Assert.Equal(new float[] { 2, 4 }, F(cf.Call(x)));
        Assert.Equal(new float[] { 3, 6 }, F(cf.Call(x)));
        Assert.Equal(3f, counter.Item<float>());
        Assert.Equal(new float[] { 3, 6 }, F(total));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void DropoutDrawsFreshMasksPerCallWithEagerBits()
    {
        var drop = new Dropout(0.5);
        var cf = Graph.Compile(drop);
        var x = Tensor.Ones([64]);
        Tensor.ManualSeed(123);
        var compiled = new[] { F(cf.Call(x)), F(cf.Call(x)), F(cf.Call(x)) };
        Tensor.ManualSeed(123);
        var eager = new[] { F(drop.Call(x)), F(drop.Call(x)), F(drop.Call(x)) };
        for (int i = 0; i < 3; i++) Assert.Equal(eager[i], compiled[i]);
        Assert.NotEqual(compiled[1], compiled[2]);                   // a fresh mask each call
        Assert.All(compiled[1], v => Assert.True(v == 0f || v == 2f));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void RandnInsideDrawsLikeEagerAndFixedSeedsStayFixed()
    {
        Tensor Noisy(Tensor x) => x + Tensor.Randn([3]) + Tensor.Rand([3], seed: 7);
        var cf = Graph.Compile(Noisy);
        var x = Tensor.Zeros([3]);
        Tensor.ManualSeed(9);
        var compiled = new[] { F(cf.Call(x)), F(cf.Call(x)) };
        Tensor.ManualSeed(9);
        var eager = new[] { F(Noisy(x)), F(Noisy(x)) };
        Assert.Equal(eager[0], compiled[0]);
        Assert.Equal(eager[1], compiled[1]);
        Assert.NotEqual(compiled[0], compiled[1]);
    }

    [Fact]
    public void ModuleTrainEvalSwitchRetracesAndBothModesAreRight()
    {
        var net = new Sequential(new Linear(4, 4, seed: 3), new Dropout(0.5));
        var cf = Graph.Compile(net);
        var x = Tensor.Randn([2, 4], seed: 1);
        cf.Call(x);
        net.Eval();
        Assert.Equal(F(net.Call(x)), F(cf.Call(x)));               // eval: no dropout
        Assert.Equal(2, cf.TraceCount);
        Assert.Contains("eval mode", cf.Explain());
        net.Train();
        Tensor.ManualSeed(4);
        var compiled = F(cf.Call(x));
        Tensor.ManualSeed(4);
        Assert.Equal(F(net.Call(x)), compiled);                      // train again: the first graph, fresh mask
        Assert.Equal(2, cf.TraceCount);
    }

    [Fact]
    public void BatchNormRunningStatsUpdateOnEveryCallInTrainMode()
    {
        var bnCompiled = new BatchNorm1d(3);
        var bnEager = new BatchNorm1d(3);
        var cf = Graph.Compile(bnCompiled);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Randn([5, 3], seed: 10 + i);
            Assert.Equal(F(bnEager.Call(x)), F(cf.Call(x)));
        }
        Assert.Equal(F(bnEager.RunningMean!), F(bnCompiled.RunningMean!));
        Assert.Equal(F(bnEager.RunningVar!), F(bnCompiled.RunningVar!));
        Assert.Equal(3L, bnCompiled.NumBatchesTracked!.Item<long>());
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void VariableCreatedInsideOnFirstTraceIsKeptAndOnARetraceIsAnError()
    {
        Variable? made = null;
        var cf = Graph.Compile((Tensor x) =>
        {
            made ??= new Variable(Tensor.Ones([1]));
            var v = new Variable(Tensor.Zeros([1]), trainable: false);
            v.AssignAdd(x.Sum());
            return v * made;
        });
        var y1 = cf.Call(Tensor.FromArray(new float[] { 2, 3 }, [2]));
        Assert.Equal(new float[] { 5 }, F(y1));
        // As in tf.function, the Variable made by the first trace persists: the replay adds to it.
        Assert.Equal(new float[] { 10 }, F(cf.Call(Tensor.FromArray(new float[] { 3, 2 }, [2]))));
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.Ones([3])));
        Assert.Contains("may create Variables only on its first trace", e.Message);
    }
}
