using Nabla.Tests.OpDb;

namespace Nabla.Tests.Ops;

/// <summary>
/// MatMul computes the gradient of a transposed-view operand (Linear's w.T) the other way round so the
/// leaf's gradient comes out contiguous; the numbers must still be the gradient.
/// </summary>
public class MatMulTransposedOperandTests
{
    [Fact]
    public void GradientsThroughTransposedOperandsMatchFiniteDifferences()
    {
        var a = Samples.Uniform(1, [4, 3]);
        var w = Samples.Uniform(2, [5, 3]);
        var at = Samples.Uniform(3, [3, 4]);
        Assert.True(GradCheck.Check(t => (t[0].MatMul(t[1].T) * t[0].MatMul(t[1].T)).Sum(), [a, w]));
        Assert.True(GradCheck.Check(t => t[0].T.MatMul(t[1].T).Sum(), [at, w]));
        Assert.True(GradCheck.CheckSecondOrder(t => (t[0].MatMul(t[1].T) * t[0].MatMul(t[1].T)).Sum(), [a, w]));
    }

    [Fact]
    public void LeafGradientOfTransposedUseIsHandDerived()
    {
        // y = sum(x · wᵀ) => dy/dw[j, p] = sum_i x[i, p].
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var w = Tensor.FromArray(new double[] { 1, 0, -1, 2, 1, 0 }, [2, 3], requiresGrad: true);
        x.MatMul(w.T).Sum().Backward();
        Assert.Equal([5.0, 7, 9, 5, 7, 9], w.Grad!.ToArray<double>());
    }
}
