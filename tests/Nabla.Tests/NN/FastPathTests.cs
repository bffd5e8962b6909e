using Nabla.Backends.Reference;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Primitives.Movement;
using Nabla.Tests.OpDb;
using Nabla.Tests.TestUtil;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// The dedicated kernels behind the training fast paths: MaxPool2d's argmax (ties as PyTorch), ReLU's
/// one-pass kernels, the rows-outer im2col layout used by Conv2d, and Adam's fused update (bitwise the
/// tensor expression).
/// </summary>
public class FastPathTests
{
    static Tensor G(double[] v, params int[] shape) => Tensor.FromArray(v, shape, requiresGrad: true);

    [Fact]
    public void MaxPoolTiesSendTheGradientToTheFirstMaximum()
    {
        // One 2x2 window of equal values: PyTorch gives the whole gradient to the first (row-major).
        var x = G([3, 3, 3, 3], 1, 1, 2, 2);
        F.MaxPool2d(x, 2).Sum().Backward();
        Assert.Equal([1.0, 0, 0, 0], x.Grad!.ToArray<double>());

        // Overlapping windows (stride 1) that share one maximum add up at it; a tie in the second row
        // goes to its first element.
        var y = G([0, 5, 0, 1, 2, 2], 1, 1, 2, 3);
        var pooled = F.MaxPool2d(y, (2, 2), stride: 1);
        Assert.Equal([5.0, 5], pooled.ToArray<double>());
        pooled.Sum().Backward();
        Assert.Equal([0.0, 2, 0, 0, 0, 0], y.Grad!.ToArray<double>());

        var z = G([1, 2, 2, 1], 1, 1, 2, 2);
        F.MaxPool2d(z, 2).Sum().Backward();
        Assert.Equal([0.0, 1, 0, 0], z.Grad!.ToArray<double>());
    }

