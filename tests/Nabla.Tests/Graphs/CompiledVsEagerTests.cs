using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A compiled function replays the same primitives through the same kernels in the same order as the
/// eager code, so its results must be bitwise equal to eager results, on the traced arguments and on new ones.
/// </summary>
public class CompiledVsEagerTests
{
    internal static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor Data(int rows, int cols, int seed) => Tensor.Randn([rows, cols], seed: seed);

    [Fact]
    public void MlpForwardReplaysBitwiseEqualToEager()
    {
        var w1 = new Variable(Data(8, 16, 1));
        var w2 = new Variable(Data(16, 3, 2));
        Tensor Mlp(Tensor x) => (x.MatMul(w1).Relu().MatMul(w2) * 0.5).Tanh();
        var cf = Graph.Compile(Mlp);

        var x1 = Data(4, 8, 3);
        var x2 = Data(4, 8, 4);
        Assert.Equal(F(Mlp(x1)), F(cf.Call(x1)));   // the tracing call
        Assert.Equal(F(Mlp(x2)), F(cf.Call(x2)));   // a replay on new data
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ModuleCompiledReplaysBitwiseEqualToEager()
    {
        var net = new Sequential(new Linear(5, 7, seed: 1), new ReLU(), new Linear(7, 2, seed: 2));
        var cf = Graph.Compile(net);
        var x = Data(3, 5, 9);
        var eager = F(net.Call(x));
        Assert.Equal(eager, F(cf.Call(x)));
        Assert.Equal(eager, F(cf.Call(x)));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ViewsAndInPlaceOpsInsideReplayAsEager()
    {
        // A row view written in place changes its base; a transpose view; a host constant and a scalar.
        static Tensor F2(Tensor x)
        {
            var y = x * 2.0;
            var row = y[1];
            row.AddInPlace(Tensor.FromArray(new float[] { 10, 20, 30 }, [3]));
            y.MulInPlace(3.0);
            return y.T + Tensor.Ones([3, 2]);
        }
        var cf = Graph.Compile(F2);
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var b = Tensor.FromArray(new float[] { -1, 0.5f, 7, 2, -3, 8 }, [2, 3]);
        Assert.Equal(F(F2(a)), F(cf.Call(a)));
        // Hand check of the replay: y = 2b, row 1 += [10,20,30], y *= 3, transpose, + 1.
        Assert.Equal(new float[] { -5, 43, 4, 43, 43, 139 }, F(cf.Call(b)));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ArgumentsAreNotChangedByAReplayUnlessTheFunctionWritesThem()
    {
        var cf = Graph.Compile((Tensor x) => { x.AddInPlace(1.0); return x * 2.0; });
        var a = Tensor.FromArray(new float[] { 1, 2 }, [2]);
        cf.Call(a);
        var b = Tensor.FromArray(new float[] { 5, 6 }, [2]);
        var y = cf.Call(b);
        Assert.Equal(new float[] { 6, 7 }, F(b));   // the write reached the new argument, as in eager code
        Assert.Equal(new float[] { 12, 14 }, F(y));
        Assert.Equal(new float[] { 2, 3 }, F(a));   // and not the traced one again
    }

    [Fact]
    public void ShapeChangeRetracesAndExplainNamesTheArgument()
    {
        var cf = Graph.Compile((Tensor images, Tensor w) => images.MatMul(w));
        var w = Data(784, 10, 1);
        cf.Call(Data(64, 784, 2), w);
        cf.Call(Data(64, 784, 3), w);
        Assert.Equal(1, cf.TraceCount);
        var y = cf.Call(Data(32, 784, 4), w);
        Assert.Equal([32, 10], y.Shape.ToArray());
        Assert.Equal(2, cf.TraceCount);
        Assert.Contains("images: shape [64, 784] -> [32, 784]", cf.Explain());
    }

    [Fact]
    public void RequiresGradAndGradModeChangesRetrace()
    {
        var cf = Graph.Compile((Tensor x) => x * x);
        cf.Call(Tensor.Ones([2]));
        cf.Call(Tensor.Ones([2], requiresGrad: true));
        using (Autograd.NoGrad()) cf.Call(Tensor.Ones([2], requiresGrad: true));
        Assert.Equal(3, cf.TraceCount);
        var explain = cf.Explain();
        Assert.Contains("x: requires_grad false -> true", explain);
        Assert.Contains("grad mode on -> off", explain);
    }

    [Fact]
    public void GraphForPrintsOneSsaLinePerOpWithTheUsersLine()
    {
        var cf = Graph.Compile((Tensor x, Tensor y) => (x * y).Exp(), new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Fusion, RecordAllSites = true });
        var a = Tensor.Ones([2, 3]);
        cf.Call(a, a + 1.0);
        var text = cf.GraphFor(a, a + 2.0);
        Assert.Contains("graph GraphForPrintsOneSsaLinePerOpWithTheUsersLine (lambda)(%0 x: [2, 3] float32, %1 y: [2, 3] float32)", text);
        Assert.Matches(@"%2 = mul\(%0, %1\) : \[2, 3\] float32  # CompiledVsEagerTests\..+ \(CompiledVsEagerTests\.cs:\d+\)", text);
        Assert.Matches(@"%3 = exp\(%2\) : \[2, 3\] float32", text);
        Assert.Contains("return %3", text);
        Assert.Throws<InvalidOperationException>(() => cf.GraphFor(Tensor.Ones([5])));
    }

    [Fact]
    public void RunEagerlyRunsTheCSharpCodeOnEveryCall()
    {
        int runs = 0;
        var cf = Graph.Compile((Tensor x) => { runs++; return x + 1.0; });
        cf.Call(Tensor.Ones([2]));
        cf.Call(Tensor.Ones([2]));
        Assert.Equal(1, runs);                       // C# side effects happen only while tracing
        try
        {
            Graph.RunEagerly = true;
            Assert.Equal(new float[] { 2, 2 }, F(cf.Call(Tensor.Ones([2]))));
            Assert.Equal(2, runs);
        }
        finally { Graph.RunEagerly = false; }
        Assert.Equal(1, cf.TraceCount);
    }
}
