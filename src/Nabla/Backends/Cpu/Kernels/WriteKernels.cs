using Nabla.Primitives.Write;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the write primitives (in-place data effects).</summary>
internal static class WriteKernels
{
    public static void Register(KernelTable table)
    {
        table.AddWrite<Assign>(KernelDTypes.All, (_, x) => Assign(x[0], x[1]));
        table.AddWrite<FillWith>(KernelDTypes.All, (op, x) => Fill(x[0], op.Value));
    }

    static void Assign(Tensor dst, Tensor src)
    {
        // The very elements (a replay that wrote the new value straight into its destination): nothing to move.
        if (src.IsSameView(dst)) return;
        // A source sharing the destination's storage may overlap it: read it out first.
        if (ReferenceEquals(src.Storage, dst.Storage)) src = CopyKernel.Contiguous(src);
        ViewCopy.Copy(src, dst);
    }

    /// <summary>Sets every element of a (possibly strided) view to <paramref name="value"/> as a C# cast.</summary>
    public static void Fill(Tensor t, double value)
    {
        switch (t.DType)
        {
            case DType.Float32: FillAs(t, (float)value); break;
            case DType.Float64: FillAs(t, value); break;
            case DType.Int32: FillAs(t, (int)value); break;
            case DType.Int64: FillAs(t, (long)value); break;
            case DType.Bool: FillAs(t, value != 0); break;
        }
    }

    static void FillAs<T>(Tensor t, T value) where T : unmanaged
    {
        var data = t.Data<T>();
        if (t.IsContiguous)
        {
            data.AsSpan(t.Offset, t.NumElements).Fill(value);
            return;
        }
        var loop = new StridedLoop(t.Shape.Span, [t.Strides], [t.Offset]);
        int s = loop.InnerStride(0);
        loop.ForEachRun((offs, n) =>
        {
            for (int i = 0, o = offs[0]; i < n; i++, o += s) data[o] = value;
        });
    }
}
