using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// Kept packed B panels: the same storage and version give the same packed blocks back (no second pack); a new version,
/// another layout of B or another shape packs anew; and the packed blocks are, element for element, what the per-call
/// pack of the same blocks writes.
/// </summary>
public class GemmPackedBTests
{
    [Fact]
    public void ASameVersionReusesAndAnyChangeRepacks()
    {
        var key = new object();
        var b = Enumerable.Range(0, 800 * 70).Select(i => (float)i).ToArray();
        var first = GemmPackedB<float>.For(key, 0, b, 0, 70, 1, 800, 70, 32, 400, 2048);
        Assert.Same(first, GemmPackedB<float>.For(key, 0, b, 0, 70, 1, 800, 70, 32, 400, 2048));
        Assert.NotSame(first, GemmPackedB<float>.For(key, 1, b, 0, 70, 1, 800, 70, 32, 400, 2048));
        var transposed = GemmPackedB<float>.For(key, 1, b, 0, 1, 800, 800, 70, 32, 400, 2048);
        Assert.NotSame(first, transposed);
        Assert.NotSame(transposed, GemmPackedB<float>.For(key, 1, b, 0, 1, 800, 800, 69, 32, 400, 2048));
    }

    [Theory]
    [InlineData(800, 70, 70, 1)]     // row-major B, two k blocks
    [InlineData(800, 70, 1, 800)]    // a transposed view (Linear's Wᵀ)
    [InlineData(33, 2100, 2100, 1)]  // two column groups
    public void PackedBlocksEqualThePerCallPack(int k, int n, int rs, int cs)
    {
        const int nr = 32, kc0 = 400, nc0 = 2048;
        var b = Enumerable.Range(0, k * n).Select(i => (float)(i % 1009) - 500).ToArray();
        var packed = GemmPackedB<float>.For(new object(), 0, b, 0, rs, cs, k, n, nr, kc0, nc0);
        int kBlocks = (k + kc0 - 1) / kc0, groups = (n + nc0 - 1) / nc0;
        for (int i = 0; i < kBlocks * groups; i++)
        {
            int jc = i / kBlocks * nc0, pc = i % kBlocks * kc0;
            int nc = Math.Min(nc0, n - jc), kc = Math.Min(kc0, k - pc), slivers = (nc + nr - 1) / nr;
            var expected = new float[kc * slivers * nr];
            GemmPack.PackB(b, pc * rs + jc * cs, rs, cs, kc, nc, nr, expected, 0, slivers);
            Assert.Equal(expected, packed.Data.AsSpan(packed.Start + packed.Offsets[i], expected.Length).ToArray());
        }
    }
}
