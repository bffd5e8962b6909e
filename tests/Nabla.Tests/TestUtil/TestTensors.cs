namespace Nabla.Tests.TestUtil;

/// <summary>Small helpers to build test tensors and read them back.</summary>
internal static class TestTensors
{
    /// <summary>float64 values uniform in [-1, 1) with the shape of <paramref name="like"/>, from a fixed seed.</summary>
    public static Tensor RandomLike(Tensor like, int seed)
    {
        var rng = new Random(seed);
        var data = new double[like.NumElements];
        for (int i = 0; i < data.Length; i++) data[i] = 2 * rng.NextDouble() - 1;
        return Tensor.FromArray(data, like.Shape.ToArray());
    }

    /// <summary>Sum of elementwise products of two same-shape tensors, in double.</summary>
    public static double Dot(Tensor a, Tensor b)
    {
        var x = a.ToDoubleArray();
        var y = b.ToDoubleArray();
        Assert.Equal(x.Length, y.Length);
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>Sum of |a_i * b_i|: the magnitude a dot product's rounding error scales with.</summary>
    public static double AbsDot(Tensor a, Tensor b)
    {
        var x = a.ToDoubleArray();
        var y = b.ToDoubleArray();
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += Math.Abs(x[i] * y[i]);
        return s;
    }

    public static double[] D(Tensor t) => t.ToDoubleArray();
}
