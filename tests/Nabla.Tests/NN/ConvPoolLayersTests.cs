using Nabla.Backends.Reference;
using Nabla.NN;
using Nabla.Tests.TestUtil;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// Conv1d/Conv3d, the transposed convolutions and their modules: PyTorch documentation examples, output
/// sizes, values worked out by hand, the transpose-of-conv identity, seeded init, and errors naming the caller.
/// </summary>
public class ConvPoolLayersTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static Tensor Range(int n, params int[] shape) => D(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), shape);

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Conv1dByHand(DType dtype)
    {
        // [1, 2, 3, 4] * [1, -1]: differences x[i] - x[i+1] = -1; padding 1, stride 2 reads [0, 1 | 2, 3 | 4, 0].
        var x = D([1, 2, 3, 4], 1, 1, 4).To(dtype);
        var w = D([1, -1], 1, 1, 2).To(dtype);
        Assert.Equal([-1, -1, -1], F.Conv1d(x, w).To(DType.Float64).ToArray<double>());
        Assert.Equal([-1, -1, 4], F.Conv1d(x, w, stride: 2, padding: 1).To(DType.Float64).ToArray<double>());
        // Dilation 2: x[i] - x[i+2] = -2, plus bias 0.5; unbatched [C, L] gives [O, L'].
        var y = F.Conv1d(x.Reshape(1, 4), w, D([0.5], 1).To(dtype), dilation: 2);
        Assert.Equal([1, 2], y.Shape.ToArray());
        Assert.Equal([-1.5, -1.5], y.To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void Conv1dModuleMatchesPyTorchDocShapes()
    {
        // torch.nn.Conv1d docs: Conv1d(16, 33, 3, stride=2) on (20, 16, 50) gives (20, 33, 24).
        var conv = new Conv1d(16, 33, 3, stride: 2, seed: 1);
        Assert.Equal([20, 33, 24], conv.Call(Tensor.Zeros(20, 16, 50)).Shape.ToArray());
        Assert.Equal([33, 16, 3], conv.Weight.Shape.ToArray());
        double bound = 1 / Math.Sqrt(16 * 3);
        Assert.All(conv.Weight.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal(conv.Weight.ToArray<float>(), new Conv1d(16, 33, 3, stride: 2, seed: 1).Weight.ToArray<float>());
        Assert.Contains("kernel_size=(3,), stride=(2,)", conv.ToString());
    }

    [Fact]
    public void Conv3dOutputSizeAndOneByOneKernel()
    {
        // Output per dim (S + 2p - d(k-1) - 1)/s + 1: D (5 + 8 - 3)/2 + 1 = 6, H 6 + 4 - 5 + 1 = 6, W 7 - 2 + 1 = 6.
        var conv = new Conv3d(2, 3, (3, 5, 2), stride: (2, 1, 1), padding: (4, 2, 0), seed: 2, dtype: DType.Float64);
        Assert.Equal([1, 3, 6, 6, 6], conv.Call(Tensor.Zeros([1, 2, 5, 6, 7], DType.Float64)).Shape.ToArray());
        Assert.Equal([3, 2, 3, 5, 2], conv.Weight.Shape.ToArray());
        // A 1x1x1 kernel mixes channels at every voxel: y[o] = Σ_c w[o, c]·x[c] + b[o]; unbatched input.
        var x = Range(16, 2, 2, 2, 2);
        var y = F.Conv3d(x, D([1, 10], 1, 2, 1, 1, 1), D([0.5], 1));
        Assert.Equal([1, 2, 2, 2], y.Shape.ToArray());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i + 10.0 * (i + 8) + 0.5).ToArray(), y.ToArray<double>());
    }

    [Fact]
    public void Conv3dGroupsAndStridesMatchLoopsInFloat32()
    {
        var x = OpDb.Samples.Uniform(40, [2, 4, 4, 5, 3]).To(DType.Float32);
        var w = OpDb.Samples.Uniform(41, [6, 2, 2, 3, 1]).To(DType.Float32);
        var y = F.Conv3d(x, w, stride: (1, 2, 1), padding: (1, 1, 0), dilation: (2, 1, 1), groups: 2);
        var expected = ConvPoolReference.Conv(RefArray.From(x), RefArray.From(w), null, [1, 2, 1], [1, 1, 0], [2, 1, 1], 2);
        Approx.Equal(expected, y, 1e-5, "Conv3d float32");
    }

    [Fact]
    public void ConvTranspose1dByHand()
    {
        // x = [1, 2], kernel [1, 1, 1], stride 2: x[0] covers outputs 0..2 and x[1] outputs 2..4 -> [1, 1, 3, 2, 2].
        var x = D([1, 2], 1, 1, 2);
        var w = D([1, 1, 1], 1, 1, 3);
        Assert.Equal([1, 1, 3, 2, 2], F.ConvTranspose1d(x, w, stride: 2).ToArray<double>());
        // Padding 1 crops one element from each end; output padding 1 adds one at the end (the crop's last one).
        Assert.Equal([1, 3, 2], F.ConvTranspose1d(x, w, stride: 2, padding: 1).ToArray<double>());
        Assert.Equal([1, 3, 2, 2], F.ConvTranspose1d(x, w, stride: 2, padding: 1, outputPadding: 1).ToArray<double>());
        // Bias and two output channels (weight [in, out, k]).
        var y = F.ConvTranspose1d(x, D([1, 0, 0, 0, 0, 1], 1, 2, 3), D([10, 20], 2));
        Assert.Equal([11, 12, 10, 10, 20, 20, 21, 22], y.ToArray<double>());
    }

    [Fact]
    public void ConvTranspose2dUndoesTheShapeOfAStridedConv()
    {
        // torch.nn.ConvTranspose2d docs: a 12x12 input downsampled by Conv2d(16, 16, 3, stride=2, padding=1) to 6x6
        // comes back as 11x11, or 12x12 with an output padding of 1 (what output_size=input.size() picks).
        var input = Tensor.Zeros(1, 16, 12, 12);
        var down = new Conv2d(16, 16, 3, stride: 2, padding: 1, seed: 3).Call(input);
        Assert.Equal([1, 16, 6, 6], down.Shape.ToArray());
        Assert.Equal([1, 16, 11, 11], new ConvTranspose2d(16, 16, 3, stride: 2, padding: 1, seed: 4).Call(down).Shape.ToArray());
        var up = new ConvTranspose2d(16, 16, 3, stride: 2, padding: 1, outputPadding: 1, seed: 4);
        Assert.Equal([1, 16, 12, 12], up.Call(down).Shape.ToArray());
        Assert.Equal([16, 16, 3, 3], up.Weight.Shape.ToArray());
        double bound = 1 / Math.Sqrt(16 * 9);
        Assert.All(up.Weight.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
    }

    [Theory]
    [InlineData(1, 0, 1, 1, 0)]
    [InlineData(2, 1, 1, 1, 1)]
    [InlineData(2, 2, 2, 2, 1)]
    [InlineData(3, 0, 1, 2, 2)]
    [InlineData(1, 1, 3, 1, 2)]   // output padding ≥ stride (under a larger dilation)
    [InlineData(2, 0, 3, 2, 2)]
    public void ConvTranspose2dIsTheGradientOfConv2dWithRespectToItsInput(int stride, int padding, int dilation, int groups, int outputPadding)
    {
        // conv_transpose2d(gy, w) = ∂/∂x ⟨conv2d(x, w), gy⟩ when x has the size conv_transpose2d gives (with an
        // output padding of a stride or more the conv of that x has extra outputs, which gy pads with zeros).
        var w = OpDb.Samples.Uniform(50, [4, 4 / groups, 3, 2]);
        var gy = OpDb.Samples.Uniform(51, [2, 4, 3, 4]);
        var up = F.ConvTranspose2d(gy, w, stride: stride, padding: padding, outputPadding: outputPadding, groups: groups, dilation: dilation);
        var x = new Variable(Tensor.Zeros(up.Shape.ToArray(), DType.Float64));
        var y = F.Conv2d(x, w, stride: stride, padding: padding, dilation: dilation, groups: groups);
        Assert.Equal(outputPadding < stride ? gy.Shape.ToArray() : y.Shape.ToArray(), y.Shape.ToArray());
        (y * gy.Pad(0, y.Shape[3] - gy.Shape[3], 0, y.Shape[2] - gy.Shape[2])).Sum().Backward();
        Approx.Equal(RefArray.From(x.Grad!), up, 1e-12, "conv_transpose2d vs conv2d's input gradient");
    }

    [Fact]
    public void ConvTransposeModulesUseThePyTorchWeightLayoutAndRepr()
    {
        var m = new ConvTranspose1d(4, 6, 3, stride: 2, groups: 2, seed: 5);
        Assert.Equal([4, 3, 3], m.Weight.Shape.ToArray());
        Assert.Equal([6], m.Bias!.Shape.ToArray());
        Assert.Equal([2, 6, 9], m.Call(Tensor.Zeros(2, 4, 4)).Shape.ToArray());   // (4 - 1)·2 + 3 = 9
        Assert.Equal([6, 9], m.Call(Tensor.Zeros(4, 4)).Shape.ToArray());        // unbatched
        Assert.Contains("output_padding=(0,)", m.ToString());
        var m2 = new ConvTranspose2d(2, 2, (2, 3), bias: false, dtype: DType.Float64);
        Assert.Null(m2.Bias);
        Assert.Equal([1, 2, 4, 5], m2.Call(Tensor.Zeros([1, 2, 3, 3], DType.Float64)).Shape.ToArray());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SamePaddingKeepsTheSizeWithEvenKernelsPaddingMoreAtTheEnd(DType dtype)
    {
        // Kernel 2: one zero after, none before: [1-2, 2-3, 3-4, 4-0].
        var x = D([1, 2, 3, 4], 1, 1, 4).To(dtype);
        var w = D([1, -1], 1, 1, 2).To(dtype);
        Assert.Equal([-1, -1, -1, 4], Values(F.Conv1d(x, w, ConvPadding.Same)));
        Assert.Equal([-1, -1, -1], Values(F.Conv1d(x, w, ConvPadding.Valid)));
        // 2-d, kernel (3, 4) dilated (2, 1): totals 4 = 2 + 2 rows and 3 = 1 + 2 columns.
        var x2 = OpDb.Samples.Uniform(60, [1, 2, 5, 6]).To(dtype);
        var w2 = OpDb.Samples.Uniform(61, [3, 2, 3, 4]).To(dtype);
        var same = F.Conv2d(x2, w2, ConvPadding.Same, dilation: (2, 1));
        Assert.Equal([1, 3, 5, 6], same.Shape.ToArray());
        Assert.Equal(Values(F.Conv2d(x2.Pad(1, 2, 2, 2), w2, dilation: (2, 1))), Values(same));
        // The modules: shapes kept, PyTorch's repr, and 3-d.
        var conv = new Conv2d(2, 3, 4, padding: ConvPadding.Same, dtype: dtype);
        Assert.Equal([1, 3, 5, 6], conv.Call(x2).Shape.ToArray());
        Assert.Contains("padding=same", conv.ToString());
        Assert.Equal([2, 2, 3, 4, 5], new Conv3d(1, 2, (2, 3, 4), padding: ConvPadding.Same, dtype: dtype).Call(Tensor.Zeros([2, 1, 3, 4, 5], dtype)).Shape.ToArray());
        Assert.Equal([1, 1, 3], new Conv1d(1, 1, 2, padding: ConvPadding.Valid, dtype: dtype).Call(x).Shape.ToArray());
        // A number still means zero padding: 0 is no padding, as PyTorch.
        Assert.Equal([1, 1, 3, 4], new Conv2d(1, 1, 3, padding: 0).Call(Tensor.Zeros(1, 1, 5, 6)).Shape.ToArray());
    }

    [Fact]
    public void SamePaddingRefusesStrides()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), ConvPadding.Same, stride: 2));
        Assert.Contains("strided", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Conv1d(1, 1, 3, padding: ConvPadding.Same, stride: 2));
        Assert.Contains("Conv1d", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
    }

    static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    [Fact]
    public void ConvolutionErrorsNameTheOpAndTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Conv3d(Tensor.Zeros(1, 2, 3), Tensor.Zeros(1, 2, 1, 1, 1)));
        Assert.Contains("Conv3d", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Conv1d(Tensor.Zeros(1, 3, 5), Tensor.Zeros(2, 2, 3)));
        Assert.Contains("Conv1d", e.Message);
        Assert.Contains("input channels", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(Tensor.Zeros(1, 2, 3, 3), Tensor.Zeros(2, 1, 3, 3), stride: 2, outputPadding: 2));
        Assert.Contains("ConvTranspose2d", e.Message);
        Assert.Contains("output padding", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.ConvTranspose1d(Tensor.Zeros(1, 3, 4), Tensor.Zeros(2, 1, 3)));
        Assert.Contains("ConvTranspose1d", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.ConvTranspose1d(Tensor.Zeros(1, 2, 4), Tensor.Zeros(2, 1, 3).To(DType.Float64)));
        Assert.Contains("float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Conv3d(3, 4, 2, groups: 2));
        Assert.Contains("Conv3d", e.Message);
        Assert.Contains("ConvPoolLayersTests.cs:", e.Message);
    }
}
