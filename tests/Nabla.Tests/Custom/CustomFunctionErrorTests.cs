namespace Nabla.Tests.Custom;

/// <summary>What a custom function's misuse reports: the function's name and what to do.</summary>
public class CustomFunctionErrorTests
{
    static Tensor X() => Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);

    [Fact]
    public void WrongNumberOfGradientsNamesTheFunction()
    {
        var y = new BadBackward(g => [g, g]).Apply(X());
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("FaultyBackward", ex.Message);
        Assert.Contains("2 gradients for 1 inputs", ex.Message);
    }

    [Fact]
    public void WrongShapeOfGradientNamesTheFunctionAndShapes()
    {
        var y2 = new BadBackward(g => [g.Sum()]).Apply(X());
        var ex2 = Assert.Throws<InvalidOperationException>(() => y2.Sum().Backward());
        Assert.Contains("FaultyBackward", ex2.Message);
        Assert.Contains("[]", ex2.Message);
        Assert.Contains("[2]", ex2.Message);
    }

    [Fact]
    public void NullFromBackwardIsAnError()
    {
        var y = new BadBackward(_ => null!).Apply(X());
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("FaultyBackward", ex.Message);
    }

    [Fact]
    public void NullGradientForAnInputMeansNone()
    {
        var x = X();
        var y = new BadBackward(_ => [null]).Apply(x);
        y.Sum().Backward();
        Assert.Null(x.Grad);
        Assert.Null(Autograd.Grad(new BadBackward(_ => [null]).Apply(x).Sum(), x, allowUnused: true));
    }

    [Fact]
    public void BackwardTwiceWithoutRetainGraphThrowsTheSavedTensorError()
    {
        var x = X();
        var y = new MyExp().Apply(x);
        y.Sum().Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("MyExpBackward", ex.Message);
        Assert.Contains("second time", ex.Message);
        Assert.Contains("retainGraph: true", ex.Message);
    }

    [Fact]
    public void BackwardTwiceWithRetainGraphAccumulates()
    {
        var x = X();
        var y = new MyExp().Apply(x);
        y.Sum().Backward(retainGraph: true);
        y.Sum().Backward();
        Assert.Equal(2 * Math.Exp(1), x.Grad!.ToArray<double>()[0], 14);
        Assert.Equal(2 * Math.Exp(2), x.Grad!.ToArray<double>()[1], 14);
    }

    [Fact]
    public void InPlaceChangeOfSavedInputNamesTheFunctionAndTheOp()
    {
        var x = X();
        var c = Tensor.FromArray(new double[] { 3, 4 }, [2]);
        var y = new MulSaved().Apply(x, c);
        c.AddInPlace(1.0);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("MulSavedBackward", ex.Message);
        Assert.Contains("in-place", ex.Message);
        Assert.Contains("AddInPlace", ex.Message);
        Assert.Contains("saved tensor 1", ex.Message);
    }

    [Fact]
    public void InPlaceChangeOfSavedOutputIsCaught()
    {
        var x = X();
        var y = new MyExp().Apply(x);
        y.MulInPlace(2.0);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("MyExpBackward", ex.Message);
        Assert.Contains("MulInPlace", ex.Message);
    }

    [Fact]
    public void ApplyOnAFunctionWithTwoOutputsSaysToUseApplyAll()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new SinCos().Apply(X()));
        Assert.Contains("SinCos", ex.Message);
        Assert.Contains("ApplyAll", ex.Message);
    }

    [Fact]
    public void NullInputIsAnArgumentError()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MyExp().Apply([null!]));
        Assert.Contains("MyExp", ex.Message);
    }
}