    [Fact]
    public void MaxPoolNaNWinsAndTakesTheGradient()
    {
        var x = G([1, double.NaN, 7, double.NaN], 1, 1, 2, 2);
        var y = F.MaxPool2d(x, 2);
        Assert.True(double.IsNaN(y.ToArray<double>()[0]));
        y.Sum().Backward();
        // Every NaN takes over (PyTorch's rule), so the last one holds the argmax.
        Assert.Equal([0.0, 0, 0, 1], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void MaxPoolGradientIsLinearInTheIncomingGradient()
    {
        // d/dx of Σ w·maxpool(x) with padding and dilation, float64 central differences (distinct values).
        var x = Nabla.Tests.OpDb.OpDb.Distinct(31, [2, 3, 7, 6]);
        var w = Samples.Uniform(32, [2, 3, 4, 2]);
        Assert.True(GradCheck.Check(t => (F.MaxPool2d(t[0], 3, stride: 2, padding: 1, dilation: (1, 2)) * t[1]).Sum(), [x, w]));
        Assert.True(GradCheck.CheckSecondOrder(t => (F.MaxPool2d(t[0], 2) * t[1]).Sum(), [x, Samples.Uniform(33, [2, 3, 3, 3])]));
        // Float32 gives the same values as float64 (a max picks an element, no rounding).
        var x32 = x.To(DType.Float32);
        Assert.Equal(F.MaxPool2d(x32.To(DType.Float64), 2).ToArray<double>(), F.MaxPool2d(x32, 2).To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void ReluKeepsNaNAndZeroesNegativeZero()
    {
        var x = Tensor.FromArray([-1f, -0f, 0f, 2f, float.NaN, float.NegativeInfinity, float.PositiveInfinity], [7], requiresGrad: true);
        var y = x.Relu();
        var v = y.ToArray<float>();
        Assert.Equal([0f, 0f, 0f, 2f], v[..4]);
        Assert.False(float.IsNegative(v[1]));           // +0, as where(x <= 0, 0, x)
        Assert.True(float.IsNaN(v[4]));
        Assert.Equal([0f, float.PositiveInfinity], v[5..]);
        (y * Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7], [7])).Sum().Backward();
        // Gradient 0 at and below 0, passes where x > 0 or NaN.
        Assert.Equal([0f, 0, 0, 4, 5, 0, 7], x.Grad!.ToArray<float>());
        Assert.Equal([0, 0, 3L], Tensor.FromArray([-2L, 0, 3], [3]).Relu().ToArray<long>());
        Assert.Equal([0, 5], Tensor.FromArray([-5, 5], [2]).Relu().ToArray<int>());
    }

    [Fact]
    public void ReluSecondOrderAndForwardMode()
    {
        var x = Samples.Uniform(41, [3, 4]);
        Assert.True(GradCheck.Check(t => (t[0].Relu() * t[0]).Sum(), [x]));
        Assert.True(GradCheck.CheckSecondOrder(t => (t[0].Relu() * t[0]).Sum(), [x]));
        // ∂²/∂x² of Σ relu(x)·x is 2 where x > 0 and 0 elsewhere.
        var xv = Samples.Uniform(41, [3, 4]);
        xv.RequiresGrad = true;
        var g = Autograd.Grad([(xv.Relu() * xv).Sum()], [xv], createGraph: true)[0]!;
        var h = Autograd.Grad([g.Sum()], [xv])[0]!;
        Assert.Equal(x.ToArray<double>().Select(a => a > 0 ? 2.0 : 0.0), h.ToArray<double>());
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 1)]
    [InlineData(3, 2, 2, 0, 2)]
    public void RowsOuterColumnsAreTheBatchMajorColumnsReordered(int kh, int kw, int stride, int pad, int dil)
    {
        var x = Samples.Uniform(51, [3, 2, 6, 7]);
        var g = new Im2Col(2, 6, 7, kh, kw, stride, stride, pad, pad, dil, dil);
        var outer = g with { RowsOuter = true };
        var batchMajor = Engine.Dispatch.Call(new Unfold(g), x);
        var rowsOuter = Engine.Dispatch.Call(new Unfold(outer), x);
        Assert.Equal([g.Rows, 3, g.L], rowsOuter.Shape.ToArray());
        Assert.Equal(batchMajor.Permute(1, 0, 2).Contiguous().ToArray<double>(), rowsOuter.ToArray<double>());
        Assert.Equal(new Unfold(outer).Reference([RefArray.From(x)]).Data, rowsOuter.ToArray<double>());
        // Fold is the transpose in either layout, and matches its reference.
        var cols = Samples.Uniform(52, [g.Rows, 3, g.L]);
        var folded = Engine.Dispatch.Call(new Fold(outer), cols);
        Assert.Equal(Engine.Dispatch.Call(new Fold(g), cols.Permute(1, 0, 2)).ToArray<double>(), folded.ToArray<double>());
        Approx.Equal(new Fold(outer).Reference([RefArray.From(cols)]), folded, 1e-14, "fold rows-outer");
    }

    [Theory]
    [InlineData(false, 0.0, false)]
    [InlineData(true, 0.0, false)]
    [InlineData(false, 0.01, false)]
    [InlineData(false, 0.01, true)]
    public void FusedAdamIsBitwiseTheTensorExpression(bool maximize, double wd, bool decoupled)
    {
        var rng = new Random(5);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        var p0 = Rand(50);
        var p = new Variable(Tensor.FromArray(p0, [5, 10]));
        Optimizer opt = decoupled ? new AdamW([p], learningRate: 0.01, weightDecay: wd, maximize: maximize)
            : new Adam([p], learningRate: 0.01, weightDecay: wd, maximize: maximize);
        // The expression of AdamUpdate.Step, written out with tensors (float32 throughout).
        var q = Tensor.FromArray((float[])p0.Clone(), [5, 10]);
        var m = Tensor.Zeros([5, 10], DType.Float32);
        var v = Tensor.Zeros([5, 10], DType.Float32);
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        for (int t = 1; t <= 5; t++)
        {
            var g = Tensor.FromArray(Rand(50), [5, 10]);
            p.Grad = g;
            opt.Step();
            if (decoupled) q = q * (1 - lr * wd);
            var d = maximize ? -g : g;
            if (wd != 0 && !decoupled) d = d + q * wd;
            m = m + (d - m) * (1 - b1);
            v = v * b2 + d * (1 - b2) * d;
            var denom = v.Sqrt() / Math.Sqrt(1 - Math.Pow(b2, t)) + eps;
            q = q + m * -(lr / (1 - Math.Pow(b1, t))) / denom;
            Assert.Equal(q.ToArray<float>(), p.ToArray<float>());
        }
    }
}
