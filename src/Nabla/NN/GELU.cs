namespace Nabla.NN;

/// <summary>GELU elementwise (torch.nn.GELU): exact erf form by default, or the tanh estimate. See <see cref="Functional.Gelu"/>.</summary>
public sealed class GELU(GeluApproximation approximate = GeluApproximation.None) : Module
{
    /// <summary>Which form is computed.</summary>
    public GeluApproximation Approximate { get; } = approximate;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Gelu(x, Approximate);

    /// <inheritdoc/>
    protected override string ExtraRepr => Approximate == GeluApproximation.Tanh ? "approximate='tanh'" : "approximate='none'";
}
