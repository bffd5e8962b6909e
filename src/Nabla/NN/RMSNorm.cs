namespace Nabla.NN;

/// <summary>
/// Root-mean-square normalization over the trailing <see cref="NormalizedShape"/> dims (torch.nn.RMSNorm), with
/// a learned elementwise weight (ones) when <c>elementwiseAffine</c>; no bias, no mean subtraction; the same in
/// training and evaluation. See <see cref="Functional.RmsNorm(Tensor, int[], Tensor?, double?)"/>.
/// </summary>
public sealed class RMSNorm : Module
{
    /// <summary>Normalizes over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public RMSNorm(int normalizedShape, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, dtype) { }

    /// <summary>
    /// Normalizes over the trailing dims <paramref name="normalizedShape"/>; a null <paramref name="eps"/> is the
    /// input dtype's machine epsilon (torch.finfo(x.dtype).eps), as PyTorch.
    /// </summary>
    public RMSNorm(int[] normalizedShape, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw Engine.Errors.Arg("RMSNorm", $"normalizedShape must be non-empty with positive sizes, got {Shape.Format(normalizedShape)}.");
        Init.CheckDType("RMSNorm", dtype);
        (NormalizedShape, Eps) = ((int[])normalizedShape.Clone(), eps);
        if (elementwiseAffine)
            Weight = RegisterParameter("weight", new Variable(Tensor.Ones(normalizedShape, dtype), name: "weight"));
    }

    /// <summary>The normalized trailing shape.</summary>
    public IReadOnlyList<int> NormalizedShape { get; }

    /// <summary>Added to the mean square; null means the input dtype's machine epsilon.</summary>
    public double? Eps { get; }

    /// <summary>Elementwise scale (null without elementwise affine).</summary>
    public Variable? Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.RmsNorm(x, [.. NormalizedShape], Weight, Eps);

    /// <inheritdoc/>
    /// <remarks>As PyTorch's: the shape as a Python tuple ("(4,)", "(3, 4)"), eps "None" when it follows the dtype.</remarks>
    protected override string ExtraRepr =>
        $"({(NormalizedShape.Count == 1 ? $"{NormalizedShape[0]}," : string.Join(", ", NormalizedShape))}), eps={(Eps is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}, elementwise_affine={(Weight is null ? "False" : "True")}";
}
