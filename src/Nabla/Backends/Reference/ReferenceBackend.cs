using Nabla.Primitives;

namespace Nabla.Backends.Reference;

/// <summary>
/// <see cref="Device.Reference"/>: host memory (managed arrays, like the CPU) and one kernel for every
/// primitive, built from the primitive's own <see cref="Primitive.Reference"/>: the inputs are read as
/// doubles, the op runs as plain loops in double precision, and each output is rounded once to its dtype.
/// Views (<see cref="Primitive.TryView"/>) stay views here too, so in-place writes behave as on the CPU.
/// NB: int64 values beyond 2^53 lose digits on this device (they pass through doubles).
/// </summary>
internal sealed class ReferenceBackend() : Backend(Device.Reference)
{
    public static readonly ReferenceBackend Instance = new();

    static readonly KernelEntry Computing = new(null, (op, x) => Compute(op, x), null);
    static readonly KernelEntry Writing = new(null, null, (op, x) => WriteBack(op, x));


    public override Storage Allocate(DType dtype, int length, bool zeroed) => Storage.AllocateManaged(this, dtype, length, zeroed);

    /// <summary>Every primitive that has a reference implementation runs here, in every dtype.</summary>
    public override KernelEntry? Find(Primitive op, DType dtype) =>
        !op.HasReference ? null : op.Writes.Length > 0 ? Writing : Computing;

    static Tensor[] Compute(Primitive op, Tensor[] x)
    {
        var values = op.ReferenceOutputs(Array.ConvertAll(x, Read));
        var dtypes = op.OutputDTypes(x);
        var y = new Tensor[values.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Instance.Empty(dtypes[i], new Shape(values[i].Shape));
            Write(values[i].Data, y[i]);
        }
        return y;
    }

    // A write op's reference returns the new values of the inputs it writes, in Writes order.
    static void WriteBack(Primitive op, Tensor[] x)
    {
        var values = op.ReferenceOutputs(Array.ConvertAll(x, Read));
        for (int k = 0; k < op.Writes.Length; k++) Write(values[k].Data, x[op.Writes[k]]);
    }

    /// <summary>The elements of any view as row-major doubles (bools as 0/1).</summary>
    internal static RefArray Read(Tensor t)
    {
        var data = new double[t.NumElements];
        var storage = t.Storage.Array;
        int i = 0;
        foreach (int at in StorageIndices(t))
            data[i++] = storage switch
            {
                float[] f => f[at],
                double[] d => d[at],
                int[] n => n[at],
                long[] l => l[at],
                bool[] b => b[at] ? 1 : 0,
                _ => throw new InvalidOperationException("internal: unknown storage"),
            };
        return new RefArray(data, t.Shape.ToArray());
    }

    /// <summary>Writes row-major doubles into any view, rounding each once to the view's dtype.</summary>
    static void Write(double[] values, Tensor t)
    {
        var storage = t.Storage.Array;
        int i = 0;
        foreach (int at in StorageIndices(t))
        {
            double v = values[i++];
            switch (storage)
            {
                case float[] f: f[at] = (float)v; break;
                case double[] d: d[at] = v; break;
                case int[] n: n[at] = (int)v; break;
                case long[] l: l[at] = (long)v; break;
                case bool[] b: b[at] = v != 0; break;
            }
        }
    }

    /// <summary>The storage index of each element of a view, in row-major order (an odometer over the dims).</summary>
    static IEnumerable<int> StorageIndices(Tensor t)
    {
        int n = t.NumElements, rank = t.Rank;
        var index = new int[rank];
        for (int k = 0; k < n; k++)
        {
            int at = t.Offset;
            for (int d = 0; d < rank; d++) at += index[d] * t.Strides[d];
            yield return at;
            for (int d = rank - 1; d >= 0 && ++index[d] == t.Shape[d]; d--) index[d] = 0;
        }
    }

    public override void CopyToHost<T>(Tensor src, T[] dst, int start)
    {
        using var raw = RawAccess.Enter();
        var storage = (T[])src.Storage.Array;
        foreach (int at in StorageIndices(src)) dst[start++] = storage[at];
    }

    public override void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst)
    {
        using var raw = RawAccess.Enter();
        var storage = (T[])dst.Storage.Array;
        int i = 0;
        foreach (int at in StorageIndices(dst)) storage[at] = src[i++];
    }
}
