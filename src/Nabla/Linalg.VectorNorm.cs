namespace Nabla;

public static partial class Linalg
{
    /// <summary>
    /// The vector <paramref name="ord"/>-norm of <paramref name="x"/> over <paramref name="dims"/> taken together
    /// (torch.linalg.vector_norm): (Σ|x|ᵒʳᵈ)^(1/ord); ord = ∞ is max|x|, −∞ min|x|, 0 the number of non-zero elements.
    /// With <paramref name="dims"/> null or empty, over all elements (a 0-d result unless <paramref name="keepDim"/>).
    /// Gradients, NaN and empty-input rules are <see cref="Tensor.Norm(double)"/>'s. Needs a floating tensor.
    /// </summary>
    /// <example><code>var rowNorms = Linalg.VectorNorm(x, 2, dims: [1]);</code></example>
    public static Tensor VectorNorm(Tensor x, double ord = 2, int[]? dims = null, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.VectorNorm(ord, dims is { Length: 0 } ? null : dims, keepDim, "VectorNorm");
    }

    /// <summary>The vector <paramref name="ord"/>-norm along one dim (see <see cref="VectorNorm(Tensor, double, int[], bool)"/>).</summary>
    public static Tensor VectorNorm(Tensor x, double ord, int dim, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.VectorNorm(ord, [dim], keepDim, "VectorNorm");
    }
}
