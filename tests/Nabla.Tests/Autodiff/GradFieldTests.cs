namespace Nabla.Tests.Autodiff;

/// <summary>
/// <c>.Grad</c> as PyTorch's AccumulateGrad keeps it: accumulated in place without createGraph (a held
/// reference sees later sums), out of place and recorded with it; and the setter's checks.
/// </summary>
public class GradFieldTests
{
    static Tensor Vec(double[] v, bool requiresGrad = false) => Tensor.FromArray(v, [v.Length], requiresGrad: requiresGrad);

    [Fact]
    public void GradAccumulatesInPlaceWithoutCreateGraph()
    {
        var x = Vec([1.0], requiresGrad: true);
        var y = x + 2;
        y.Backward(Tensor.Ones([1], DType.Float64), retainGraph: true);
        var g = x.Grad!;
        int version = g.Version;
        y.Backward(Tensor.Ones([1], DType.Float64));
        Assert.Same(g, x.Grad);
        Assert.Equal(new[] { 2.0 }, g.ToArray<double>());
        Assert.Equal(version + 1, g.Version);     // the add was an in-place write
        Assert.Null(g.GradFn);                    // and it was not recorded
        Assert.False(g.RequiresGrad);
    }

    [Fact]
    public void FirstGradientIsAPrivateCopyOfTheIncomingOne()
    {
        // Backward from the leaf itself hands the seed straight to AccumulateGrad: .Grad must own its
        // memory, so changing the seed afterwards, or adding into .Grad in place, touches nothing else.
        var x = Vec([1.0, 2.0], requiresGrad: true);
        var seed = Tensor.Ones([2], DType.Float64);
        x.Backward(seed);
        seed.MulInPlace(10);
        Assert.Equal(new[] { 1.0, 1.0 }, x.Grad!.ToArray<double>());
        x.Backward(Tensor.Ones([2], DType.Float64));
        Assert.Equal(new[] { 2.0, 2.0 }, x.Grad!.ToArray<double>());
        Assert.Equal(new[] { 10.0, 10.0 }, seed.ToArray<double>());
    }

    [Fact]
    public void GradAccumulatesOutOfPlaceAndRecordedWithCreateGraph()
    {
        // y = x³: first backward stores 3x² (with history), the second adds another 3x² out of place.
        var x = Vec([2.0], requiresGrad: true);
        var y = x * x * x;
        y.Backward(createGraph: true);
        var first = x.Grad!;
        Assert.NotNull(first.GradFn);
        y.Backward(createGraph: true);
        Assert.NotSame(first, x.Grad);
        Assert.Equal(new[] { 12.0 }, first.ToArray<double>());           // untouched
        Assert.Equal(new[] { 24.0 }, x.Grad!.ToArray<double>());
        // The recorded sum differentiates: d(6x²)/dx = 12x = 24.
        var gg = Autograd.Grad(x.Grad!, x)!;
        Assert.Equal(new[] { 24.0 }, gg.ToArray<double>());
    }

    [Fact]
    public void InPlaceAccumulationAddsIntoAnAssignedGradient()
    {
        var x = Vec([1.0, 2.0], requiresGrad: true);
        var mine = Vec([5.0, 5.0]);
        x.Grad = mine;
        (x * x).Sum().Backward();
        Assert.Same(mine, x.Grad);
        Assert.Equal(new[] { 7.0, 9.0 }, mine.ToArray<double>());
    }

    [Fact]
    public void GradSetterRefusesTheTensorItself()
    {
        var x = Vec([1.0], requiresGrad: true);
        var e = Assert.Throws<ArgumentException>(() => x.Grad = x);
        Assert.Contains("can't assign Variable as its own grad", e.Message);
        Assert.Contains(nameof(GradFieldTests), e.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void GradSetterChecksDTypeShapeAndDevice()
    {
        var x = Vec([1.0, 2.0], requiresGrad: true);
        var dtype = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros(2));
        Assert.Contains("assigned grad has data of a different type", dtype.Message);
        Assert.Contains("float32", dtype.Message);
        Assert.Contains("float64", dtype.Message);
        var size = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros([3], DType.Float64));
        Assert.Contains("assigned grad has data of a different size", size.Message);
        Assert.Contains("[3]", size.Message);
        var device = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros([2], DType.Float64).To(Device.Reference));
        Assert.Contains("assigned grad has data located on a different device", device.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void GradSetterAcceptsAMatchingTensorAndNull()
    {
        var x = Vec([1.0, 2.0], requiresGrad: true);
        var g = Vec([0.5, 0.25]);
        x.Grad = g;
        Assert.Same(g, x.Grad);
        x.Grad = null;
        Assert.Null(x.Grad);
        (x * 3).Sum().Backward();
        Assert.Equal(new[] { 3.0, 3.0 }, x.Grad!.ToArray<double>());
    }
}
