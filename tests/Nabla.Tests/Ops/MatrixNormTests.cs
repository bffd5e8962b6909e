namespace Nabla.Tests.Ops;

/// <summary>Linalg.MatrixNorm against norms worked out by hand (comments), dims/keepDim shapes, gradients, errors.</summary>
public class MatrixNormTests
{
    static Tensor M(double[,] a) => Tensor.FromArray(a);

    static void Near(double[] expected, Tensor actual, double tol)
    {
        var got = actual.ToDoubleArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= tol, $"element {i}: expected {expected[i]}, got {got[i]}");
    }

    [Fact]
    public void MatrixNormsOfAHandMatrix()
    {
        // [[1, -2], [3, 4]]: ‖·‖_F = √30; column sums of |a| 4 and 6, row sums 3 and 7; AᵀA = [[10, 10], [10, 20]] has
        // eigenvalues 15 ± √125, so σ = √(15 ± √125), and σ₁ + σ₂ = √(σ₁² + σ₂² + 2σ₁σ₂) = √(30 + 2|det A|) = √50.
        var a = M(new double[,] { { 1, -2 }, { 3, 4 } });
        Near([Math.Sqrt(30)], Linalg.MatrixNorm(a).Reshape(1), 1e-14);
        Near([Math.Sqrt(50)], Linalg.MatrixNorm(a, MatrixNormKind.Nuclear).Reshape(1), 1e-14);
        Near([6], Linalg.MatrixNorm(a, 1).Reshape(1), 0);
        Near([4], Linalg.MatrixNorm(a, -1).Reshape(1), 0);
        Near([7], Linalg.MatrixNorm(a, double.PositiveInfinity).Reshape(1), 0);
        Near([3], Linalg.MatrixNorm(a, double.NegativeInfinity).Reshape(1), 0);
        Near([Math.Sqrt(15 + Math.Sqrt(125))], Linalg.MatrixNorm(a, 2).Reshape(1), 1e-14);
        Near([Math.Sqrt(15 - Math.Sqrt(125))], Linalg.MatrixNorm(a, -2).Reshape(1), 1e-14);
        Near([Math.Sqrt(30)], Linalg.MatrixNorm(a.To(DType.Float32)).Reshape(1), 1e-6);
        Assert.Equal(DType.Float32, Linalg.MatrixNorm(a.To(DType.Float32), 2).DType);
    }

    [Fact]
    public void MatrixNormDimsAndKeepDim()
    {
        // A = arange(9) - 4 as 3×3 = [[-4, -3, -2], [-1, 0, 1], [2, 3, 4]]: ‖A‖_F = √60, column sums of |a| 7, 6, 7 so
        // ord -1 gives 6. B = A expanded to 2×3×3, dims (0, 2): for each row i, two copies of A's row i: √58, 2, √58.
        var a = (Tensor.Arange(9, DType.Float64) - 4).Reshape(3, 3);
        Near([Math.Sqrt(60)], Linalg.MatrixNorm(a).Reshape(1), 1e-14);
        Near([6], Linalg.MatrixNorm(a, -1).Reshape(1), 0);
        var b = a.Expand([2, 3, 3]);
        Near([Math.Sqrt(60), Math.Sqrt(60)], Linalg.MatrixNorm(b), 1e-14);
        var along = Linalg.MatrixNorm(b, dims: (0, 2));
        Near([Math.Sqrt(58), 2, Math.Sqrt(58)], along, 1e-14);
        Assert.Equal([1, 3, 1], Linalg.MatrixNorm(b, dims: (2, 0), keepDim: true).Shape.ToArray());
        Assert.Equal([2, 1, 1], Linalg.MatrixNorm(b, 2, keepDim: true).Shape.ToArray());
        Assert.Equal([3], Linalg.MatrixNorm(b, MatrixNormKind.Nuclear, dims: (-3, -1)).Shape.ToArray());
    }

    [Fact]
    public void MatrixNormGradients()
    {
        // The Frobenius norm's gradient at 0 is 0 (PyTorch's subgradient), not NaN; ord 1's is sign(a) on the largest column.
        var z = Tensor.Zeros([2, 2], DType.Float64);
        z.RequiresGrad = true;
        Linalg.MatrixNorm(z).Backward();
        Near([0, 0, 0, 0], z.Grad!, 0);
        var a = M(new double[,] { { 1, -2 }, { 3, 4 } });
        a.RequiresGrad = true;
        Linalg.MatrixNorm(a, 1).Backward();
        Near([0, -1, 0, 1], a.Grad!, 0);
        // The nuclear norm of diag(3, -4) is 7, its gradient U·Vh = diag(1, -1).
        var d = M(new double[,] { { 3, 0 }, { 0, -4 } });
        d.RequiresGrad = true;
        Linalg.MatrixNorm(d, MatrixNormKind.Nuclear).Backward();
        Near([1, 0, 0, -1], d.Grad!, 1e-15);
    }

    [Fact]
    public void MatrixNormErrorsNameTheCaller()
    {
        var a = Tensor.Zeros(2, 2);
        foreach (var act in new Action[]
                 {
                     () => Linalg.MatrixNorm(a, 3), () => Linalg.MatrixNorm(a, dims: (1, 1)), () => Linalg.MatrixNorm(a, dims: (0, 2)),
                     () => Linalg.MatrixNorm(Tensor.Zeros(3)), () => Linalg.MatrixNorm(Tensor.FromArray(new long[] { 1, 2 }, [1, 2]), 1),
                     () => Linalg.MatrixNorm(Tensor.Zeros(2, 0), 2),
                 })
        {
            var e = Assert.Throws<ArgumentException>(act);
            Assert.Contains("MatrixNorm", e.Message);
            Assert.Contains("MatrixNormTests.cs:", e.Message);
        }
    }
}
