using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// Packing of A: every packed element is the A element its slot names (dst[s*kc*mr + p*mr + r] =
/// A[s*mr + r, p], zero past the last row), so the AVX-512 six-row path and the scalar path must
/// agree element for element, across k tails (kc not a multiple of 16), row strides, offsets and
/// a partial last sliver; a transposed view (rows side by side) takes the contiguous-run path.
/// </summary>
public class GemmPackTests
{
    [Theory]
    [InlineData(6, 1, 6, 0)]
    [InlineData(6, 15, 15, 3)]
    [InlineData(6, 16, 16, 0)]
    [InlineData(12, 17, 40, 5)]
    [InlineData(13, 37, 37, 1)]
    [InlineData(20, 384, 400, 7)]
    [InlineData(7, 256, 256, 0)]
    public void PackAPlacesEveryElementOfRowMajorA(int mc, int kc, int rs, int off)
    {
        const int mr = 6;
        var a = new float[off + mc * rs];
        for (int i = 0; i < a.Length; i++) a[i] = i + 1;     // distinct and nonzero: a misplaced copy shows
        int slivers = (mc + mr - 1) / mr;
        var dst = new float[slivers * kc * mr];
        Array.Fill(dst, float.NaN);                             // a slot left unwritten shows too
        GemmPack.PackA(a, off, rs, 1, mc, kc, mr, dst);
        for (int s = 0; s < slivers; s++)
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < mr; r++)
                {
                    int row = s * mr + r;
                    float expected = row < mc ? a[off + row * rs + p] : 0f;
                    Assert.Equal(expected, dst[s * kc * mr + p * mr + r]);
                }
    }

    [Theory]
    [InlineData(6, 5, 6, 0)]
    [InlineData(12, 17, 12, 2)]
    [InlineData(13, 40, 20, 1)]
    [InlineData(6, 256, 256, 0)]
    public void PackAPlacesEveryElementOfATransposedView(int mc, int kc, int cs, int off)
    {
        const int mr = 6;
        var a = new float[off + kc * cs];                       // A[r, p] at off + r + p*cs: rows side by side
        for (int i = 0; i < a.Length; i++) a[i] = i + 1;
        int slivers = (mc + mr - 1) / mr;
        var dst = new float[slivers * kc * mr];
        Array.Fill(dst, float.NaN);
        GemmPack.PackA(a, off, 1, cs, mc, kc, mr, dst);
        for (int s = 0; s < slivers; s++)
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < mr; r++)
                {
                    int row = s * mr + r;
                    float expected = row < mc ? a[off + row + p * cs] : 0f;
                    Assert.Equal(expected, dst[s * kc * mr + p * mr + r]);
                }
    }
}
