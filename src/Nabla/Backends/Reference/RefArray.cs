namespace Nabla.Backends.Reference;

/// <summary>
/// The scalar reference backend's value: a dense row-major array of doubles with a shape. Reference
/// implementations of primitives are plain loops over these; tests use them as the oracle.
/// </summary>
internal sealed class RefArray
{
    public readonly double[] Data;
    public readonly int[] Shape;

    public RefArray(double[] data, int[] shape)
    {
        Data = data;
        Shape = shape;
    }

    public int Count => Data.Length;

    public static RefArray Zeros(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return new RefArray(new double[n], (int[])shape.Clone());
    }

    public int[] Strides => Nabla.Shape.ContiguousStrides(Shape);

    /// <summary>Row-major index to coordinates.</summary>
    public int[] Unravel(int flat)
    {
        var idx = new int[Shape.Length];
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            if (Shape[d] == 0) return idx;
            idx[d] = flat % Shape[d];
            flat /= Shape[d];
        }
        return idx;
    }

    public int Ravel(int[] idx)
    {
        int flat = 0;
        for (int d = 0; d < Shape.Length; d++) flat = flat * Shape[d] + idx[d];
        return flat;
    }

    public double this[int[] idx] => Data[Ravel(idx)];

    /// <summary>Exact copy of a tensor's values as doubles (bools as 0/1).</summary>
    public static RefArray From(Tensor t) => new(t.ToDoubleArray(), t.Shape.ToArray());

    public static RefArray Map(RefArray x, Func<double, double> f)
    {
        var y = new double[x.Count];
        for (int i = 0; i < y.Length; i++) y[i] = f(x.Data[i]);
        return new RefArray(y, x.Shape);
    }

    public static RefArray Zip(RefArray a, RefArray b, Func<double, double, double> f)
    {
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape)) throw new ArgumentException("RefArray.Zip: shapes differ");
        var y = new double[a.Count];
        for (int i = 0; i < y.Length; i++) y[i] = f(a.Data[i], b.Data[i]);
        return new RefArray(y, a.Shape);
    }
}
