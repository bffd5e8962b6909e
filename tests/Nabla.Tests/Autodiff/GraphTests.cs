namespace Nabla.Tests.Autodiff;

/// <summary>Graph structure: broadcasting, RetainGrad, Detach, GradFn, the list form of Autograd.Grad.</summary>
public class GraphTests
{
    static Tensor D(double[] data, int[] shape, bool grad = true) => Tensor.FromArray(data, shape, requiresGrad: grad);

    [Fact]
    public void BroadcastGradientsAreSummedBackToInputShapes()
    {
        // sum(a * b): the gradient of a is b broadcast, the gradient of b sums a over the broadcast axes.
        var a = D([1, 2, 3, 4, 5, 6], [2, 3]);
        var b = D([10, 20, 30], [3]);
        (a * b).Sum().Backward();
        Assert.Equal(new double[] { 10, 20, 30, 10, 20, 30 }, a.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 5, 7, 9 }, b.Grad!.ToArray<double>());

        var c = D([1, 2, 3, 4, 5, 6], [2, 1, 3]);
        var d = D([1, 2, 3, 4], [4, 1]);
        (c * d).Sum().Backward();  // [2, 4, 3]
        Assert.Equal([2, 1, 3], c.Grad!.Shape.ToArray());
        Assert.Equal(Enumerable.Repeat(10.0, 6), c.Grad!.ToArray<double>());
        Assert.Equal([4, 1], d.Grad!.Shape.ToArray());
        Assert.Equal(Enumerable.Repeat(21.0, 4), d.Grad!.ToArray<double>());

        var s = D([2], []);
        var m = D([1, 2, 3, 4], [2, 2]);
        (s * m).Sum().Backward();
        Assert.Equal(0, s.Grad!.Rank);
        Assert.Equal(10.0, s.Grad!.Item<double>());
        Assert.Equal(new double[] { 2, 2, 2, 2 }, m.Grad!.ToArray<double>());

        var p = D([3], [1]);
        var q = D([1, 2, 3], [3, 1]);
        (p - q).Sum().Backward();
        Assert.Equal(new double[] { 3 }, p.Grad!.ToArray<double>());
        Assert.Equal(new double[] { -1, -1, -1 }, q.Grad!.ToArray<double>());

        var u = D([1, 2, 3, 4, 5, 6], [2, 3]);
        var v = D([0, 0, 0], [3]);
        (u + v).Backward(Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]));
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, u.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 5, 7, 9 }, v.Grad!.ToArray<double>());
    }

    [Fact]
    public void RetainGradFillsGradOfNonLeaf()
    {
        var x = D([1, 2], [2]);
        var h = x * x;
        var other = h * 1.0;
        h.RetainGrad();
        var y = (h * 3.0).Sum();
        Assert.Equal(new double[] { 6, 12 }, Autograd.Grad(y, x, retainGraph: true)!.ToArray<double>());
        Assert.Null(h.Grad);  // Autograd.Grad fills no .Grad, retained or not
        y.Backward();
        Assert.Equal(new double[] { 3, 3 }, h.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 6, 12 }, x.Grad!.ToArray<double>());
        Assert.Null(other.Grad);  // a non-leaf without RetainGrad keeps no gradient
        Assert.True(h.RetainsGrad);
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        var z = D([2], []);
        var q = D([5], []);
        var w = z * z;
        var cut = w.Detach();
        Assert.True(cut.IsLeaf);
        Assert.False(cut.RequiresGrad);
        Assert.Equal(4.0, cut.Item<double>());  // same data

        var output = cut * q;
        Assert.Null(Autograd.Grad(output, z, retainGraph: true, allowUnused: true));
        var ex = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(output, z, retainGraph: true));
        Assert.Contains("not used", ex.Message);
        Assert.Contains("allowUnused", ex.Message);

        var grads = Autograd.Grad([output], [q, z], allowUnused: true);
        Assert.Equal(2, grads.Length);
        Assert.Equal(4.0, grads[0]!.Item<double>());
        Assert.Null(grads[1]);

        var noGrad = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(cut * 2.0, z));
        Assert.Contains("does not require grad", noGrad.Message);
    }

    [Fact]
    public void ListFormSumsOutputsWeightedByGradOutputs()
    {
        var a = D([2], []);
        var b = D([3], []);
        var y1 = a * b;   // dy1/da = 3, dy1/db = 2
        var y2 = a * a;   // dy2/da = 4
        var g = Autograd.Grad([y1, y2], [a, b], [Tensor.Scalar(1.0), Tensor.Scalar(10.0)]);
        Assert.Equal(3.0 + 40.0, g[0]!.Item<double>());
        Assert.Equal(2.0, g[1]!.Item<double>());
        Assert.Null(a.Grad);
    }

    [Fact]
    public void GradFnHasReadableNamesAndLeavesHaveNone()
    {
        var a = D([1, 2], [2]);
        var b = D([3, 4], [2]);
        Assert.Null(a.GradFn);
        Assert.True(a.IsLeaf);
        Assert.Equal("MulBackward", (a * b).GradFn!.Name);
        Assert.Equal("AddBackward", (a + b).GradFn!.Name);
        Assert.Equal("SubBackward", (a - b).GradFn!.Name);
        Assert.Equal("DivBackward", (a / b).GradFn!.Name);
        Assert.Equal("ExpBackward", a.Exp().GradFn!.Name);
        Assert.Equal("TanhBackward", a.Tanh().GradFn!.Name);
        Assert.Equal("MmBackward", a.Reshape(1, 2).MatMul(b.Reshape(2, 1)).GradFn!.Name);
        Assert.False((a * b).IsLeaf);
        Assert.Contains("MulBackward", (a * b).GradFn!.ToString());

        var plain = Tensor.FromArray(new double[] { 1 }, [1]) * 2.0;  // nothing requires grad: a leaf
        Assert.Null(plain.GradFn);
        Assert.True(plain.IsLeaf);
        Assert.False(plain.RequiresGrad);
    }
}
