namespace Nabla.Tests.Graphs;

/// <summary>
/// Graph.Scan: (carry, y[t]) = f(carry, xs[t]) over xs's leading dim, ys stacked; eagerly a C# loop, in a
/// compiled function one op with f traced once, equal to a hand-written loop.
/// </summary>
public class ControlFlowScanTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Mat(int rows, int cols, params double[] v) => Tensor.FromArray(v, [rows, cols]);

    [Fact]
    public void CumulativeSumOfRowsEqualsTheRunningTotals()
    {
        static (Tensor, Tensor) CumSum(Tensor xs) => Graph.Scan((c, x) => (c + x, c + x), Tensor.Zeros([3], DType.Float64), xs);
        var xs = Mat(4, 3, 1, 2, 3, 10, 20, 30, -1, -1, -1, 0.5, 0, 0);
        var (total, ys) = CumSum(xs);
        Assert.Equal(new[] { 10.5, 21, 32 }, D(total));
        Assert.Equal(new[] { 4, 3 }, ys.Shape.ToArray());
        Assert.Equal(new[] { 1, 2, 3, 11, 22, 33, 10, 21, 32, 10.5, 21, 32 }, D(ys));
        var cf = Graph.Compile((Tensor x) => { var (c, y) = CumSum(x); return y + c.Sum(); });
        Assert.Equal(D(ys + total.Sum()), D(cf.Call(xs)));
        var other = Mat(4, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Assert.Equal(new[] { 13.0, 13, 13, 14, 14, 14, 15, 15, 15, 16, 16, 16 }, D(cf.Call(other)));
        Assert.Equal(1, cf.TraceCount);
    }

    /// <summary>h[t] = tanh(h[t-1] W + x[t] U), from h = 0.</summary>
    static (Tensor H, Tensor Hs) Rnn(Tensor xs, Tensor w, Tensor u) =>
        Graph.Scan((h, x) => { var next = (h.MatMul(w) + x.MatMul(u)).Tanh(); return (next, next); }, Tensor.Zeros([1, 2], DType.Float64), xs);

    static (Tensor H, Tensor Hs) RnnByHand(Tensor xs, Tensor w, Tensor u)
    {
        var h = Tensor.Zeros([1, 2], DType.Float64);
        var hs = new List<Tensor>();
        for (int t = 0; t < xs.Shape[0]; t++)
        {
            h = (h.MatMul(w) + xs[t].MatMul(u)).Tanh();
            hs.Add(h);
        }
        return (h, Tensor.Stack(hs));
    }

    [Fact]
    public void RnnStepScannedEqualsTheHandWrittenLoopEagerAndCompiled()
    {
        var w = Tensor.Randn([2, 2], DType.Float64, seed: 11);
        var u = Tensor.Randn([3, 2], DType.Float64, seed: 12);
        var cf = Graph.Compile((Tensor xs) => { var (h, hs) = Rnn(xs, w, u); return hs.Sum(0) + h; });
        for (int seed = 1; seed <= 3; seed++)
        {
            var xs = Tensor.Randn([5, 1, 3], DType.Float64, seed: seed);
            var (h, hs) = RnnByHand(xs, w, u);
            var (he, hse) = Rnn(xs, w, u);
            Assert.Equal(D(hs), D(hse));
            Assert.Equal(D(h), D(he));
            Assert.Equal(D(hs.Sum(0) + h), D(cf.Call(xs)));
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ReverseScanStepsFromTheLastSliceAndKeepsYsInOrder()
    {
        // Suffix sums: y[t] = xs[t] + xs[t+1] + ...
        var xs = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [4]);
        var (c, ys) = Graph.Scan((s, x) => (s + x, s + x), Tensor.Scalar(0.0), xs, reverse: true);
        Assert.Equal(10.0, c.Item<double>());
        Assert.Equal(new[] { 10.0, 9, 7, 4 }, D(ys));
        var cf = Graph.Compile((Tensor x) => Graph.Scan((s, v) => (s + v, s + v), Tensor.Scalar(0.0), x, reverse: true).Ys);
        Assert.Equal(new[] { 10.0, 9, 7, 4 }, D(cf.Call(xs)));
        Assert.Equal(new[] { 4.0, 3, 2, 1 }, D(cf.Call(Tensor.FromArray(new double[] { 1, 1, 1, 1 }, [4]))));
    }

    [Fact]
    public void EmptyXsReturnsTheInitialCarryAndNoYs()
    {
        var xs = Tensor.Zeros([0, 3], DType.Float64);
        var init = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        var (c, ys) = Graph.Scan((s, x) => (s * 2.0, x.Sum() + s), init, xs);
        Assert.Equal(new[] { 1.0, 2 }, D(c));
        Assert.Equal(new[] { 0, 2 }, ys.Shape.ToArray());
        Assert.Equal(DType.Float64, ys.DType);
        var cf = Graph.Compile((Tensor[] a) => { var (c2, ys2) = Graph.Scan((s, x) => (s * 2.0, x.Sum() + s), a[0], a[1]); return [c2, ys2]; });
        var compiled = cf.Call([init, xs]);
        Assert.Equal(new[] { 1.0, 2 }, D(compiled[0]));
        Assert.Equal(new[] { 0, 2 }, compiled[1].Shape.ToArray());
        Assert.Equal(new[] { 1.0, 2 }, D(cf.Call([init, xs])[0]));
    }

    [Fact]
    public void SeveralCarriesAndXsAdvanceTogether()
    {
        // carry (sum of a, product of b); ys (a * b, running sum).
        var a = Tensor.FromArray(new double[] { 1, 2, 3 }, [3]);
        var b = Tensor.FromArray(new double[] { 2, 5, 0.5 }, [3]);
        (Tensor[], Tensor[]) Step(Tensor[] c, Tensor[] x) => ([c[0] + x[0], c[1] * x[1]], [x[0] * x[1], c[0] + x[0]]);
        var (carry, ys) = Graph.Scan(Step, [Tensor.Scalar(0.0), Tensor.Scalar(1.0)], [a, b]);
        Assert.Equal(6.0, carry[0].Item<double>());
        Assert.Equal(5.0, carry[1].Item<double>());
        Assert.Equal(new[] { 2.0, 10, 1.5 }, D(ys[0]));
        Assert.Equal(new[] { 1.0, 3, 6 }, D(ys[1]));
        var cf = Graph.Compile((Tensor[] t) => { var (c, y) = Graph.Scan(Step, [Tensor.Scalar(0.0), Tensor.Scalar(1.0)], t); return [.. c, .. y]; });
        var compiled = cf.Call([a, b]);
        Assert.Equal(5.0, compiled[1].Item<double>());
        Assert.Equal(new[] { 1.0, 3, 6 }, D(compiled[3]));
        Assert.Equal(new[] { 2.0, 7, 7.5 }, D(cf.Call([b, a])[3]));
        Assert.Equal(1, cf.TraceCount);
    }
}
