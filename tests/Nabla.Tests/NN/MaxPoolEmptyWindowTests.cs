using Nabla.Engine;
using Nabla.Tests.OpDb;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// Max pooling with dilation where windows lie entirely in the padding: PyTorch gives -inf there (the
/// maximum of nothing) and sends those outputs' gradients nowhere. Checked on every backend, in both
/// floating dtypes, with the gradient (reverse mode) and the tangent (forward mode).
/// </summary>
public class MaxPoolEmptyWindowTests
{
    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void WindowEntirelyInPaddingGivesNegativeInfinity(DType dtype)
    {
        foreach (var device in OpDbTests.Devices)
        {
            // The case: W = 1, kernel width 2 dilated by 2, padding 1 reads columns -1 and 1 only.
            var x = Tensor.FromArray(new[] { 0.5, -0.3 }, [1, 1, 2, 1]).To(dtype).To(device);
            var y = F.MaxPool2d(x, (1, 2), stride: 1, padding: (0, 1), dilation: (1, 2));
            Assert.Equal([1, 1, 2, 1], y.Shape.ToArray());
            Assert.Equal(dtype, y.DType);
            Assert.Equal([double.NegativeInfinity, double.NegativeInfinity], y.ToDoubleArray());
        }
    }

    [Fact]
    public void GradientOfAnEmptyWindowGoesNowhere()
    {
        var x = Tensor.FromArray(new[] { 0.5, -0.3 }, [1, 1, 2, 1], requiresGrad: true);
        var y = F.MaxPool2d(x, (1, 2), stride: 1, padding: (0, 1), dilation: (1, 2));
        y.Backward(Tensor.FromArray(new[] { 1.0, 2.0 }, [1, 1, 2, 1]));
        Assert.Equal([0.0, 0.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void TangentOfAnEmptyWindowIsZero()
    {
        var x = Tensor.FromArray(new[] { 0.5, -0.3 }, [1, 1, 2, 1]);
        var v = Tensor.FromArray(new[] { 1.0, -4.0 }, [1, 1, 2, 1]);
        var (y, dy) = ForwardMode.Jvp(t => F.MaxPool2d(t[0], (1, 2), stride: 1, padding: (0, 1), dilation: (1, 2)), [x], [v]);
        Assert.Equal([double.NegativeInfinity, double.NegativeInfinity], y.ToDoubleArray());
        Assert.Equal([0.0, 0.0], dy.ToDoubleArray());
    }

    [Fact]
    public void SecondOrderThroughAnEmptyWindowIsZero()
    {
        // The backward's own derivative (a gather at the recorded positions) must also skip position -1.
        var x = Tensor.FromArray(new[] { 0.5, -0.3 }, [1, 1, 2, 1], requiresGrad: true);
        var gy = Tensor.FromArray(new[] { 1.0, 2.0 }, [1, 1, 2, 1], requiresGrad: true);
        var y = F.MaxPool2d(x, (1, 2), stride: 1, padding: (0, 1), dilation: (1, 2));
        var gx = Autograd.Grad([y], [x], [gy], createGraph: true)[0]!;
        Assert.Equal([0.0, 0.0], gx.ToDoubleArray());
        var ggy = Autograd.Grad([gx], [gy], [Tensor.FromArray(new[] { 3.0, 5.0 }, [1, 1, 2, 1])])[0]!;
        Assert.Equal([0.0, 0.0], ggy.ToDoubleArray());
    }

    [Fact]
    public void LargerBatchWithEmptyColumnsKeepsShapeAndValues()
    {
        // W = 2, kernel width 2 dilated by 3, padding 1: the only column window reads -1 and 2, both padding;
        // the height direction (kernel 3, padding 1) is ordinary, so the output is [2, 3, 4, 1], all -inf.
        var x = Samples.Uniform(5, [2, 3, 4, 2]);
        var y = F.MaxPool2d(x, (3, 2), stride: 1, padding: (1, 1), dilation: (1, 3));
        Assert.Equal([2, 3, 4, 1], y.Shape.ToArray());
        Assert.All(y.ToDoubleArray(), v => Assert.Equal(double.NegativeInfinity, v));
    }

    [Fact]
    public void DilationWithRealElementsStillPicksTheMaximum()
    {
        // Guards the empty-window path against taking over ordinary windows: width 5, kernel 2 dilated by 3,
        // padding 1, stride 1 gives windows reading columns (-1, 2), (0, 3), (1, 4), (2, 5): 5 is padding too.
        var x = Tensor.FromArray(new[] { 1.0, 9.0, 3.0, 2.0, 5.0 }, [1, 1, 1, 5], requiresGrad: true);
        var y = F.MaxPool2d(x, (1, 2), stride: 1, padding: (0, 1), dilation: (1, 3));
        Assert.Equal([3.0, 2.0, 9.0, 3.0], y.ToDoubleArray());
        y.Sum().Backward();
        Assert.Equal([0.0, 1.0, 2.0, 1.0, 0.0], x.Grad!.ToDoubleArray());
    }
}
