namespace Nabla.NN;

/// <summary>
/// torch.nn.init: in-place fills of a tensor that return it (<see cref="Uniform(Tensor, double, double, int?)"/>,
/// <see cref="Normal(Tensor, double, double, int?)"/>, <see cref="TruncNormal"/>, <see cref="Constant"/>,
/// <see cref="Zeros"/>, <see cref="Ones"/>, <see cref="Eye"/>, <see cref="XavierUniform"/>, <see cref="XavierNormal"/>,
/// <see cref="KaimingUniform"/>, <see cref="KaimingNormal"/>) and <see cref="CalculateGain"/>. The fills run under
/// <see cref="Autograd.NoGrad"/>, as PyTorch's, so they work on parameters (leaves that require grad) and bump their
/// version. Random fills draw from the global generator (<see cref="Tensor.ManualSeed"/>) or from <c>seed</c> when given.
/// </summary>
/// <example><code>
/// var w = Tensor.Zeros([64, 32]); w.RequiresGrad = true;
/// Init.KaimingUniform(w, nonlinearity: Nonlinearity.ReLU);
/// Init.Zeros(linear.Bias!);
/// </code></example>
/// <remarks>
/// The layers' own default initialization (PyTorch's, seeded per layer: each tensor of a layer draws from its own stream
/// derived from (seed, stream index)) uses the internal helpers of this class.
/// </remarks>
public static partial class Init
{
    /// <summary>U(-bound, bound) samples.</summary>
    internal static Tensor Uniform(int[] shape, double bound, DType dtype, int? seed, int stream)
    {
        using (Autograd.NoGrad())
            return (Tensor.Rand(shape, dtype, StreamSeed(seed, stream)) * 2.0 - 1.0) * bound;
    }

    /// <summary>N(0, 1) samples.</summary>
    internal static Tensor Normal(int[] shape, DType dtype, int? seed, int stream)
    {
        using (Autograd.NoGrad())
            return Tensor.Randn(shape, dtype, StreamSeed(seed, stream));
    }

    /// <summary>A fixed mix of (seed, stream) into a new seed (splitmix-style), independent of the runtime's hashing.</summary>
    internal static int? StreamSeed(int? seed, int stream)
    {
        if (seed is not int s) return null;
        ulong z = (ulong)(uint)s * 0x9E3779B97F4A7C15UL + (ulong)(stream + 1) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>1/√fan_in: the bound of kaiming_uniform(a=√5) for weights and of PyTorch's default bias init.</summary>
    internal static double Bound(int fanIn) => fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;

    internal static void CheckDType(string op, DType dtype)
    {
        if (!dtype.IsFloating())
            throw Engine.Errors.Arg(op, $"parameters must be floating (Float32 or Float64), got {dtype.TorchName()}.");
    }
}
