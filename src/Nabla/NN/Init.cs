namespace Nabla.NN;

/// <summary>
/// PyTorch's default initializations, seeded. With a layer seed, each tensor of the layer draws from
/// its own stream derived from (seed, stream index), so weight and bias are independent; without
/// one, draws come from the global generator (<see cref="Tensor.ManualSeed"/> makes them repeatable).
/// </summary>
internal static class Init
{
    /// <summary>U(-bound, bound) samples.</summary>
    public static Tensor Uniform(int[] shape, double bound, DType dtype, int? seed, int stream)
    {
        using (Autograd.NoGrad())
            return (Tensor.Rand(shape, dtype, StreamSeed(seed, stream)) * 2.0 - 1.0) * bound;
    }

    /// <summary>N(0, 1) samples.</summary>
    public static Tensor Normal(int[] shape, DType dtype, int? seed, int stream)
    {
        using (Autograd.NoGrad())
            return Tensor.Randn(shape, dtype, StreamSeed(seed, stream));
    }

    /// <summary>A fixed mix of (seed, stream) into a new seed (splitmix-style), independent of the runtime's hashing.</summary>
    public static int? StreamSeed(int? seed, int stream)
    {
        if (seed is not int s) return null;
        ulong z = (ulong)(uint)s * 0x9E3779B97F4A7C15UL + (ulong)(stream + 1) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>1/√fan_in: the bound of kaiming_uniform(a=√5) for weights and of PyTorch's default bias init.</summary>
    public static double Bound(int fanIn) => fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;

    public static void CheckDType(string op, DType dtype)
    {
        if (!dtype.IsFloating())
            throw Engine.Errors.Arg(op, $"parameters must be floating (Float32 or Float64), got {dtype.TorchName()}.");
    }
}
