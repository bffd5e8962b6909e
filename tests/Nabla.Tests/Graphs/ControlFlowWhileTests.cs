namespace Nabla.Tests.Graphs;

/// <summary>
/// Graph.WhileLoop: eagerly a C# while loop; in a compiled function one graph op, so the trip count follows
/// each call's data from one trace, and maxIterations stops it as TF's maximum_iterations does.
/// </summary>
public class ControlFlowWhileTests
{
    static Tensor S(double v) => Tensor.Scalar(v);

    /// <summary>Newton's iteration for sqrt(a) from a, until |x^2 - a| &lt;= 1e-12 a, counting its steps.</summary>
    static Tensor[] NewtonSqrt(Tensor a) => Graph.WhileLoop(
        v => (v[0] * v[0] - a).Abs().Gt(a * 1e-12),
        v => [(v[0] + a / v[0]) * 0.5, v[1] + 1.0],
        [a, S(0)], maxIterations: 100);

    /// <summary>The same iteration in plain C# doubles: the expected root and step count.</summary>
    static (double Root, int Steps) NewtonByHand(double a)
    {
        double x = a;
        int steps = 0;
        while (Math.Abs(x * x - a) > a * 1e-12) { x = (x + a / x) * 0.5; steps++; }
        return (x, steps);
    }

    [Fact]
    public void NewtonIterationRunsADataDependentTripCountFromOneTrace()
    {
        var cf = Graph.Compile((Tensor[] a) => NewtonSqrt(a[0]));
        var counts = new HashSet<int>();
        foreach (double a in new[] { 2.0, 1e6, 1.0, 0.25, 49.0 })
        {
            var (root, steps) = NewtonByHand(a);
            var compiled = cf.Call([S(a)]);
            var eager = NewtonSqrt(S(a));
            Assert.Equal(root, compiled[0].Item<double>());
            Assert.Equal(steps, compiled[1].Item<double>());
            Assert.Equal(root, eager[0].Item<double>());
            Assert.Equal(steps, eager[1].Item<double>());
            counts.Add(steps);
        }
        Assert.True(counts.Count >= 3, $"trip counts should differ between inputs, got {string.Join(", ", counts)}");
        Assert.Contains(0, counts);                                     // a = 1 converges before the first step
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void LoopTracedWithZeroIterationsRunsManyOnReplay()
    {
        // The first call never runs the body: it is traced as not taken, and later calls run it.
        var cf = Graph.Compile((Tensor x) => Graph.WhileLoop(v => v.Lt(100.0), v => v * 3.0, x));
        Assert.Equal(150.0, cf.Call(S(150)).Item<double>());
        Assert.Equal(162.0, cf.Call(S(2)).Item<double>());              // 2, 6, 18, 54, 162
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void MaxIterationsStopsTheLoopWhileCondStillHolds()
    {
        Tensor Count(Tensor x, int? max) => Graph.WhileLoop(v => v.Lt(1000.0), v => v + 1.0, x, max);
        Assert.Equal(5.0, Count(S(0), 5).Item<double>());
        Assert.Equal(0.0, Count(S(0), 0).Item<double>());
        Assert.Equal(1000.0, Count(S(0), null).Item<double>());
        Assert.Equal(1000.0, Count(S(998), 5).Item<double>());          // cond ends it first
        var cf = Graph.Compile((Tensor x) => Count(x, 7));
        Assert.Equal(7.0, cf.Call(S(0)).Item<double>());
        Assert.Equal(1000.0, cf.Call(S(995)).Item<double>());
        Assert.Equal(17.0, cf.Call(S(10)).Item<double>());
        Assert.Equal(1, cf.TraceCount);
        var zero = Graph.Compile((Tensor x) => Count(x, 0));
        Assert.Equal(3.0, zero.Call(S(3)).Item<double>());
        Assert.Equal(4.0, zero.Call(S(4)).Item<double>());
    }

    /// <summary>Collatz steps: n -> n/2 when even, 3n+1 when odd, until 1; a Graph.Cond inside the loop body.</summary>
    static Tensor[] Collatz(Tensor n) => Graph.WhileLoop(
        v => v[0].Gt(1.0),
        v =>
        {
            var half = v[0] * 0.5;
            var even = (half.To(DType.Int64).To(DType.Float64) * 2.0).Eq(v[0]);
            return [Graph.Cond(even, () => half, () => v[0] * 3.0 + 1.0), v[1] + 1.0];
        },
        [n, S(0)]);

    [Fact]
    public void CondNestedInTheLoopBodyFollowsTheData()
    {
        var cf = Graph.Compile((Tensor[] a) => Collatz(a[0]));
        foreach (var (n, steps) in new[] { (6.0, 8.0), (27.0, 111.0), (1.0, 0.0), (7.0, 16.0) })
        {
            var compiled = cf.Call([S(n)]);
            Assert.Equal(1.0, compiled[0].Item<double>());
            Assert.Equal(steps, compiled[1].Item<double>());
            Assert.Equal(steps, Collatz(S(n))[1].Item<double>());
        }
        Assert.Equal(1, cf.TraceCount);
        var text = cf.GraphFor(S(6));
        Assert.Contains("while_loop(", text);
        Assert.Contains("graph body(", text);
        Assert.Contains("= cond(%", text);                               // the nested Cond, inside the body's graph
    }

    [Fact]
    public void BodyThatUsesTheInitialValueByClosureReadsItNotTheLoopVariable()
    {
        // x is both the loop's start and a tensor the body adds each step: x, 2x, 3x, ... (not x, 2x, 4x, ...).
        static Tensor Multiples(Tensor x) => Graph.WhileLoop(v => v.Lt(10.0), v => v + x, x);
        var cf = Graph.Compile(Multiples);
        Assert.Equal(10.0, cf.Call(S(1)).Item<double>());
        Assert.Equal(12.0, cf.Call(S(3)).Item<double>());
        Assert.Equal(12.0, Multiples(S(3)).Item<double>());
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void SeveralLoopVariablesOfDifferentDTypesAdvanceTogether()
    {
        // Fibonacci with an int64 counter: (a, b, i) -> (b, a + b, i + 1) while i < n.
        static Tensor[] Fib(Tensor n) => Graph.WhileLoop(
            v => v[2].Lt(n),
            v => [v[1], v[0] + v[1], v[2] + 1L],
            [S(0), S(1), Tensor.FromArray(new long[] { 0 }, [])]);
        var cf = Graph.Compile((Tensor[] a) => Fib(a[0]));
        var ten = cf.Call([Tensor.FromArray(new long[] { 10 }, [])]);
        Assert.Equal(55.0, ten[0].Item<double>());
        Assert.Equal(10L, ten[2].Item<long>());
        Assert.Equal(DType.Int64, ten[2].DType);
        Assert.Equal(6765.0, cf.Call([Tensor.FromArray(new long[] { 20 }, [])])[0].Item<double>());
        Assert.Equal(1, cf.TraceCount);
    }
}
