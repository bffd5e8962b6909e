namespace Nabla.Tests.Graphs;

/// <summary>
/// Bad uses of Graph.Cond, WhileLoop and Scan fail with errors that name the construct, the shapes and dtypes,
/// and the caller; bodies that could not be replayed honestly make the compiled function run eagerly (with
/// FullGraph: an error) instead of freezing a value.
/// </summary>
public class ControlFlowErrorTests
{
    static Tensor Vec(params double[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void PredicateWithSeveralElementsIsAnErrorNamingItsShape()
    {
        var x = Vec(1, 2);
        var e = Assert.Throws<ArgumentException>(() => Graph.Cond(x.Gt(0.0), () => x, () => -x));
        Assert.Contains("Graph.Cond", e.Message);
        Assert.Contains("one element", e.Message);
        Assert.Contains("[2] bool", e.Message);
        Assert.Contains(nameof(ControlFlowErrorTests), e.Message);
        var w = Assert.Throws<ArgumentException>(() => Graph.WhileLoop(v => v.Gt(0.0), v => v - 1.0, x));
        Assert.Contains("Graph.WhileLoop", w.Message);
        Assert.Contains("cond function", w.Message);
    }

    [Fact]
    public void CompiledBranchesOfDifferentShapesAreAnError()
    {
        var cf = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x * 2.0, () => x.Sum()));
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Vec(1, 2)));
        Assert.Contains("Graph.Cond", e.Message);
        Assert.Contains("[2] float64", e.Message);
        Assert.Contains("[] float64", e.Message);
        Assert.Contains("ifFalse", e.Message);
        var dtypes = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x, () => x.To(DType.Float32)));
        Assert.Contains("float32", Assert.Throws<InvalidOperationException>(() => dtypes.Call(Vec(1, 2))).Message);
        var counts = Graph.Compile((Tensor[] a) => Graph.Cond(a[0].Sum().Gt(0.0), () => [a[0], a[0]], () => [a[0]]));
        Assert.Contains("the same number", Assert.Throws<InvalidOperationException>(() => counts.Call([Vec(1)])).Message);
    }

    [Fact]
    public void BodyChangingALoopVariablesShapeOrDTypeIsAnError()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Graph.WhileLoop(v => v.Sum().Lt(10.0), v => Tensor.Concat([v, v]), Vec(1)));
        Assert.Contains("Graph.WhileLoop", e.Message);
        Assert.Contains("loop variable 0", e.Message);
        Assert.Contains("[2] float64", e.Message);
        Assert.Contains("[1] float64", e.Message);
        var d = Assert.Throws<InvalidOperationException>(() => Graph.WhileLoop(v => v.Lt(10.0), v => (v + 1.0).To(DType.Float32), Tensor.Scalar(0.0)));
        Assert.Contains("float32", d.Message);
        // Compiled with zero iterations, the body is traced as not taken and still checked.
        var cf = Graph.Compile((Tensor x) => Graph.WhileLoop(v => v.Lt(10.0), v => Tensor.Concat([v, v]), x));
        Assert.Contains("loop variable 0", Assert.Throws<InvalidOperationException>(() => cf.Call(Vec(20))).Message);
        var scan = Assert.Throws<InvalidOperationException>(() => Graph.Scan((c, x) => (c.Sum(), x), Vec(0, 0), Vec(1, 2, 3)));
        Assert.Contains("Graph.Scan", scan.Message);
        Assert.Contains("carry 0", scan.Message);
    }

    [Fact]
    public void NegativeMaxIterationsIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Graph.WhileLoop(v => v.Lt(1.0), v => v + 1.0, Tensor.Scalar(0.0), maxIterations: -1));
        Assert.Contains("maxIterations must be 0 or more", e.Message);
    }

    [Fact]
    public void ScanOverXsOfDifferentLengthsOrAScalarIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Graph.Scan((c, x) => (c, [x[0] + x[1]]), [Tensor.Scalar(0.0)], [Vec(1, 2), Vec(1, 2, 3)]));
        Assert.Contains("leading dim 3", e.Message);
        Assert.Contains("Graph.Scan", e.Message);
        Assert.Contains("rank 1 or more", Assert.Throws<ArgumentException>(() => Graph.Scan((c, x) => (c, x), Tensor.Scalar(0.0), Tensor.Scalar(1.0))).Message);
    }

    [Fact]
    public void InPlaceUpdateInsideACompiledBranchIsAnErrorNamingTheBranchAndLine()
    {
        var counter = Tensor.Zeros([1], DType.Float64);
        var cf = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => counter.AddInPlace(1.0) * x, () => x));
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Vec(1)));
        Assert.Contains("the ifTrue branch updates a tensor in place", e.Message);
        Assert.Contains("ControlFlowErrorTests.cs:", e.Message);
        // Eagerly the branch is plain C#: the update is fine.
        Graph.Cond(Vec(1).Sum().Gt(0.0), () => counter.AddInPlace(1.0), () => counter);
    }

    [Fact]
    public void BackwardIntoGradInsideACompiledLoopBodyIsAnError()
    {
        var w = Tensor.Scalar(2.0, requiresGrad: true);
        var cf = Graph.Compile((Tensor x) => Graph.WhileLoop(v => v.Lt(10.0), v => { (v * w).Backward(); return v + 1.0; }, x));
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.Scalar(0.0)));
        Assert.Contains("the body assigns .Grad", e.Message);   // Backward() fills w.Grad: a side effect
        Assert.Contains("Graph.WhileLoop", e.Message);
    }

    [Fact]
    public void FloatingReadInsideABranchRunsTheFunctionEagerlyAndFullGraphRefusesIt()
    {
        static Tensor Frozen(Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x * x.Max().Item<double>(), () => x);
        var cf = Graph.Compile(Frozen);
        Assert.Equal(new[] { 2.0, 4 }, cf.Call(Vec(1, 2)).ToArray<double>());
        Assert.Equal(new[] { 3.0, 9 }, cf.Call(Vec(1, 3)).ToArray<double>());     // not frozen at 2
        Assert.Contains("reads a floating value", cf.Explain());
        Assert.Contains("runs eagerly", cf.Explain());
        var full = Graph.Compile(Frozen, new CompileOptions { FullGraph = true });
        var e = Assert.Throws<InvalidOperationException>(() => full.Call(Vec(1, 2)));
        Assert.Contains("FullGraph", e.Message);
    }

    [Fact]
    public void FloatingReadUnderFullGraphPointsToCondAndWhileLoop()
    {
        var full = Graph.Compile((Tensor x) => x.Sum().Item<double>() > 0 ? x : -x, new CompileOptions { FullGraph = true });
        var e = Assert.Throws<InvalidOperationException>(() => full.Call(Vec(1, 2)));
        Assert.Contains("Graph.Cond / Graph.WhileLoop", e.Message);
    }

    [Fact]
    public void IntegerReadInsideALoopBodyThatChangesIsAnErrorNotAFrozenValue()
    {
        // The body's C# loop runs once, when traced; the next iteration's count differs, and the replay says so.
        var cf = Graph.Compile((Tensor x) => Graph.WhileLoop(v => v.Lt(20.0), v =>
        {
            long n = v.To(DType.Int64).Item<long>();
            var y = v;
            for (long i = 0; i < n; i++) y = y + 1.0;
            return y + 1.0;
        }, x));
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.Scalar(1.0)));
        Assert.Contains("the body of Graph.WhileLoop", e.Message);
        Assert.Contains("differs from the traced one", e.Message);
        Assert.Contains("value 1 -> 3", e.Message);
    }

    [Fact]
    public void NotTakenBranchThatFailsOnThisCallsValuesRunsTheFunctionEagerly()
    {
        // The false branch indexes position 3, which exists only for longer inputs: eagerly it is never run here.
        static Tensor Pick(Tensor x) => Graph.Cond(Tensor.Scalar((double)x.Shape[0]).Lt(4.0), () => x.Sum(), () => x[3]);
        var cf = Graph.Compile(Pick);
        Assert.Equal(3.0, cf.Call(Vec(1, 2)).Item<double>());
        Assert.Contains("runs eagerly", cf.Explain());
        Assert.Contains("ifFalse branch", cf.Explain());
    }

    [Fact]
    public void TensorMadeInABranchAndUsedAfterItIsAnErrorNotAFrozenCapture()
    {
        // C# lets the branch leak a value through a closure variable; the graph has no such value on replays.
        var cf = Graph.Compile((Tensor x) =>
        {
            Tensor? leaked = null;
            var y = Graph.Cond(x.Sum().Gt(0.0), () => { leaked = x * 10.0; return x + 1.0; }, () => x - 1.0);
            return y + leaked!;
        });
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Vec(1, 2)));
        Assert.Contains("made inside a Graph.Cond branch", e.Message);
        Assert.Contains("Return it from the body", e.Message);
    }
}
