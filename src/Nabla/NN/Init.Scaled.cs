using Nabla.Engine;

namespace Nabla.NN;

public static partial class Init
{
    /// <summary>
    /// The recommended gain for <paramref name="nonlinearity"/> (torch.nn.init.calculate_gain): 1 for linear, convolutions
    /// and sigmoid, 5/3 for tanh, √2 for ReLU, √(2/(1 + slope²)) for leaky ReLU (<paramref name="param"/> is the slope,
    /// 0.01 when null), 3/4 for SELU.
    /// </summary>
    public static double CalculateGain(Nonlinearity nonlinearity, double? param = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Conv1d or Nonlinearity.Conv2d or Nonlinearity.Conv3d or Nonlinearity.ConvTranspose1d
            or Nonlinearity.ConvTranspose2d or Nonlinearity.ConvTranspose3d or Nonlinearity.Sigmoid => 1,
        Nonlinearity.Tanh => 5.0 / 3,
        Nonlinearity.ReLU => Math.Sqrt(2.0),
        Nonlinearity.LeakyReLU => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        Nonlinearity.SELU => 3.0 / 4,
        _ => throw Errors.Arg("Init.CalculateGain", $"unsupported nonlinearity {nonlinearity}."),
    };

    /// <summary>
    /// Glorot uniform (torch.nn.init.xavier_uniform_): U(−a, a) with a = gain·√(6/(fan_in + fan_out)). Returns the tensor.
    /// Throws for fewer than 2 dims; fans of a conv weight [out, in, k...] count the kernel's elements.
    /// </summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, int? seed = null)
    {
        var (fanIn, fanOut) = Fans("Init.XavierUniform", tensor);
        double a = Math.Sqrt(3.0) * gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return Uniform(tensor, -a, a, seed);
    }

    /// <summary>Glorot normal (torch.nn.init.xavier_normal_): N(0, std²) with std = gain·√(2/(fan_in + fan_out)). Returns the tensor.</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, int? seed = null)
    {
        var (fanIn, fanOut) = Fans("Init.XavierNormal", tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), seed);
    }

    /// <summary>
    /// He uniform (torch.nn.init.kaiming_uniform_): U(−bound, bound) with bound = gain·√(3/fan), the gain from
    /// <see cref="CalculateGain"/>(<paramref name="nonlinearity"/>, <paramref name="a"/>) and the fan per <paramref name="mode"/>.
    /// PyTorch's defaults (a 0, fan in, leaky ReLU) give bound √(6/fan_in). Returns the tensor.
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyReLU, int? seed = null)
    {
        double std = KaimingStd("Init.KaimingUniform", tensor, a, mode, nonlinearity);
        return tensor.NumElements == 0 ? tensor : Uniform(tensor, -Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std, seed);
    }

    /// <summary>He normal (torch.nn.init.kaiming_normal_): N(0, std²) with std = gain/√fan. Returns the tensor.</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyReLU, int? seed = null)
    {
        double std = KaimingStd("Init.KaimingNormal", tensor, a, mode, nonlinearity);
        return tensor.NumElements == 0 ? tensor : Normal(tensor, 0, std, seed);
    }

    static double KaimingStd(string op, Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity)
    {
        var (fanIn, fanOut) = Fans(op, tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        return fan == 0 ? 0 : CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    /// <summary>PyTorch's fans: dim 1 and dim 0 times the product of the dims after them (the receptive field).</summary>
    static (int FanIn, int FanOut) Fans(string op, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
            throw Errors.Arg(op, $"fan in and fan out can't be computed for a tensor with fewer than 2 dimensions (shape {tensor.Shape}).");
        int receptive = 1;
        for (int d = 2; d < tensor.Rank; d++) receptive *= tensor.Shape[d];
        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }
}
