namespace Nabla.Tests.Autodiff;

public class SmokeTests
{
    [Fact]
    public void SeedExamplePyTorchStyle()
    {
        var t = Tensor.Scalar(2.0f, requiresGrad: true);
        var z = t * t + 3 * t;
        z.Backward();
        Assert.Equal(7f, t.Grad!.Item<float>());
    }

    [Fact]
    public void CubeSemantics()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        var y = x * x * x;
        y.Backward(retainGraph: true);
        y.Backward(retainGraph: true);
        Assert.Equal(54.0, x.Grad!.Item<double>());
        var d1 = Autograd.Grad(y, x, createGraph: true)!;
        Assert.Equal(27.0, d1.Item<double>());
        Assert.Equal(18.0, Autograd.Grad(d1, x)!.Item<double>());
        var y2 = x * x * x;
        y2.Backward();
        Assert.Throws<InvalidOperationException>(() => y2.Backward());
    }

    [Fact]
    public void BroadcastGradSumsBack()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3 }, [3], requiresGrad: true);
        var b = Tensor.FromArray(new float[] { 10, 20 }, [2, 1], requiresGrad: true);
        var y = (a * b).Sum();
        y.Backward();
        Assert.Equal(new float[] { 30, 30, 30 }, a.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 6, 6 }, b.Grad!.ToArray<float>());
        var m = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var r = m.MatMul(m.T);
        Assert.Equal(new float[] { 14, 32, 32, 77 }, r.ToArray<float>());
    }
}
