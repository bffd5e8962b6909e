// NB: this folder's types live in namespace Nabla, not Nabla.Random: a namespace of that name would
// hide System.Random from all code under Nabla (and Nabla.Tests).
namespace Nabla;

/// <summary>
/// Counter-based random bits: draw n of seed s is SplitMix64's n-th output, mix(s + (n+1)·γ), a pure
/// function of (seed, n). Any element can be computed on its own, so kernels fill tensors in
/// parallel and the numbers never depend on the thread count or the chunking. A generator keeps
/// only its seed and how many draws it has handed out (the offset), like PyTorch's Philox state.
/// </summary>
internal sealed class Generator
{
    /// <summary>PyTorch's default CPU seed, so a fresh process is reproducible without a ManualSeed call.</summary>
    public const long DefaultSeed = 67280421310721;

    const ulong Gamma = 0x9E3779B97F4A7C15;

    readonly object _lock = new();
    long _seed;
    long _offset;

    public Generator(long seed) { _seed = seed; }

    /// <summary>The process-wide generator used when no seed is given (torch's default generator).</summary>
    public static Generator Default { get; } = new(DefaultSeed);

    /// <summary>Restarts the stream at draw 0 of <paramref name="seed"/>.</summary>
    public void Reset(long seed)
    {
        lock (_lock)
        {
            _seed = seed;
            _offset = 0;
        }
    }

    /// <summary>The whole state (seed and offset), to replay draws later (gradient checkpointing does).</summary>
    public (long Seed, long Offset) State
    {
        get { lock (_lock) return (_seed, _offset); }
        set { lock (_lock) (_seed, _offset) = value; }
    }

    /// <summary>
    /// The generator that last handed out draws on this thread: a compiled graph's tracer asks it which
    /// generator a random op drew from, so the replay draws again from that one.
    /// </summary>
    [ThreadStatic] static Generator? _lastReserved;

    /// <summary>See <see cref="_lastReserved"/>.</summary>
    public static Generator? LastReserved => _lastReserved;

    /// <summary>Hands out <paramref name="count"/> consecutive draws: the seed and the first draw's number.</summary>
    public (long Seed, long Start) Reserve(long count)
    {
        _lastReserved = this;
        lock (_lock)
        {
            var start = _offset;
            _offset += count;
            return (_seed, start);
        }
    }

    /// <summary>Draw <paramref name="counter"/> of the stream of <paramref name="seed"/>: 64 uniform bits.</summary>
    public static ulong Bits(long seed, long counter)
    {
        ulong z = unchecked((ulong)seed + ((ulong)counter + 1) * Gamma);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public static double Uniform53(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits: every value is an exact float32.</summary>
    public static float Uniform24(ulong bits) => (bits >> 40) * (1.0f / (1 << 24));

    /// <summary>
    /// Element <paramref name="i"/> of a standard normal stream (Box-Muller): elements 2k and 2k+1 share
    /// draws 2k and 2k+1 as r·cos θ and r·sin θ, with r = sqrt(-2 ln u1), u1 in (0, 1] so the log is finite.
    /// </summary>
    public static double Normal(long seed, long start, long i)
    {
        long pair = i & ~1L;
        double u1 = ((Bits(seed, start + pair) >> 11) + 1) * (1.0 / (1UL << 53));
        double u2 = Uniform53(Bits(seed, start + pair + 1));
        double r = Math.Sqrt(-2 * Math.Log(u1));
        double theta = 2 * Math.PI * u2;
        return (i & 1) == 0 ? r * Math.Cos(theta) : r * Math.Sin(theta);
    }

    /// <summary>Uniform integer in [low, low + range) without modulo bias worth measuring (Lemire's multiply-shift).</summary>
    public static long Below(ulong bits, long low, ulong range) => low + (long)(ulong)(((UInt128)bits * range) >> 64);
}
