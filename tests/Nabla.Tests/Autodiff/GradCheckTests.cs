namespace Nabla.Tests.Autodiff;

public class GradCheckTests
{
    static Tensor T(double[] data, params int[] shape) => Tensor.FromArray(data, shape);

    [Fact]
    public void PassesOnCorrectGradients()
    {
        var a = T([0.5, -1.2, 2.0, 0.3, 1.1, -0.7], 2, 3);
        var b = T([1.5, 0.2, -0.4], 3);
        Assert.True(GradCheck.Check(xs => (xs[0] * xs[1]).Tanh() + xs[0].Exp() / xs[1], [a, b]));
        Assert.True(GradCheck.CheckSecondOrder(xs => (xs[0] * xs[1]).Tanh() + xs[0].Exp() / xs[1], [a, b]));
    }

    [Fact]
    public void PromotesFloat32AndKeepsNonContiguousLayout()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]).T;  // [2, 3] view, strides (1, 2)
        var b = T([0.5, -1, 2, 0.25, 1.5, -0.5], 3, 2);
        Tensor? seen = null;
        Assert.True(GradCheck.Check(xs =>
        {
            seen = xs[0];
            return xs[0].MatMul(xs[1]);
        }, [a, b]));
        Assert.Equal(DType.Float64, seen!.DType);
        Assert.False(seen.IsContiguous);  // checked through the same strides as the original view
        Assert.Equal(DType.Float32, a.DType);  // the caller's tensor is not changed
        Assert.False(a.RequiresGrad);
    }

    [Fact]
    public void ExpandedInputIsCheckedElementByElement()
    {
        // A stride-0 view stores one value for several elements; perturbing it would move them all.
        var x = T([1, 2, 3], 3).Expand(2, 3);
        Assert.True(GradCheck.Check(xs => xs[0] * xs[0], [x]));
    }

    [Fact]
    public void PassesNonFloatingInputsThroughUntouched()
    {
        var x = T([1, 2, 3], 3);
        var n = Tensor.FromArray(new long[] { 2, 3, 4 }, [3]);
        Tensor? seen = null;
        Assert.True(GradCheck.Check(xs =>
        {
            seen = xs[1];
            return xs[0] * xs[1];
        }, [x, n]));
        Assert.Same(n, seen);
    }

    [Fact]
    public void FailsOnAWrongGradientAndNamesTheWorstElement()
    {
        // f(x) = detach(x) * x: the analytical gradient is x (the cut path is missing), numerically it is 2x.
        var x = T([1, 2, 3], 3);
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.Check(xs => xs[0].Detach() * xs[0], [x]));
        Assert.Equal(0, ex.InputIndex);
        Assert.Equal([2], ex.InputElement);   // the largest error, |3 - 6|
        Assert.Equal(0, ex.OutputIndex);
        Assert.Equal([2], ex.OutputElement);
        Assert.Equal(3.0, ex.Analytical);
        Assert.Equal(6.0, ex.Numerical, 1e-6);
        Assert.Equal(3.0, ex.AbsoluteError, 1e-6);
        Assert.Equal(0.5, ex.RelativeError, 1e-6);
        Assert.Equal(3, ex.MismatchCount);  // the three diagonal entries; the zeros off the diagonal agree
        Assert.Contains("d(the output)[2] / d(input 0)[2]", ex.Message);
        Assert.Contains("analytical 3,", ex.Message);
        Assert.Contains("numerical 6", ex.Message);
        Assert.Contains("absolute error 3", ex.Message);
        Assert.Contains("relative error 0.5", ex.Message);

        Assert.False(GradCheck.Check(xs => xs[0].Detach() * xs[0], [x], raiseException: false));
    }

    [Fact]
    public void FailureNamesInputAndElementOfAMatrix()
    {
        // d/db of a * detach(b) * b: analytical a*b, numerical 2ab; the gradient for a (b²) is right.
        var a = T([1, 2, 3, 4], 2, 2);
        var b = T([1, 1, 1, 5], 2, 2);
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.Check(xs => xs[0] * xs[1].Detach() * xs[1], [a, b]));
        Assert.Equal(1, ex.InputIndex);
        Assert.Equal([1, 1], ex.InputElement);
        Assert.Equal([1, 1], ex.OutputElement);
        Assert.Equal(20.0, ex.Analytical);
        Assert.Equal(40.0, ex.Numerical, 1e-5);
        Assert.Equal(4, ex.MismatchCount);
        Assert.Contains("d(input 1)[1, 1]", ex.Message);
    }

    [Fact]
    public void SecondOrderFailsWhenOnlyTheSecondDerivativeIsWrong()
    {
        // With c = detach(x): f = c²x - (2/3)c³ has the value x³/3 and the right first derivative c² = x²,
        // but that derivative's graph does not reach x, so its analytical derivative is 0 instead of 2x·gy.
        var x = T([0.5, -1.5], 2);
        Tensor F(Tensor[] xs)
        {
            var c = xs[0].Detach();
            return c * c * xs[0] - (2.0 / 3.0) * c * c * c;
        }
        Assert.True(GradCheck.Check(F, [x]));
        var gy = T([1, 2], 2);
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.CheckSecondOrder(F, [x], gradOutput: gy));
        Assert.Equal(0, ex.InputIndex);
        Assert.Equal([1], ex.InputElement);
        Assert.Equal(0.0, ex.Analytical);
        Assert.Equal(2 * -1.5 * 2, ex.Numerical, 1e-5);  // d/dx (gy·x²) = 2x·gy at x = -1.5, gy = 2
        Assert.Equal(2, ex.MismatchCount);
        Assert.Contains("the gradient of input 0", ex.Message);
        Assert.True(GradCheck.CheckSecondOrder(xs => xs[0] * xs[0] * xs[0], [x], gradOutput: gy));
    }

    [Fact]
    public void ConstantFunctionHasZeroJacobians()
    {
        var x = T([1, 2], 2);
        Assert.True(GradCheck.Check(_ => T([5, 6], 2), [x]));
        Assert.True(GradCheck.CheckSecondOrder(xs => xs[0] * 3.0, [x]));
    }

    [Fact]
    public void RejectsNonFloatingOutputsAndBadSettings()
    {
        var x = T([1, 2], 2);
        Assert.Throws<ArgumentException>(() => GradCheck.Check(_ => Tensor.FromArray(new long[] { 1 }, [1]), [x]));
        Assert.Throws<ArgumentException>(() => GradCheck.Check(xs => xs[0], [x], eps: 0));
        Assert.Throws<ArgumentException>(() => GradCheck.Check(xs => xs[0], [x], atol: -1));
    }
}
