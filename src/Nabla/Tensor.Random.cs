using Nabla.Engine;
using Nabla.Primitives.Random;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Samples uniform in [0, 1) (float32 unless <paramref name="dtype"/> is Float64), as torch.rand.
    /// With <paramref name="seed"/> the values depend only on the seed (the same seed gives the same
    /// tensor); without it they are the next numbers of the global generator (see <see cref="ManualSeed"/>).
    /// Values never depend on the number of threads.
    /// </summary>
    /// <example><code>
    /// var a = Tensor.Rand(new[] { 2, 3 }, seed: 42);
    /// var b = Tensor.Rand(new[] { 2, 3 }, seed: 42);   // equal to a
    /// </code></example>
    public static Tensor Rand(int[] shape, DType dtype = DType.Float32, int? seed = null, bool requiresGrad = false, Device? device = null)
    {
        var s = RandomShape("Rand", shape, dtype);
        var (key, start) = Draws(seed, s.NumElements);
        return WithGrad(CreateNew("Rand", s, new RandomUniform(s.ToArray(), dtype, key, start), device), requiresGrad);
    }

    /// <summary>Samples uniform in [0, 1) drawn from <paramref name="generator"/> (a layer's own generator).</summary>
    internal static Tensor Rand(int[] shape, DType dtype, Generator generator)
    {
        var s = RandomShape("Rand", shape, dtype);
        var (key, start) = generator.Reserve(s.NumElements);
        return CreateNew("Rand", s, new RandomUniform(s.ToArray(), dtype, key, start), null);
    }

    /// <summary>Float32 samples uniform in [0, 1) from the global generator.</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape, DType.Float32);

    /// <summary>
    /// Standard normal samples (mean 0, variance 1; Box-Muller), as torch.randn; seeding as in
    /// <see cref="Rand(int[], DType, int?, bool, Device)"/>. Values are always finite.
    /// </summary>
    public static Tensor Randn(int[] shape, DType dtype = DType.Float32, int? seed = null, bool requiresGrad = false, Device? device = null)
    {
        var s = RandomShape("Randn", shape, dtype);
        var (key, start) = Draws(seed, 2 * ((s.NumElements + 1L) / 2));
        return WithGrad(CreateNew("Randn", s, new RandomNormal(s.ToArray(), dtype, key, start), device), requiresGrad);
    }

    /// <summary>Float32 standard normal samples from the global generator.</summary>
    public static Tensor Randn(params int[] shape) => Randn(shape, DType.Float32);

    /// <summary>
    /// Integers uniform in [<paramref name="low"/>, <paramref name="high"/>) (int64 unless
    /// <paramref name="dtype"/> is Int32), as torch.randint; seeding as in <see cref="Rand(int[], DType, int?, bool, Device)"/>.
    /// </summary>
    public static Tensor RandInt(long low, long high, int[] shape, int? seed = null, DType dtype = DType.Int64, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!dtype.IsInteger()) throw Errors.Arg("RandInt", $"dtype must be Int64 or Int32, got {dtype.TorchName()}.");
        if (high <= low) throw Errors.Arg("RandInt", $"high ({high}) must be greater than low ({low}).");
        if (dtype == DType.Int32 && (low < int.MinValue || high - 1 > int.MaxValue))
            throw Errors.Arg("RandInt", $"the range [{low}, {high}) does not fit in int32.");
        var s = StorageShape("RandInt", shape, dtype);
        var (key, start) = Draws(seed, s.NumElements);
        return CreateNew("RandInt", s, new RandomInt(s.ToArray(), dtype, low, high, key, start), device);
    }

    /// <summary>
    /// Seeds the global generator (torch.manual_seed): the unseeded Rand/Randn/RandInt calls that
    /// follow draw the same numbers after every call with the same seed.
    /// </summary>
    public static void ManualSeed(long seed) => Generator.Default.Reset(seed);

    static Shape RandomShape(string op, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!dtype.IsFloating()) throw Errors.Arg(op, $"dtype must be Float32 or Float64, got {dtype.TorchName()}; use RandInt for integers.");
        return StorageShape(op, shape, dtype);
    }

    static (long Seed, long Start) Draws(int? seed, long count) =>
        seed is { } s ? (s, 0) : Generator.Default.Reserve(count);
}
