using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Functional.Interpolate and Upsample: PyTorch's documented examples, hand-computed values, gradients, errors.</summary>
public class InterpolateTests
{
    /// <summary>PyTorch's Upsample example input: [[1, 2], [3, 4]] as [1, 1, 2, 2].</summary>
    static Tensor Square(DType dtype) => Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]).To(dtype);

    static void Near(double[] expected, Tensor actual, double tolerance)
    {
        var got = actual.ToDoubleArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {got[i]}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void UpsampleMatchesPyTorchsDocumentedExamples(DType dtype)
    {
        double tol = dtype == DType.Float32 ? 1e-6 : 1e-12;
        var nearest = new Upsample(scaleFactor: [2]).Call(Square(dtype));
        Assert.Equal([1, 1, 4, 4], nearest.Shape.ToArray());
        Assert.Equal(dtype, nearest.DType);
        Assert.Equal([1.0, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], nearest.ToDoubleArray());

        // Half-pixel centres: output 0..3 sit at sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (hi clamped to 1).
        var bilinear = new Upsample(scaleFactor: [2], mode: InterpolationMode.Bilinear).Call(Square(dtype));
        Near([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], bilinear, tol);

        // Align corners: sources 0, 1/3, 2/3, 1.
        var corners = new Upsample(scaleFactor: [2], mode: InterpolationMode.Bilinear, alignCorners: true).Call(Square(dtype));
        Near([1, 4 / 3.0, 5 / 3.0, 2, 5 / 3.0, 2, 7 / 3.0, 8 / 3.0, 7 / 3.0, 8 / 3.0, 3, 10 / 3.0, 3, 10 / 3.0, 11 / 3.0, 4], corners, tol);

        // The 3×3 example: [[1, 2, 0], [3, 4, 0], [0, 0, 0]] doubled; sources -0.25→0, 0.25, 0.75, 1.25, 1.75, 2.25 (lo = hi = 2).
        // Row 3 mixes 0.75·row 1 + 0.25·row 2 = [2.25, 3, 0]; its column 3 is 0.75·3 + 0.25·0 = 2.25.
        var padded = Tensor.FromArray(new double[] { 1, 2, 0, 3, 4, 0, 0, 0, 0 }, [1, 1, 3, 3]).To(dtype);
        var y = F.Interpolate(padded, scaleFactor: [2], mode: InterpolationMode.Bilinear);
        Near([1, 1.25, 1.75, 1.5, 0.5, 0, 1.5, 1.75, 2.25, 1.875, 0.625, 0, 2.5, 2.75, 3.25, 2.625, 0.875, 0,
              2.25, 2.4375, 2.8125, 2.25, 0.75, 0, 0.75, 0.8125, 0.9375, 0.75, 0.25, 0, 0, 0, 0, 0, 0, 0], y, tol);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LinearUsesHalfPixelOrCornerSources(DType dtype)
    {
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        var x = Tensor.FromArray(new double[] { 0, 10, 20 }, [1, 1, 3]).To(dtype);
        // scale 3/5: sources (i + 0.5)·0.6 - 0.5 = -0.2→0, 0.4, 1.0, 1.6, 2.2 (lo = hi = 2).
        Near([0, 4, 10, 16, 20], F.Interpolate(x, size: [5], mode: InterpolationMode.Linear), tol);
        Near([0, 5, 10, 15, 20], F.Interpolate(x, size: [5], mode: InterpolationMode.Linear, alignCorners: true), tol);
        Near([0], F.Interpolate(x, size: [1], mode: InterpolationMode.Linear, alignCorners: true), tol);   // one output: source 0
        Near([10], F.Interpolate(x, size: [1], mode: InterpolationMode.Linear), tol);   // half-pixel: 0.5·3 - 0.5 = 1

        // Downsampling reads the source position directly (no antialias): arange(6) to 2 → sources 1, 4.
        var ramp = Tensor.Arange(6, dtype).Reshape(1, 1, 6);
        Near([1, 4], F.Interpolate(ramp, size: [2], mode: InterpolationMode.Linear), tol);
        // arange(5) by 0.5 → 2 outputs; scale is 1/0.5 = 2: sources 0.5, 2.5.
        Near([0.5, 2.5], F.Interpolate(ramp[.., .., ..5], scaleFactor: [0.5], mode: InterpolationMode.Linear), tol);
    }

    [Fact]
    public void NearestUsesTheReciprocalScaleFactorUnlessRecomputed()
    {
        var x = Tensor.Arange(5, DType.Float64).Reshape(1, 1, 5);
        // Factor 1.7 → ⌊8.5⌋ = 8 outputs. Scale 1/1.7: ⌊i/1.7⌋ = 0 0 1 1 2 2 3 4; recomputed 5/8: ⌊0.625·i⌋ = 0 0 1 1 2 3 3 4.
        Assert.Equal([0.0, 0, 1, 1, 2, 2, 3, 4], F.Interpolate(x, scaleFactor: [1.7]).ToDoubleArray());
        Assert.Equal([0.0, 0, 1, 1, 2, 3, 3, 4], F.Interpolate(x, scaleFactor: [1.7], recomputeScaleFactor: true).ToDoubleArray());
        // Size 3 of 5: ⌊i·5/3⌋ = 0, 1, 3.
        Assert.Equal([0.0, 1, 3], F.Interpolate(x, size: [3]).ToDoubleArray());
        // 2-d with a size per dim: [2, 3] grid to (4, 2): rows 0 0 1 1, columns ⌊1.5·j⌋ = 0, 1.
        var grid = Tensor.Arange(6, DType.Float32).Reshape(1, 1, 2, 3);
        var y = F.Interpolate(grid, size: [4, 2]);
        Assert.Equal([1, 1, 4, 2], y.Shape.ToArray());
        Assert.Equal([0.0, 1, 0, 1, 3, 4, 3, 4], y.ToDoubleArray());
        Assert.Equal(x.ToDoubleArray(), F.Interpolate(x, scaleFactor: [1]).ToDoubleArray());
    }

    [Fact]
    public void GradientsSumOverTheOutputsEachInputFeeds()
    {
        var x = Tensor.FromArray(new double[] { 0, 10, 20 }, [1, 1, 3], requiresGrad: true);
        F.Interpolate(x, size: [5], mode: InterpolationMode.Linear).Sum().Backward();
        // Weights per output: x0; 0.6·x0 + 0.4·x1; x1; 0.4·x1 + 0.6·x2; x2 → x0: 1.6, x1: 1.8, x2: 1.6.
        Near([1.6, 1.8, 1.6], x.Grad!, 1e-12);

        var s = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2], requiresGrad: true);
        F.Interpolate(s, scaleFactor: [2]).Sum().Backward();
        Assert.Equal([4.0, 4, 4, 4], s.Grad!.ToDoubleArray());   // nearest: each pixel is copied into a 2×2 block
    }

    [Fact]
    public void UpsampleDescribesItselfAsPyTorch()
    {
        Assert.Equal("Upsample(scale_factor=2.0, mode='nearest')", new Upsample(scaleFactor: [2]).ToString());
        Assert.Equal("Upsample(size=(4, 6), mode='bilinear', align_corners=True)",
            new Upsample(size: [4, 6], mode: InterpolationMode.Bilinear, alignCorners: true).ToString());
        Assert.Empty(new Upsample(size: [3]).Parameters());
    }

    [Fact]
    public void BadArgumentsNameTheOperationAndTheCaller()
    {
        var x1 = Tensor.Zeros([1, 2, 3]);
        var x2 = Tensor.Zeros([1, 2, 3, 3]);
        void Fails(Func<Tensor> call, string expected)
        {
            var e = Assert.Throws<ArgumentException>(() => call());
            Assert.Contains("Interpolate", e.Message);
            Assert.Contains(expected, e.Message);
            Assert.Contains("InterpolateTests.cs:", e.Message);
        }
        Fails(() => F.Interpolate(Tensor.Zeros([2, 3]), size: [4]), "[2, 3]");
        Fails(() => F.Interpolate(Tensor.Zeros([1, 1, 2, 2, 2]), size: [4]), "3-d");
        Fails(() => F.Interpolate(x1, size: [4], mode: InterpolationMode.Bilinear), "4-d");
        Fails(() => F.Interpolate(x2, size: [4], mode: InterpolationMode.Linear), "3-d");
        Fails(() => F.Interpolate(x1, size: [4], alignCorners: false), "alignCorners");
        Fails(() => F.Interpolate(x1), "exactly one");
        Fails(() => F.Interpolate(x1, size: [4], scaleFactor: [2]), "exactly one");
        Fails(() => F.Interpolate(x2, size: [4, 4, 4]), "1 or 2");
        Fails(() => F.Interpolate(x1, scaleFactor: [-1]), "positive");
        Fails(() => F.Interpolate(x1, scaleFactor: [0.1]), "positive");   // ⌊0.3⌋ = 0 outputs
        Fails(() => F.Interpolate(x1, size: [0]), "positive");
        Fails(() => F.Interpolate(x1, size: [2], recomputeScaleFactor: true), "recomputeScaleFactor");
        Fails(() => F.Interpolate(Tensor.Zeros([1, 1, 2], DType.Int64), size: [4]), "int64");
        Fails(() => new Upsample(size: [4], mode: InterpolationMode.Bilinear).Call(x1), "4-d");
    }
}
