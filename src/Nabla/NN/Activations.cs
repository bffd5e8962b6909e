using System.Globalization;

namespace Nabla.NN;

/// <summary>SiLU (swish) elementwise (torch.nn.SiLU): x·σ(x). See <see cref="Functional.Silu"/>.</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Silu(x);
}

/// <summary>Leaky ReLU elementwise (torch.nn.LeakyReLU). See <see cref="Functional.LeakyRelu"/>.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>The slope for x ≤ 0.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.LeakyRelu(x, NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr => "negative_slope=" + NegativeSlope.ToString(CultureInfo.InvariantCulture);
}

/// <summary>SELU elementwise (torch.nn.SELU). See <see cref="Functional.Selu"/>.</summary>
public sealed class SELU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Selu(x);
}

/// <summary>Hardswish elementwise (torch.nn.Hardswish). See <see cref="Functional.Hardswish"/>.</summary>
public sealed class Hardswish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Hardswish(x);
}

/// <summary>Hardtanh elementwise (torch.nn.Hardtanh). See <see cref="Functional.Hardtanh"/>.</summary>
public sealed class Hardtanh(double minValue = -1, double maxValue = 1) : Module
{
    /// <summary>The lower bound.</summary>
    public double MinValue { get; } = minValue;

    /// <summary>The upper bound.</summary>
    public double MaxValue { get; } = maxValue;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Hardtanh(x, MinValue, MaxValue);

    /// <inheritdoc/>
    protected override string ExtraRepr => FormattableString.Invariant($"min_val={MinValue}, max_val={MaxValue}");
}

/// <summary>Softsign elementwise (torch.nn.Softsign). See <see cref="Functional.Softsign"/>.</summary>
public sealed class Softsign : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Softsign(x);
}

/// <summary>
/// PReLU with a learned slope (torch.nn.PReLU): one shared slope, or one per channel with numParameters equal to the
/// input's dim 1, initialized to init (0.25). Its state-dict key is "weight", as PyTorch's.
/// </summary>
public sealed class PReLU : Module
{
    /// <summary>A PReLU of <paramref name="numParameters"/> slopes, each <paramref name="init"/>.</summary>
    public PReLU(int numParameters = 1, double init = 0.25, DType dtype = DType.Float32)
    {
        if (numParameters < 1) throw Engine.Errors.Arg("PReLU", $"numParameters must be 1 or more, got {numParameters}.");
        Init.CheckDType("PReLU", dtype);
        Weight = RegisterParameter("weight", new Variable(Tensor.Full([numParameters], init, dtype), name: "weight"));
    }

    /// <summary>The slopes for x ≤ 0.</summary>
    public Variable Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Prelu(x, Weight);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"num_parameters={Weight.NumElements}";
}

/// <summary>Softplus elementwise (torch.nn.Softplus). See <see cref="Functional.Softplus"/>.</summary>
public sealed class Softplus(double beta = 1, double threshold = 20) : Module
{
    /// <summary>β: the sharpness.</summary>
    public double Beta { get; } = beta;

    /// <summary>Above this βx the result is x itself.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Softplus(x, Beta, Threshold);

    /// <inheritdoc/>
    protected override string ExtraRepr => FormattableString.Invariant($"beta={Beta}, threshold={Threshold}");
}

/// <summary>Mish elementwise (torch.nn.Mish). See <see cref="Functional.Mish"/>.</summary>
public sealed class Mish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Mish(x);
}
