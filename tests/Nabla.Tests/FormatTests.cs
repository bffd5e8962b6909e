namespace Nabla.Tests;

/// <summary>
/// Tensor.ToString follows PyTorch's printing (torch/_tensor_str.py) with shape and dtype always
/// shown. Expected strings are what PyTorch prints for the same values, plus Nabla's suffixes.
/// </summary>
public class FormatTests
{
    static Tensor F32(float[] data, params int[] shape) => Tensor.FromArray(data, shape);
    static Tensor F64(double[] data, params int[] shape) => Tensor.FromArray(data, shape);

    [Fact]
    public void WholeFloatsPrintWithTrailingDot()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, [3], requiresGrad: true);
        Assert.Equal("tensor([1., 2., 3.], shape=[3], dtype=float32, requires_grad=True)", x.ToString());
    }

    [Fact]
    public void MatrixWithFractionsUsesFourDecimalsAndIndentsRows()
    {
        var x = F32([1.5f, 2.25f, 3f, 4f], 2, 2);
        Assert.Equal("tensor([[1.5000, 2.2500],\n        [3.0000, 4.0000]], shape=[2, 2], dtype=float32)", x.ToString());
    }

    [Fact]
    public void ComputedTensorShowsGradFn()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }, [2], requiresGrad: true);
        Assert.Equal("tensor([2., 4.], shape=[2], dtype=float32, grad_fn=<MulBackward>)", (x * 2).ToString());
        Assert.Equal("tensor([0., 1.], shape=[2], dtype=float32, grad_fn=<SubBackward>)", (x - 1).ToString());
        Assert.Equal("tensor([1., 2.], shape=[2], dtype=float32)", x.Detach().ToString());
    }

    [Fact]
    public void ColumnsAreRightAligned()
    {
        Assert.Equal("tensor([-1.5000, 10.2500,  0.0000], shape=[3], dtype=float64)", F64([-1.5, 10.25, 0], 3).ToString());
    }

    [Fact]
    public void ScientificWhenRangeIsLargeOrValuesTiny()
    {
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00], shape=[2], dtype=float64)", F64([1e-5, 1], 2).ToString());
        Assert.Equal("tensor([-1.2346e+05,  2.0000e-03], shape=[2], dtype=float64)", F64([-123456, 0.002], 2).ToString());
        // Tiny alone is enough for fractions ...
        Assert.Equal("tensor([5.0000e-05, 6.0000e-05], shape=[2], dtype=float64)", F64([5e-5, 6e-5], 2).ToString());
        // ... while whole numbers go scientific on range (> 1000x) or size (> 1e8) only.
        Assert.Equal("tensor([1.0000e+00, 2.0000e+03], shape=[2], dtype=float32)", F32([1, 2000], 2).ToString());
        Assert.Equal("tensor([1.0000e+00, 1.0000e+09], shape=[2], dtype=float64)", F64([1, 1e9], 2).ToString());
        Assert.Equal("tensor([   1., 1000.], shape=[2], dtype=float32)", F32([1, 1000], 2).ToString());
    }

    [Fact]
    public void RoundsHalfToEvenLikePython()
    {
        // 0.03125 and 0.09375 are exact binary halves at the 5th decimal: Python rounds them to even.
        Assert.Equal("tensor([0.0312, 0.0938], shape=[2], dtype=float64)", F64([0.03125, 0.09375], 2).ToString());
    }

    [Fact]
    public void NanAndInfinity()
    {
        Assert.Equal("tensor([1., nan, -inf], shape=[3], dtype=float32)", F32([1, float.NaN, float.NegativeInfinity], 3).ToString());
        Assert.Equal("tensor([0.5000,    nan,    inf], shape=[3], dtype=float64)", F64([0.5, double.NaN, double.PositiveInfinity], 3).ToString());
        Assert.Equal("tensor([nan, nan], shape=[2], dtype=float32)", F32([float.NaN, float.NaN], 2).ToString());
    }

    [Fact]
    public void IntegersAndBools()
    {
        Assert.Equal("tensor([  1, -20, 300], shape=[3], dtype=int64)", Tensor.FromArray(new long[] { 1, -20, 300 }, [3]).ToString());
        Assert.Equal("tensor([[7, 8]], shape=[1, 2], dtype=int32)", Tensor.FromArray(new[] { 7, 8 }, [1, 2]).ToString());
        Assert.Equal("tensor([ True, False], shape=[2], dtype=bool)", Tensor.FromArray(new[] { true, false }, [2]).ToString());
        Assert.Equal("tensor(9223372036854775807, shape=[], dtype=int64)", Tensor.FromArray(new[] { long.MaxValue }, []).ToString());
    }

    [Fact]
    public void ScalarsAndEmptyTensors()
    {
        Assert.Equal("tensor(7., shape=[], dtype=float32)", Tensor.Scalar(7f).ToString());
        Assert.Equal("tensor(2.5000, shape=[], dtype=float64, requires_grad=True)", Tensor.Scalar(2.5, requiresGrad: true).ToString());
        Assert.Equal("tensor(0., shape=[], dtype=float32)", Tensor.Scalar(0f).ToString());
        Assert.Equal("tensor([], shape=[0], dtype=float32)", Tensor.Zeros(0).ToString());
        Assert.Equal("tensor([], shape=[2, 0], dtype=int64)", Tensor.Zeros([2, 0], DType.Int64).ToString());
        Assert.Equal("tensor([0., 0., 0.], shape=[3], dtype=float32)", Tensor.Zeros(3).ToString());
    }

    [Fact]
    public void ThreeDimensionsSeparateBlocksWithABlankLine()
    {
        var x = Tensor.Arange(8).Reshape(2, 2, 2);
        const string expected =
            "tensor([[[0, 1],\n" +
            "         [2, 3]],\n" +
            "\n" +
            "        [[4, 5],\n" +
            "         [6, 7]]], shape=[2, 2, 2], dtype=int64)";
        Assert.Equal(expected, x.ToString());
    }

    [Fact]
    public void ViewsPrintTheirLogicalValues()
    {
        var m = F32([1, 2, 3, 4], 2, 2);
        Assert.Equal("tensor([[1., 3.],\n        [2., 4.]], shape=[2, 2], dtype=float32)", m.T.ToString());
        var row = F32([1, 2], 2).Expand(3, 2);
        Assert.Equal("tensor([[1., 2.],\n        [1., 2.],\n        [1., 2.]], shape=[3, 2], dtype=float32)", row.ToString());
    }

    [Fact]
    public void LongVectorsWrapAt80Columns()
    {
        var data = new double[20];
        for (int i = 0; i < data.Length; i++) data[i] = i + 0.5;
        const string expected =
            "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n" +
            "         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000,\n" +
            "        16.5000, 17.5000, 18.5000, 19.5000], shape=[20], dtype=float64)";
        Assert.Equal(expected, F64(data, 20).ToString());
    }

    [Fact]
    public void LargeVectorIsSummarized()
    {
        Assert.Equal("tensor([   0,    1,    2,  ..., 1997, 1998, 1999], shape=[2000], dtype=int64)", Tensor.Arange(2000).ToString());
        // 1000 elements is not more than the threshold: printed in full.
        Assert.DoesNotContain("...", Tensor.Arange(1000).ToString());
    }

    [Fact]
    public void LargeMatrixIsSummarizedAndSuffixWraps()
    {
        var x = Tensor.Arange(2000).Reshape(200, 10);
        const string expected =
            "tensor([[   0,    1,    2,  ...,    7,    8,    9],\n" +
            "        [  10,   11,   12,  ...,   17,   18,   19],\n" +
            "        [  20,   21,   22,  ...,   27,   28,   29],\n" +
            "        ...,\n" +
            "        [1970, 1971, 1972,  ..., 1977, 1978, 1979],\n" +
            "        [1980, 1981, 1982,  ..., 1987, 1988, 1989],\n" +
            "        [1990, 1991, 1992,  ..., 1997, 1998, 1999]], shape=[200, 10],\n" +
            "       dtype=int64)";
        Assert.Equal(expected, x.ToString());
    }

    [Fact]
    public void FormatIsChosenFromShownValuesOnly()
    {
        // The hidden middle holds 1e-9, which would force scientific notation if it were shown.
        var data = new double[1001];
        for (int i = 0; i < data.Length; i++) data[i] = 1.5;
        data[500] = 1e-9;
        const string expected =
            "tensor([1.5000, 1.5000, 1.5000,  ..., 1.5000, 1.5000, 1.5000], shape=[1001],\n" +
            "       dtype=float64)";
        Assert.Equal(expected, F64(data, 1001).ToString());
    }

    [Fact]
    public void SuffixMovesToNextLineWhenPast80Columns()
    {
        var data = new double[8];
        for (int i = 0; i < data.Length; i++) data[i] = 100000 + i + 0.25;
        // Each element is 11 wide: 5 fit on the first line (73 / 13), the last line is 3 elements long.
        const string expected =
            "tensor([100000.2500, 100001.2500, 100002.2500, 100003.2500, 100004.2500,\n" +
            "        100005.2500, 100006.2500, 100007.2500], shape=[8], dtype=float64,\n" +
            "       requires_grad=True)";
        Assert.Equal(expected, Tensor.FromArray(data, [8], requiresGrad: true).ToString());
    }
}
