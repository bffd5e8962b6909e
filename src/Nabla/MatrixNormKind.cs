namespace Nabla;

/// <summary>The matrix norms <see cref="Linalg.MatrixNorm(Tensor, MatrixNormKind, ValueTuple{int, int}?, bool)"/> names (torch's ord="fro", "nuc").</summary>
public enum MatrixNormKind
{
    /// <summary>√(Σ|a_ij|²) (ord="fro", the default).</summary>
    Frobenius,

    /// <summary>The sum of the singular values (ord="nuc").</summary>
    Nuclear,
}
