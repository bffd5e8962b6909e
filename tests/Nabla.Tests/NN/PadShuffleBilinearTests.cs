using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Pad modes and padding layers, PixelShuffle/Unshuffle, Identity, Bilinear and OneHot: PyTorch's examples, gradients, errors.</summary>
public class PadShuffleBilinearTests
{
    static Tensor Grid() => Tensor.Arange(9, DType.Float64).Reshape(1, 1, 3, 3);

    static double[] Row(Tensor t, int row) => t[0, 0, row].ToDoubleArray();

    [Fact]
    public void EachModeFillsTheBorderAsPyTorch()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3]);
        Assert.Equal([3.0, 2, 1, 2, 3, 2], x.Pad([2, 1], PadMode.Reflect).ToDoubleArray());
        Assert.Equal([1.0, 1, 1, 2, 3, 3], x.Pad([2, 1], PadMode.Replicate).ToDoubleArray());
        Assert.Equal([2.0, 3, 1, 2, 3, 1], x.Pad([2, 1], PadMode.Circular).ToDoubleArray());
        Assert.Equal([9.0, 1, 2, 3, 9], x.Pad([1, 1], PadMode.Constant, 9).ToDoubleArray());
        Assert.Equal([0.0, 1, 2], x.Pad([1, -1], PadMode.Constant).ToDoubleArray());   // a negative amount crops
        Assert.Equal([3.0, 1, 2], x.Pad([1, -1], PadMode.Circular).ToDoubleArray());
        Assert.Equal([1.0, 2, 3], x.Pad([0, 0], PadMode.Reflect).ToDoubleArray());
    }

    [Fact]
    public void TwoDimLayersAsPyTorchsExamples()
    {
        var reflect = new ReflectionPad2d(2).Call(Grid());
        Assert.Equal([1, 1, 7, 7], reflect.Shape.ToArray());
        Assert.Equal([8.0, 7, 6, 7, 8, 7, 6], Row(reflect, 0));
        Assert.Equal([2.0, 1, 0, 1, 2, 1, 0], Row(reflect, 2));
        var replicate = new ReplicationPad2d(2).Call(Grid());
        Assert.Equal([0.0, 0, 0, 1, 2, 2, 2], Row(replicate, 0));
        Assert.Equal([6.0, 6, 6, 7, 8, 8, 8], Row(replicate, 6));
        var circular = new CircularPad2d(1).Call(Grid());
        Assert.Equal([8.0, 6, 7, 8, 6], Row(circular, 0));
        Assert.Equal([2.0, 0, 1, 2, 0], Row(circular, 1));
        var sides = new CircularPad2d(1, 1, 2, 0).Call(Grid());   // PyTorch's CircularPad2d((1, 1, 2, 0)) example
        Assert.Equal([1, 1, 5, 5], sides.Shape.ToArray());
        Assert.Equal([5.0, 3, 4, 5, 3], Row(sides, 0));
        Assert.Equal([2.0, 0, 1, 2, 0], Row(sides, 2));
        var zero = new ZeroPad2d(1, 1, 2, 0).Call(Grid());
        Assert.Equal([1, 1, 5, 5], zero.Shape.ToArray());
        Assert.Equal([0.0, 0, 1, 2, 0], Row(zero, 2));
        var constant = new ConstantPad2d(1, -1.5).Call(Grid());
        Assert.Equal([-1.5, 0, 1, 2, -1.5], Row(constant, 1));
        Assert.Equal([3.5, 3.5, 1, 2, 3.5, 3.5], new ConstantPad1d(2, 3.5).Call(Tensor.FromArray(new double[] { 1, 2 }, [1, 2])).ToDoubleArray());
        Assert.Equal([3.0, 1, 2, 3, 1], new CircularPad1d(1).Call(Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3])).ToDoubleArray());
        Assert.Equal([2.0, 1, 2, 3, 2], new ReflectionPad1d(1).Call(Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3])).ToDoubleArray());
        Assert.Equal([1.0, 1, 2, 3, 3, 3], new ReplicationPad1d(1, 2).Call(Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3])).ToDoubleArray());
        Assert.Contains("padding=(1, 1, 1, 1), value=-1.5", new ConstantPad2d(1, -1.5).ToString());
    }

    [Fact]
    public void GradientsSumIntoTheCopiedElementsAndIntegersPad()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3], requiresGrad: true);
        x.Pad([2, 1], PadMode.Reflect).Sum().Backward();   // [3, 2, 1, 2, 3, 2]: x0 once, x1 three times, x2 twice
        Assert.Equal([1.0, 3, 2], x.Grad!.ToDoubleArray());
        var ints = Tensor.FromArray(new long[] { 1, 2, 3 }, [1, 3]);
        Assert.Equal(new long[] { 3, 1, 2, 3, 1 }, ints.Pad([1, 1], PadMode.Circular).ToArray<long>());
        Assert.Equal(new long[] { 7, 1, 2, 3 }, ints.Pad([1, 0], PadMode.Constant, 7).ToArray<long>());
        var f = Tensor.FromArray(new[] { 1f, 2 }, [1, 2]).Pad([1, 1], PadMode.Replicate);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([1f, 1, 2, 2], f.ToArray<float>());
    }

    [Fact]
    public void BadPaddingIsAnErrorNamingTheCaller()
    {
        void Throws(Func<Tensor> pad, string part)
        {
            var e = Assert.Throws<ArgumentException>(() => pad());
            Assert.Contains("Pad", e.Message);
            Assert.Contains(part, e.Message);
            Assert.Contains("PadShuffleBilinearTests.cs:", e.Message);
        }
        var x = Tensor.Zeros(1, 3);
        Throws(() => x.Pad([3, 0], PadMode.Reflect), "less than its size 3");
        Throws(() => x.Pad([4, 0], PadMode.Circular), "at most its size 3");
        Throws(() => x.Pad([-1, 0], PadMode.Replicate), "negative");
        Throws(() => Tensor.Zeros(3).Pad([1, 1], PadMode.Reflect), "2 or 3 dims");
        Throws(() => x.Pad([1], PadMode.Constant), "pairs");
        Throws(() => x.Pad([0, -4], PadMode.Constant), "crops more");
        Throws(() => Tensor.Zeros(1, 0).Pad([1, 1], PadMode.Replicate), "non-empty");
        Assert.Throws<ArgumentException>(() => new ReflectionPad1d(-1));
    }

    [Fact]
    public void PixelShuffleRearrangesAndUnshuffleUndoesIt()
    {
        var x = Tensor.Arange(8, DType.Float64).Reshape(1, 4, 1, 2);   // channel c holds [2c, 2c + 1]
        var y = new PixelShuffle(2).Call(x);
        Assert.Equal([1, 1, 2, 4], y.Shape.ToArray());
        // y[0, 0, i, 2w + j] = x[0, 2i + j, 0, w]
        Assert.Equal([0.0, 2, 1, 3, 4, 6, 5, 7], y.ToDoubleArray());
        Assert.Equal(x.ToDoubleArray(), new PixelUnshuffle(2).Call(y).ToDoubleArray());
        var batch = Tensor.Randn(2, 3, 8, 2, 2);
        Assert.Equal([2, 3, 2, 4, 4], F.PixelShuffle(batch, 2).Shape.ToArray());
        Assert.Equal(batch.ToArray<float>(), F.PixelUnshuffle(F.PixelShuffle(batch, 2), 2).ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => F.PixelShuffle(Tensor.Zeros(1, 3, 2, 2), 2));
        Assert.Contains("PixelShuffle", e.Message);
        Assert.Contains("divisible", e.Message);
        Assert.Contains("PadShuffleBilinearTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => F.PixelUnshuffle(Tensor.Zeros(1, 1, 3, 2), 2));
    }

    [Fact]
    public void IdentityReturnsItsInputAndIgnoresArguments()
    {
        var x = Tensor.Randn(2, 3);
        Assert.Same(x, new Identity().Call(x));
        Assert.Same(x, new Identity(54, "unused", 0.1).Call(x));
        Assert.Equal(0, new Identity().ParameterCount());
    }

    [Fact]
    public void BilinearComputesTheFormAndInitializesAsPyTorch()
    {
        // x1 = [1, 2], x2 = [3], W[0] = [[1], [2]], b = [1]: 1·1·3 + 2·2·3 + 1 = 16.
        var y = F.Bilinear(Tensor.FromArray(new double[] { 1, 2 }, [1, 2]), Tensor.FromArray(new double[] { 3 }, [1, 1]),
            Tensor.FromArray(new double[] { 1, 2 }, [1, 2, 1]), Tensor.FromArray(new double[] { 1 }, [1]));
        Assert.Equal([16.0], y.ToDoubleArray());
        var m = new Bilinear(4, 3, 5, seed: 1);
        Assert.Equal([5, 4, 3], m.Weight.Shape.ToArray());
        Assert.Equal(5 * 4 * 3 + 5, m.ParameterCount());
        double bound = 1 / Math.Sqrt(4);
        Assert.All(m.Weight.ToArray<float>(), w => Assert.InRange(w, -bound, bound));
        Assert.All(m.Bias!.ToArray<float>(), b => Assert.InRange(b, -bound, bound));
        Assert.Equal(m.Weight.ToArray<float>(), new Bilinear(4, 3, 5, seed: 1).Weight.ToArray<float>());
        var x1 = Tensor.Randn(2, 6, 4);
        var x2 = Tensor.Randn(2, 6, 3);
        Assert.Equal([2, 6, 5], m.Call(x1, x2).Shape.ToArray());
        Assert.Null(new Bilinear(4, 3, 5, bias: false).Bias);
        Assert.Throws<ArgumentException>(() => m.Call(x1));
        var e = Assert.Throws<ArgumentException>(() => m.Call(x1, Tensor.Randn(2, 6, 2)));
        Assert.Contains("Bilinear", e.Message);
        Assert.Contains("PadShuffleBilinearTests.cs:", e.Message);
    }

    [Fact]
    public void OneHotAsPyTorchsExamples()
    {
        var idx = Tensor.FromArray(new long[] { 0, 1, 2, 0, 1 }, [5]);
        var y = F.OneHot(idx);
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal([5, 3], y.Shape.ToArray());
        Assert.Equal(new long[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0 }, y.ToArray<long>());
        Assert.Equal([5, 5], F.OneHot(idx, 5).Shape.ToArray());
        Assert.Equal([3, 2, 3], F.OneHot(Tensor.FromArray(new[] { 0, 2, 1, 1, 0, 2 }, [3, 2])).Shape.ToArray());
        Assert.Equal([0, 4], F.OneHot(Tensor.Zeros([0], DType.Int64), 4).Shape.ToArray());
        void Throws(Func<Tensor> f, string part)
        {
            var e = Assert.Throws<ArgumentException>(() => f());
            Assert.Contains("OneHot", e.Message);
            Assert.Contains(part, e.Message);
            Assert.Contains("PadShuffleBilinearTests.cs:", e.Message);
        }
        Throws(() => F.OneHot(Tensor.FromArray(new long[] { -1 }, [1])), "non-negative");
        Throws(() => F.OneHot(idx, 2), "out of range");
        Throws(() => F.OneHot(Tensor.Zeros(2)), "int64 or int32");
        Throws(() => F.OneHot(Tensor.Zeros([0], DType.Int64)), "empty");
    }
}
