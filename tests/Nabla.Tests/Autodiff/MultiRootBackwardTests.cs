namespace Nabla.Tests.Autodiff;

/// <summary>
/// Autograd.Backward over several roots (torch.autograd.backward) and Tensor.Backward(inputs:), with
/// hand-derived gradients: one pass, a shared subgraph run once on the summed gradient, duplicate roots
/// accumulating, inputs restricting which tensors get .Grad, and PyTorch's errors.
/// </summary>
public class MultiRootBackwardTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Leaf(params double[] v) => Tensor.FromArray(v, [v.Length], requiresGrad: true);

    static Tensor S(double v) => Tensor.Scalar(v);

    [Fact]
    public void DiamondWithTwoRootsRunsTheSharedNodeOnceOnTheSummedGradient()
    {
        // h = x² is shared by y1 = sum(3h) and y2 = sum(sin h): dh = 3 + cos h, dx = dh · 2x.
        var x = Leaf(1, 2);
        var h = x * x;
        var y1 = (h * 3.0).Sum();
        var y2 = h.Sin().Sum();
        var received = new List<double[]>();
        using var count = h.GradFn!.RegisterPrehook(g => { received.Add(D(g[0]!)); return null; });

        Autograd.Backward([y1, y2]);

        var gh = Assert.Single(received);                            // ran once, not once per root
        Assert.Equal(new[] { 3 + Math.Cos(1), 3 + Math.Cos(4) }, gh);
        Assert.Equal(new[] { (3 + Math.Cos(1)) * 2, (3 + Math.Cos(4)) * 4 }, D(x.Grad!));
    }

    [Fact]
    public void SeveralRootsGiveTheSameGradientsAsTheirWeightedSum()
    {
        var x = Leaf(0.5, -1.5);
        var w = Leaf(2.0, 3.0);
        var y1 = (x * w).Sum();                                      // d/dx = w, d/dw = x
        var y2 = x.Exp() * w;                                        // non-scalar, weighted by [1, -2]
        var g2 = Tensor.FromArray(new double[] { 1, -2 }, [2]);
        Autograd.Backward([y1, y2], [null, g2], retainGraph: true);
        var gx = D(x.Grad!);
        var gw = D(w.Grad!);
        Assert.Equal(new[] { 2 + Math.Exp(0.5) * 2, 3 - 2 * Math.Exp(-1.5) * 3 }, gx);
        Assert.Equal(new[] { 0.5 + Math.Exp(0.5), -1.5 - 2 * Math.Exp(-1.5) }, gw);

        x.Grad = null;
        w.Grad = null;
        (y1 + (y2 * g2).Sum()).Backward();                           // the same question, one root
        Assert.Equal(gx, D(x.Grad!));
        Assert.Equal(gw, D(w.Grad!));
    }

    [Fact]
    public void TheSameRootGivenTwiceAccumulatesBothGradients()
    {
        var x = Leaf(1, 2);
        var y = (x * x).Sum();                                       // dy/dx = 2x
        Autograd.Backward([y, y], [S(2.0), S(3.0)], retainGraph: true);
        Assert.Equal(new double[] { 10, 20 }, D(x.Grad!));           // (2 + 3) · 2x

        x.Grad = null;
        Autograd.Backward([y, y]);                                   // scalar roots: 1 each
        Assert.Equal(new double[] { 4, 8 }, D(x.Grad!));
    }

    [Fact]
    public void ARootThatFeedsAnotherRootRunsOnceAfterItsConsumer()
    {
        // y1 = sum(3x) = 9 at x = [1, 2]; y2 = y1²: dy1 = 1 + 2·y1 = 19 arrives at y1's node in one call.
        var x = Leaf(1, 2);
        var y1 = (x * 3.0).Sum();
        var y2 = y1 * y1;
        var received = new List<double>();
        using var count = y1.GradFn!.RegisterPrehook(g => { received.Add(g[0]!.Item<double>()); return null; });
        Autograd.Backward([y1, y2]);
        Assert.Equal([19.0], received);
        Assert.Equal(new double[] { 57, 57 }, D(x.Grad!));
    }

    [Fact]
    public void InputsRestrictWhichLeavesGetGrad()
    {
        var x = Leaf(1, 2);
        var w = Leaf(3, 4);
        var unrelated = Leaf(7);
        var y = (x * w).Sum();
        Autograd.Backward([y], inputs: [w, unrelated], retainGraph: true);
        Assert.Equal(new double[] { 1, 2 }, D(w.Grad!));              // dy/dw = x
        Assert.Null(x.Grad);
        Assert.Null(unrelated.Grad);                                 // not reached: left alone, no error

        y.Backward(inputs: [x]);                                     // Tensor.Backward(inputs:) likewise
        Assert.Equal(new double[] { 3, 4 }, D(x.Grad!));
        Assert.Equal(new double[] { 1, 2 }, D(w.Grad!));              // unchanged
    }

    [Fact]
    public void ANonLeafInputGetsGradAndKeepsRetainingItAsInPyTorch()
    {
        var x = Leaf(1, 2);
        var h = x * x;
        var y = (h * h).Sum();                                       // dy/dh = 2h = [2, 8]
        Autograd.Backward([y], inputs: [h], retainGraph: true);
        Assert.Equal(new double[] { 2, 8 }, D(h.Grad!));
        Assert.True(h.RetainsGrad);
        Assert.Null(x.Grad);

        y.Backward();                                                // a plain backward now fills h.Grad too
        Assert.Equal(new double[] { 4, 16 }, D(h.Grad!));
        Assert.Equal(new double[] { 4, 32 }, D(x.Grad!));             // dy/dx = 4x³
    }

    [Fact]
    public void RetainGraphDefaultsToCreateGraph()
    {
        var x = Leaf(2);
        var y = (x * x * x).Sum();                                   // 3x² = 12, 6x = 12
        Autograd.Backward([y], createGraph: true);
        Assert.Equal(new double[] { 12 }, D(x.Grad!));
        Assert.True(x.Grad!.RequiresGrad);
        // The second-order graph reaches back into y's forward nodes, so keep them for the next pass.
        Assert.Equal(12.0, Autograd.Grad(x.Grad.Sum(), x, retainGraph: true)!.Item<double>());
        Autograd.Backward([y]);                                      // the graph was kept by createGraph
        Assert.Equal(24.0, D(x.Grad!)[0]);

        var z = (x * x).Sum();
        Autograd.Backward([z]);                                      // not retained this time
        Assert.Throws<InvalidOperationException>(() => Autograd.Backward([z]));
    }

    [Fact]
    public void MismatchedCountsShapesAndMissingGradientsAreErrors()
    {
        var x = Leaf(1, 2);
        var scalar = (x * x).Sum();
        var vector = x * 3.0;

        var ex = Assert.Throws<ArgumentException>(() => Autograd.Backward([scalar, vector], [null]));
        Assert.Contains("Autograd.Backward", ex.Message);
        Assert.Contains("got 1 gradients for 2 outputs", ex.Message);
        Assert.Contains("MultiRootBackwardTests.cs", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Autograd.Backward([scalar, vector], [null, Tensor.Ones([3], DType.Float64)]));
        Assert.Contains("output 1", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[2]", ex.Message);

        var ix = Assert.Throws<InvalidOperationException>(() => Autograd.Backward([scalar, vector]));
        Assert.Contains("implicitly only for scalar outputs", ix.Message);
        Assert.Contains("output 1", ix.Message);

        ix = Assert.Throws<InvalidOperationException>(() => Autograd.Backward([scalar, Tensor.Scalar(1.0)]));
        Assert.Contains("output 1", ix.Message);
        Assert.Contains("does not require grad", ix.Message);

        ix = Assert.Throws<InvalidOperationException>(() => Autograd.Backward([scalar], inputs: [Tensor.Scalar(1.0)]));
        Assert.Contains("input 0", ix.Message);

        Assert.Throws<ArgumentException>(() => Autograd.Backward([]));
        ex = Assert.Throws<ArgumentException>(() => scalar.Backward(inputs: []));
        Assert.Contains("inputs is empty", ex.Message);
        Assert.Null(x.Grad);                                         // nothing ran
    }
}
