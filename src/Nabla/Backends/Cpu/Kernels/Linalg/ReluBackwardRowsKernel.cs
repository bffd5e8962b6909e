using System.Numerics;
using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="ReluBackwardRows"/> on the CPU: one pass over the (image, channel) planes of g and r, each masked by the
/// ReLU backward span kernel straight into its place in the rows [O, B·L]. Strided g or r go through the driver:
/// masked into a [B, O, OH, OW] tensor, then copied to the rows.
/// </summary>
internal static class ReluBackwardRowsKernel
{
    public static Tensor Run(ReluBackwardRows op, Tensor[] x)
    {
        var s = x[0].Shape;
        var y = CpuTensor.Empty(x[0].DType, new Shape([s[1], s[0] * s[2] * s[3]]));
        if (!Fill(x, y)) throw new InvalidOperationException($"internal: relu_backward_rows on {x[0].DType.TorchName()} {s}");
        return y;
    }

    /// <summary>The into-form: false, with nothing written, unless y is a contiguous CPU tensor [O, B·L] of the dtype at offset 0, sharing no memory with an input.</summary>
    public static bool Into(ReluBackwardRows op, Tensor[] x, Tensor y)
    {
        var s = x[0].Shape;
        if (y.DType != x[0].DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || y.Offset != 0 || !y.IsContiguous) return false;
        if (y.Rank != 2 || s.Rank != 4 || y.Shape[0] != s[1] || y.Shape[1] != s[0] * s[2] * s[3]) return false;
        if (x[0].SharesStorage(y) || x[1].SharesStorage(y)) return false;
        return Fill(x, y);
    }

    static bool Fill(Tensor[] x, Tensor y)
    {
        var (g, r) = (x[0], x[1]);
        if (g.Rank != 4 || !g.Shape.Equals(r.Shape) || g.DType != r.DType) return false;
        if (!g.IsContiguous || !r.IsContiguous)
        {
            var masked = CpuBackend.Instance.Kernels.Find(typeof(Primitives.Elementwise.ReluBackward), g.DType)!.Single!(new Primitives.Elementwise.ReluBackward(), [g, r]);
            Fill(masked, masked, y, mask: false);
            return true;
        }
        Fill(g, r, y, mask: true);
        return true;
    }

    /// <summary>Plane (b, o) of g, masked by r's (or copied when already masked), to row o at column b·L.</summary>
    static void Fill(Tensor g, Tensor r, Tensor y, bool mask)
    {
        switch (g.DType)
        {
            case DType.Float32: Planes<float>(g, r, y, mask); break;
            case DType.Float64: Planes<double>(g, r, y, mask); break;
            case DType.Int32: Planes<int>(g, r, y, mask); break;
            case DType.Int64: Planes<long>(g, r, y, mask); break;
            default: throw new NotSupportedException($"relu_backward_rows: no kernel for {g.DType.TorchName()}");
        }
    }

    static void Planes<T>(Tensor g, Tensor r, Tensor y, bool mask) where T : unmanaged, INumber<T>
    {
        using var raw = RawAccess.Enter();
        var s = g.Shape;
        int b = s[0], o = s[1], l = s[2] * s[3], n = b * l;
        var (gd, rd, yd) = (g.Data<T>(), r.Data<T>(), y.Data<T>());
        var (go, ro, yo) = (g.Offset, r.Offset, y.Offset);
        void Plane(int p)
        {
            int image = p / o, channel = p % o;
            var dst = yd.AsSpan(yo + channel * n + image * l, l);
            var src = gd.AsSpan(go + p * l, l);
            if (mask) ReluBackwardKernel.Run<T>(src, 1, rd.AsSpan(ro + p * l, l), 1, dst);
            else src.CopyTo(dst);
        }
        int planes = b * o;
        if (CpuParallel.Threads > 1 && planes > 1 && (long)planes * l >= CpuParallel.Threshold)
        {
            int parts = Math.Min(CpuParallel.Threads, planes);
            CpuWorkers.For(parts, parts - 1, c =>
            {
                for (int p = c * planes / parts; p < (c + 1) * planes / parts; p++) Plane(p);
            });
        }
        else
            for (int p = 0; p < planes; p++) Plane(p);
    }
}
