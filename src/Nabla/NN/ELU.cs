using System.Globalization;

namespace Nabla.NN;

/// <summary>ELU elementwise (torch.nn.ELU): x for x &gt; 0, α·(eˣ - 1) otherwise. See <see cref="Functional.Elu"/>.</summary>
public sealed class ELU(double alpha = 1.0) : Module
{
    /// <summary>α: the value the negative side tends to is -α.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Elu(x, Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr => "alpha=" + Alpha.ToString("0.0##############", CultureInfo.InvariantCulture);
}
