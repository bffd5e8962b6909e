namespace Nabla.NN;

/// <summary>
/// Layer normalization over the trailing <see cref="NormalizedShape"/> dims (torch.nn.LayerNorm), with a
/// learned elementwise weight (ones) and bias (zeros); the same in training and evaluation.
/// See <see cref="Functional.LayerNorm"/>.
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Normalizes over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32, bool bias = true)
        : this([normalizedShape], eps, elementwiseAffine, dtype, bias) { }

    /// <summary>
    /// Normalizes over the trailing dims <paramref name="normalizedShape"/>. With <paramref name="bias"/> false (PyTorch's
    /// <c>bias=False</c>) the affine form has a weight only.
    /// </summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw Engine.Errors.Arg("LayerNorm", $"normalizedShape must be non-empty with positive sizes, got {Shape.Format(normalizedShape)}.");
        Init.CheckDType("LayerNorm", dtype);
        (NormalizedShape, Eps) = ((int[])normalizedShape.Clone(), eps);
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", new Variable(Tensor.Ones(normalizedShape, dtype), name: "weight"));
            if (bias) Bias = RegisterParameter("bias", new Variable(Tensor.Zeros(normalizedShape, dtype), name: "bias"));
        }
    }

    /// <summary>The normalized trailing shape.</summary>
    public IReadOnlyList<int> NormalizedShape { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Elementwise scale (null without affine).</summary>
    public Variable? Weight { get; }

    /// <summary>Elementwise shift (null without affine or without bias).</summary>
    public Variable? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.LayerNorm(x, [.. NormalizedShape], Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"({string.Join(", ", NormalizedShape)},), eps={Eps}, elementwise_affine={(Weight is null ? "False" : "True")}";
}
