namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>SiLU: x·σ(x) (see <see cref="Tensor.Silu"/>).</summary>
    public static Tensor Silu(Tensor input) => NotNull(input).Silu();

    /// <summary>Leaky ReLU (see <see cref="Tensor.LeakyRelu"/>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => NotNull(input).LeakyRelu(negativeSlope);

    /// <summary>SELU (see <see cref="Tensor.Selu"/>).</summary>
    public static Tensor Selu(Tensor input) => NotNull(input).Selu();

    /// <summary>Hardswish (see <see cref="Tensor.Hardswish"/>).</summary>
    public static Tensor Hardswish(Tensor input) => NotNull(input).Hardswish();

    /// <summary>Hardtanh (see <see cref="Tensor.Hardtanh"/>).</summary>
    public static Tensor Hardtanh(Tensor input, double minValue = -1, double maxValue = 1) => NotNull(input).Hardtanh(minValue, maxValue);

    /// <summary>Softsign (see <see cref="Tensor.Softsign"/>).</summary>
    public static Tensor Softsign(Tensor input) => NotNull(input).Softsign();

    /// <summary>PReLU (see <see cref="Tensor.Prelu"/>).</summary>
    public static Tensor Prelu(Tensor input, Tensor weight) => NotNull(input).Prelu(weight);

    /// <summary>Softplus (see <see cref="Tensor.Softplus"/>).</summary>
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20) => NotNull(input).Softplus(beta, threshold);

    /// <summary>Mish (see <see cref="Tensor.Mish"/>).</summary>
    public static Tensor Mish(Tensor input) => NotNull(input).Mish();
}
