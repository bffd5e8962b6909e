namespace Nabla.Tests.Graphs;

/// <summary>Fuzzing shared by the saved-graph hardening tests.</summary>
internal static class GraphFileFuzz
{
    /// <summary>
    /// Flips 1 to 4 random bytes of <paramref name="file"/> for each of <paramref name="seeds"/> seeds: each variant is
    /// either rejected by <paramref name="load"/> with a clear InvalidDataException/ArgumentException, or loads into a
    /// function whose <paramref name="call"/> returns or throws a clear InvalidOperationException/ArgumentException
    /// (the flip kept the file consistent: a site's text, a weight's value). Returns how many were rejected.
    /// </summary>
    public static int ByteFlips(byte[] file, int seeds, Func<byte[], LoadedFunction> load, Action<LoadedFunction> call)
    {
        int rejected = 0;
        for (int seed = 0; seed < seeds; seed++)
        {
            var rng = new Random(seed);
            var bad = (byte[])file.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++) bad[rng.Next(bad.Length)] ^= (byte)(1 + rng.Next(255));
            LoadedFunction loaded;
            try { loaded = load(bad); }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                rejected++;
                continue;
            }
            try { call(loaded); }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException) { }
        }
        return rejected;
    }
}
