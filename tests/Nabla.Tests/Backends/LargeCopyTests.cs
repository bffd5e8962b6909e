namespace Nabla.Tests.Backends;

/// <summary>
/// Materializing a large strided view splits its runs across cores; every element must land where
/// row-major order puts it, whatever the source strides (permuted, transposed, broadcast, offset).
/// </summary>
public class LargeCopyTests
{
    [Fact]
    public void PermutedViewCopiesElementForElement()
    {
        int a = 64, b = 32, c = 30;                                  // 61,440 elements: above the parallel threshold
        var x = Tensor.Arange(a * b * c, DType.Float32).Reshape(a, b, c);
        var y = x.Permute(1, 0, 2).Contiguous().ToArray<float>();     // [b, a, c]
        for (int j = 0; j < b; j++)
            for (int i = 0; i < a; i++)
                for (int k = 0; k < c; k++)
                    Assert.Equal((float)((i * b + j) * c + k), y[(j * a + i) * c + k]);
    }

    [Fact]
    public void TransposedBroadcastAndOffsetViewsCopyElementForElement()
    {
        var m = Tensor.Arange(300 * 200, DType.Float64).Reshape(300, 200);
        var t = m.T.Contiguous().ToArray<double>();                   // [200, 300]
        for (int i = 0; i < 200; i++)
            for (int j = 0; j < 300; j++)
                Assert.Equal(j * 200.0 + i, t[i * 300 + j]);

        var col = Tensor.Arange(1000, DType.Float32).Reshape(1000, 1);
        var e = col.Expand(1000, 50).Contiguous().ToArray<float>();   // stride 0 along the runs
        for (int i = 0; i < 1000; i++)
            for (int j = 0; j < 50; j++)
                Assert.Equal((float)i, e[i * 50 + j]);

        var s = m[1.., 3..].Contiguous().ToArray<double>();           // an offset, strided slice
        for (int i = 0; i < 299; i++)
            for (int j = 0; j < 197; j++)
                Assert.Equal((i + 1) * 200.0 + j + 3, s[i * 197 + j]);
    }
}
