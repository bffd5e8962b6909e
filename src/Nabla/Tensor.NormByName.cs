using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// torch.norm(x, p='fro'): with <paramref name="p"/> = "fro", the Frobenius norm sqrt(Σx²) over all elements, or over
    /// <paramref name="dims"/> (one or two dims, as torch.norm) taken together; the same numbers and gradients as
    /// <see cref="Norm(double, int[], bool)"/> with p = 2. The nuclear norm ("nuc") needs singular values and is not
    /// taken here. Needs a floating tensor.
    /// </summary>
    /// <example><code>var f = w.Norm("fro");   // as torch.norm(w, p='fro')</code></example>
    public Tensor Norm(string p, int[]? dims = null, bool keepDim = false)
    {
        const string op = "Norm";
        ArgumentNullException.ThrowIfNull(p);
        if (p != "fro")
            throw Errors.Arg(op, p == "nuc"
                ? "the nuclear norm (p = \"nuc\") is not supported by Norm; it is a matrix norm of singular values."
                : $"p = \"{p}\" is no norm name; use \"fro\", or a number (Norm(2), Norm(1), Norm(double.PositiveInfinity)).");
        if (dims is { Length: > 2 })
            throw Errors.Arg(op, $"the Frobenius norm takes one or two dims (as torch.norm), got {Shape.Format(dims)}; for more use Norm(2, dims).");
        return VectorNorm(2, dims, keepDim);
    }
}
