namespace Nabla.Data;

/// <summary>The random orders samplers use: a pure function of (seed, epoch), so every process computes the same one.</summary>
internal static class Permutation
{
    /// <summary>0, 1, …, <paramref name="count"/> − 1.</summary>
    public static int[] Identity(int count)
    {
        var order = new int[count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        return order;
    }

    /// <summary>
    /// A permutation of 0..<paramref name="count"/> − 1 by Fisher–Yates driven by counter-based random bits of
    /// (<paramref name="seed"/>, <paramref name="epoch"/>): it depends on nothing else (no global generator, no thread).
    /// </summary>
    public static int[] Random(int count, long seed, int epoch)
    {
        var order = Identity(count);
        long epochSeed = unchecked((long)Generator.Bits(seed, epoch));
        for (int i = order.Length - 1; i > 0; i--)
        {
            // Uniform in [0, i] from 64 random bits (multiply-shift; the bias is below 2^-32).
            int j = (int)(((UInt128)Generator.Bits(epochSeed, i) * (ulong)(i + 1)) >> 64);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
