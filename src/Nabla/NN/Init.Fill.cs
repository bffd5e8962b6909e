using Nabla.Engine;
using Nabla.Primitives.Special;

namespace Nabla.NN;

public static partial class Init
{
    /// <summary>Fills <paramref name="tensor"/> with samples of U(a, b) (torch.nn.init.uniform_) and returns it. Floating tensors only.</summary>
    public static Tensor Uniform(Tensor tensor, double a = 0, double b = 1, int? seed = null)
    {
        CheckRandom("Init.Uniform", tensor);
        if (!(a <= b)) throw Errors.Arg("Init.Uniform", $"expects a <= b, got a = {a}, b = {b}.");
        return Fill(tensor, () => Tensor.Rand(tensor.Shape.ToArray(), tensor.DType, seed, device: tensor.Device) * (b - a) + a);
    }

    /// <summary>Fills <paramref name="tensor"/> with samples of N(mean, std²) (torch.nn.init.normal_) and returns it. Floating tensors only.</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, int? seed = null)
    {
        CheckRandom("Init.Normal", tensor);
        if (!(std >= 0)) throw Errors.Arg("Init.Normal", $"expects std >= 0, got {std}.");
        return Fill(tensor, () => Tensor.Randn(tensor.Shape.ToArray(), tensor.DType, seed, device: tensor.Device) * std + mean);
    }

    /// <summary>
    /// Fills <paramref name="tensor"/> with samples of N(mean, std²) truncated to [a, b] (torch.nn.init.trunc_normal_; the
    /// bounds are absolute values, not in units of std) and returns it. Drawn as PyTorch does, by the inverse CDF of a
    /// uniform sample between the bounds' CDF values, in double precision. Floating tensors only.
    /// </summary>
    public static Tensor TruncNormal(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, int? seed = null)
    {
        CheckRandom("Init.TruncNormal", tensor);
        if (!(std >= 0)) throw Errors.Arg("Init.TruncNormal", $"expects std >= 0, got {std}.");
        if (!(a <= b)) throw Errors.Arg("Init.TruncNormal", $"expects a <= b, got a = {a}, b = {b}.");
        double lo = NormalCdf((a - mean) / std), hi = NormalCdf((b - mean) / std);
        var u = Tensor.Rand(tensor.Shape.ToArray(), DType.Float64, seed).ToArray<double>();
        for (int i = 0; i < u.Length; i++)
        {
            // U in [2lo − 1, 2hi − 1), then erf⁻¹ scaled: a normal sample given it lies in [a, b].
            double z = 2 * lo - 1 + (2 * hi - 2 * lo) * u[i];
            u[i] = Math.Clamp(mean + std * Math.Sqrt(2) * ErfInv(z), a, b);
        }
        return Fill(tensor, () => Tensor.FromArray(u, tensor.Shape.ToArray()).To(tensor.DType));
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/> (torch.nn.init.constant_) and returns it.</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) tensor.Fill(value);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with zeros (torch.nn.init.zeros_) and returns it.</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Fills <paramref name="tensor"/> with ones (torch.nn.init.ones_) and returns it.</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>
    /// Fills a 2-D <paramref name="tensor"/> with the identity matrix (ones on the main diagonal, also when not square;
    /// torch.nn.init.eye_) and returns it. Throws for another rank.
    /// </summary>
    public static Tensor Eye(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank != 2) throw Errors.Arg("Init.Eye", $"only 2-D tensors are supported, got shape {tensor.Shape}.");
        return Fill(tensor, () => Tensor.Eye(tensor.Shape[0], tensor.Shape[1], tensor.DType, tensor.Device));
    }

    /// <summary>Copies <paramref name="values"/>() into <paramref name="tensor"/> under no-grad (an empty tensor is left alone, as PyTorch).</summary>
    static Tensor Fill(Tensor tensor, Func<Tensor> values)
    {
        if (tensor.NumElements == 0) return tensor;
        using (Autograd.NoGrad()) tensor.CopyFrom(values());
        return tensor;
    }

    static void CheckRandom(string op, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.DType.IsFloating())
            throw Errors.Arg(op, $"needs a floating tensor (Float32 or Float64), got {tensor.DType.TorchName()} of shape {tensor.Shape}.");
    }

    static double NormalCdf(double x) => (1 + Erf.Evaluate(x / Math.Sqrt(2))) / 2;

    /// <summary>erf⁻¹(z) for z in [−1, 1]: Winitzki's approximation, then Newton steps on erf (double precision).</summary>
    internal static double ErfInv(double z)
    {
        if (z <= -1) return z == -1 ? double.NegativeInfinity : double.NaN;
        if (z >= 1) return z == 1 ? double.PositiveInfinity : double.NaN;
        const double A = 0.147;
        double ln = Math.Log((1 - z) * (1 + z));
        double t = 2 / (Math.PI * A) + ln / 2;
        double y = Math.Sign(z) * Math.Sqrt(Math.Sqrt(t * t - ln / A) - t);
        for (int k = 0; k < 4; k++)
        {
            double slope = 2 / Math.Sqrt(Math.PI) * Math.Exp(-y * y);
            if (slope == 0) break;
            y -= (Erf.Evaluate(y) - z) / slope;
        }
        return y;
    }
}
