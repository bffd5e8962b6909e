using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// Pooling options (ceil mode, indices, divisor override, 1-d), max unpooling and adaptive pooling: PyTorch
/// documentation examples and values worked out by hand, in float32 and float64, and errors naming the caller.
/// </summary>
public class PoolLayersTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static Tensor Range(int n, params int[] shape) => D(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), shape);

    static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    static long[] Longs(Tensor t) => t.ToArray<long>();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxPool2dCeilModeKeepsThePartialLastWindows(DType dtype)
    {
        // 0..24 as 5x5, kernel 2, stride 2: floor gives 2x2; ceil 3x3, the last row and column holding partial windows.
        var x = Range(25, 1, 1, 5, 5).To(dtype);
        Assert.Equal([6, 8, 16, 18], Values(F.MaxPool2d(x, 2)));
        Assert.Equal([6, 8, 9, 16, 18, 19, 21, 23, 24], Values(F.MaxPool2d(x, 2, ceilMode: true)));
        var (values, indices) = F.MaxPool2dWithIndices(x, 2, ceilMode: true);
        Assert.Equal([1, 1, 3, 3], values.Shape.ToArray());
        Assert.Equal(DType.Int64, indices.DType);
        Assert.Equal([6L, 8, 9, 16, 18, 19, 21, 23, 24], Longs(indices));   // ih·5 + iw, here equal to the values
        // The module, and its gradient: each output's gradient reaches its own maximum only.
        var v = new Variable(x);
        new MaxPool2d(2, ceilMode: true).Call(v).Sum().Backward();
        var g = Values(v.Grad!);
        Assert.Equal(9, g.Sum());
        Assert.All(new[] { 6, 8, 9, 16, 18, 19, 21, 23, 24 }, i => Assert.Equal(1, g[i]));
    }

    [Fact]
    public void CeilModeDropsAWindowThatWouldStartPastThePadding()
    {
        // L = 5, kernel 2, stride 3, padding 1: ⌈(5 + 2 - 2)/3⌉ + 1 = 3, but the third window would start at
        // 2·3 - 1 = 5 ≥ L, inside the right padding only: PyTorch drops it, leaving windows [-1, 0] and [2, 3].
        var x = D([1, 2, 3, 5, 4], 1, 1, 5);
        Assert.Equal([1, 5], Values(F.MaxPool1d(x, 2, stride: 3, padding: 1, ceilMode: true)));
        var (values, indices) = F.MaxPool1dWithIndices(x, 2, stride: 3, padding: 1, ceilMode: true);
        Assert.Equal([1, 5], Values(values));
        Assert.Equal([0L, 3], Longs(indices));
        // A window that only reaches past the end is kept: L = 4, kernel 3, stride 2 -> windows [0, 3) and [2, 5).
        Assert.Equal([3, 4], Values(F.MaxPool1d(D([1, 2, 3, 4], 1, 4), 3, stride: 2, ceilMode: true)));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxPool1dModuleAndUnbatchedInput(DType dtype)
    {
        var pool = new MaxPool1d(3, stride: 2);
        var x = D([3, 1, 4, 1, 5, 9, 2, 6], 1, 8).To(dtype);   // unbatched [C, L]
        Assert.Equal([4, 5, 9], Values(pool.Call(x)));         // windows 0..2, 2..4, 4..6
        var (_, at) = pool.ForwardWithIndices(x);
        Assert.Equal([2L, 4, 5], Longs(at));
        Assert.Contains("kernel_size=3, stride=2", pool.ToString());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AvgPool2dCeilModeAndDivisorOverride(DType dtype)
    {
        // 0..8 as 3x3, kernel 2, stride 2, ceil: the partial windows divide by their size inside the (zero) padding:
        // (0+1+3+4)/4 = 2, (2+5)/2 = 3.5, (6+7)/2 = 6.5, 8/1 = 8 (as torch.nn.AvgPool2d(2, ceil_mode=True)).
        var x = Range(9, 1, 1, 3, 3).To(dtype);
        Assert.Equal([2, 3.5, 6.5, 8], Values(F.AvgPool2d(x, 2, ceilMode: true)));
        Assert.Equal([2, 3.5, 6.5, 8], Values(new AvgPool2d(2, ceilMode: true).Call(x)));
        // With padding 1 the padded zeros count, the region past the padding does not: 3x3, kernel 2, stride 2,
        // padding 1, ceil -> 2x2 (a third window would start at 3 = H, past the input); corners:
        // 0/4, (1+2)/4, (3+6)/4, (4+5+7+8)/4.
        Assert.Equal([0, 0.75, 2.25, 6], Values(F.AvgPool2d(x, 2, padding: 1, ceilMode: true)));
        // divisorOverride divides every window sum by the same number: window sums of 0..15 as 4x4 / 1.
        var y = Range(16, 1, 4, 4).To(dtype);
        Assert.Equal([10, 18, 42, 50], Values(F.AvgPool2d(y, 2, divisorOverride: 1)));
        Assert.Equal([5, 9, 21, 25], Values(new AvgPool2d(2, divisorOverride: 2).Call(y)));
    }

    [Fact]
    public void AvgPool1dCountIncludePad()
    {
        var x = D([1, 2, 3, 4], 1, 1, 4);
        // Kernel 3, stride 1, padding 1: the edge windows hold one padded zero.
        Assert.Equal([1, 2, 3, 7 / 3.0], Values(F.AvgPool1d(x, 3, stride: 1, padding: 1)));
        Assert.Equal([1.5, 2, 3, 3.5], Values(new AvgPool1d(3, stride: 1, padding: 1, countIncludePad: false).Call(x)));
        // Ceil mode, kernel 3, stride 2, no padding: windows [0, 3) and [2, 5) -> 2 and (3+4)/2.
        Assert.Equal([2, 3.5], Values(F.AvgPool1d(x, 3, stride: 2, ceilMode: true)));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxUnpool2dInvertsMaxPoolAsInThePyTorchDocs(DType dtype)
    {
        // torch.nn.MaxUnpool2d docs: 1..16 as 4x4, MaxPool2d(2, stride=2, return_indices=True), then unpool.
        var x = D(Enumerable.Range(1, 16).Select(i => (double)i).ToArray(), 1, 1, 4, 4).To(dtype);
        var pool = new MaxPool2d(2, stride: 2);
        var (values, indices) = pool.ForwardWithIndices(x);
        var unpool = new MaxUnpool2d(2, stride: 2);
        Assert.Equal([0, 0, 0, 0, 0, 6, 0, 8, 0, 0, 0, 0, 0, 14, 0, 16], Values(unpool.Call(values, indices)));
        // The same on 1..25 as 5x5 with output_size = the input's: the maxima go back where they came from.
        var x5 = D(Enumerable.Range(1, 25).Select(i => (double)i).ToArray(), 1, 1, 5, 5).To(dtype);
        var (v5, i5) = pool.ForwardWithIndices(x5);
        var back = unpool.Call(v5, i5, outputSize: (5, 5));
        Assert.Equal([1, 1, 5, 5], back.Shape.ToArray());
        var expected = new double[25];
        foreach (var at in new[] { 6, 8, 16, 18 }) expected[at] = at + 1;
        Assert.Equal(expected, Values(back));
        Assert.Throws<ArgumentException>(() => unpool.Forward(v5));
    }

    [Fact]
    public void MaxUnpoolOfOverlappingWindowsKeepsTheSharedMaximumOnce()
    {
        // Kernel 3, stride 1 on [0, 9, 0, 0]: both windows pick the 9 at position 1; unpooling puts back 9, not 18.
        var x = D([0, 9, 0, 0], 1, 1, 4);
        var (values, indices) = F.MaxPool1dWithIndices(x, 3, stride: 1);
        Assert.Equal([1L, 1], Longs(indices));
        Assert.Equal([0, 9, 0, 0], Values(F.MaxUnpool1d(values, indices, 3, stride: 1)));
        // Its gradient is the mean's: each of the two inputs gets half.
        var v = new Variable(values);
        F.MaxUnpool1d(v, indices, 3, stride: 1).Sum().Backward();
        Assert.Equal([0.5, 0.5], Values(v.Grad!));
    }

    [Fact]
    public void AdaptivePoolingWindowsByHand()
    {
        // L = 5 to 3: windows [0, 2), [1, 4), [3, 5) (start ⌊i·5/3⌋, end ⌈(i+1)·5/3⌉).
        var x = D([1, 2, 3, 4, 5], 1, 1, 5);
        Assert.Equal([1.5, 3, 4.5], Values(F.AdaptiveAvgPool1d(x, 3)));
        Assert.Equal([2, 4, 5], Values(F.AdaptiveMaxPool1d(x, 3)));
        var (_, at) = F.AdaptiveMaxPool1dWithIndices(x, 3);
        Assert.Equal([1L, 3, 4], Longs(at));
        Assert.Equal([3.0], Values(new AdaptiveAvgPool1d(1).Call(x)));
        Assert.Equal([5.0], Values(new AdaptiveMaxPool1d(1).Call(x)));
    }

    [Fact]
    public void AdaptiveMaxPoolTiesGoToTheFirstMaximumAndNaNToTheLastNaN()
    {
        // L = 5 to 2: windows [0, 3) and [2, 5); the second is [7, 7, 1]: first 7 (position 2) wins, and its
        // gradient goes there only.
        var x = new Variable(D([1, 0, 7, 7, 1], 1, 1, 5));
        var (values, at) = F.AdaptiveMaxPool1dWithIndices(x, 2);
        Assert.Equal([7, 7], Values(values));
        Assert.Equal([2L, 2], Longs(at));
        values.Sum().Backward();
        Assert.Equal([0, 0, 2, 0, 0], Values(x.Grad!));
        // NaN takes over and the last NaN is the argmax, as PyTorch's loop; in 2-d, row-major (positions 1 and 4 of a 2x3 plane).
        var (v1, a1) = F.AdaptiveMaxPool1dWithIndices(D([double.NaN, 5, double.NaN, 2], 1, 4), 1);
        Assert.True(double.IsNaN(Values(v1)[0]));
        Assert.Equal([2L], Longs(a1));
        var (v2, a2) = F.AdaptiveMaxPool2dWithIndices(D([0, double.NaN, 9, 3, double.NaN, 1], 1, 2, 3), (1, 1));
        Assert.True(double.IsNaN(Values(v2)[0]));
        Assert.Equal([4L], Longs(a2));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AdaptivePooling2dShapesFromThePyTorchDocs(DType dtype)
    {
        // torch.nn.AdaptiveAvgPool2d docs: (5, 7) of an 8x9 input; 7 gives 7x7 of 10x9; (None, 7) keeps H = 10.
        var x = Tensor.Zeros([1, 3, 8, 9], dtype);
        Assert.Equal([1, 3, 5, 7], new AdaptiveAvgPool2d((5, 7)).Call(x).Shape.ToArray());
        Assert.Equal([1, 3, 7, 7], new AdaptiveAvgPool2d(7).Call(Tensor.Zeros([1, 3, 10, 9], dtype)).Shape.ToArray());
        Assert.Equal([1, 3, 10, 7], new AdaptiveMaxPool2d((null, 7)).Call(Tensor.Zeros([1, 3, 10, 9], dtype)).Shape.ToArray());
        Assert.Contains("output_size=(None, 7)", new AdaptiveMaxPool2d((null, 7)).ToString());
        // A global pool of 0..11 as [2, 2, 3]: means 2.5 and 8.5, maxima 5 and 11 at flat position 5.
        var y = Range(12, 2, 2, 3).To(dtype);
        Assert.Equal([2.5, 8.5], Values(F.AdaptiveAvgPool2d(y, 1)));
        var (m, at) = new AdaptiveMaxPool2d(1).ForwardWithIndices(y);
        Assert.Equal([2, 1, 1], m.Shape.ToArray());
        Assert.Equal([5, 11], Values(m));
        Assert.Equal([5L, 5], Longs(at));
        // 4x4 to 2x2 is an ordinary 2x2 average pool.
        var z = Range(16, 1, 1, 4, 4).To(dtype);
        Assert.Equal(Values(F.AvgPool2d(z, 2)), Values(F.AdaptiveAvgPool2d(z, 2)));
    }

    [Fact]
    public void PoolingErrorsNameTheOpAndTheCaller()
    {
        var x = Tensor.Zeros(1, 1, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => F.AvgPool2d(x, 2, divisorOverride: 0));
        Assert.Contains("AvgPool2d", e.Message);
        Assert.Contains("PoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool2d(x, (0, 2)));
        Assert.Contains("AdaptiveAvgPool2d", e.Message);
        Assert.Contains("PoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.MaxPool1d(x, 2));
        Assert.Contains("MaxPool1d", e.Message);
        Assert.Contains("PoolLayersTests.cs:", e.Message);
        var (values, indices) = F.MaxPool2dWithIndices(x, 2);
        e = Assert.Throws<ArgumentException>(() => F.MaxUnpool2d(values, indices, 2, outputSize: (7, 7)));
        Assert.Contains("MaxUnpool2d", e.Message);
        Assert.Contains("PoolLayersTests.cs:", e.Message);
        var bad = Tensor.FromArray(new long[] { 0, 1, 2, 16 }, [1, 1, 2, 2]);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => F.MaxUnpool2d(values, bad, 2));
        Assert.Contains("MaxUnpool2d", r.Message);
        Assert.Contains("16", r.Message);
        Assert.Contains("PoolLayersTests.cs:", r.Message);
        e = Assert.Throws<ArgumentException>(() => F.AdaptiveMaxPool2d(Tensor.Zeros([1, 1, 3, 3], DType.Int32), 1));
        Assert.Contains("float", e.Message);
    }
}
