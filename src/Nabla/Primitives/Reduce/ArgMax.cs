using Nabla.Backends;
using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// The index (int64) of the largest element along <c>dim</c>, which is kept as size 1. Ties give the
/// first index, and NaN counts as larger than everything (the first NaN wins), as torch.argmax.
/// Not differentiable (an integer output); the front end rejects an empty dim.
/// </summary>
internal sealed class ArgMax(int dim) : Primitive
{
    public override string Name => "argmax";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x) => x[0].DType switch
    {
        DType.Float32 => Run<float>(x[0]),
        DType.Float64 => Run<double>(x[0]),
        DType.Int32 => Run<int>(x[0]),
        DType.Int64 => Run<long>(x[0]),
        _ => throw new NotSupportedException($"argmax: no kernel for {x[0].DType.TorchName()}"),
    };

    Tensor Run<T>(Tensor x) where T : unmanaged, INumber<T>
    {
        // Move dim last so each output element reads one contiguous row.
        int rank = x.Rank;
        var shape = new int[rank];
        var strides = new int[rank];
        for (int i = 0, k = 0; i < rank; i++)
        {
            if (i == dim) continue;
            shape[k] = x.Shape[i];
            strides[k++] = x.Strides[i];
        }
        shape[rank - 1] = x.Shape[dim];
        strides[rank - 1] = x.Strides[dim];
        var laid = CopyKernel.AsContiguous(x.View(new Shape(shape), strides, x.Offset));

        var outShape = x.Shape.ToArray();
        outShape[dim] = 1;
        var y = CpuTensor.Empty(DType.Int64, new Shape(outShape));
        var src = laid.Data<T>();
        var dst = y.Data<long>();
        int n = x.Shape[dim];
        CpuParallel.ForRange(y.NumElements, (start, count) =>
        {
            for (int r = start; r < start + count; r++) dst[r] = FirstMax(src.AsSpan(laid.Offset + r * n, n));
        });
        return y;
    }

    static long FirstMax<T>(ReadOnlySpan<T> row) where T : INumber<T>
    {
        int best = 0;
        if (T.IsNaN(row[0])) return 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (T.IsNaN(row[i])) return i;
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x)
    {
        var inShape = x[0].Shape;
        var outShape = (int[])inShape.Clone();
        outShape[dim] = 1;
        var y = RefArray.Zeros(outShape);
        for (int o = 0; o < y.Count; o++)
        {
            var idx = y.Unravel(o);
            int best = -1;
            double bestValue = double.NaN;
            for (int i = 0; i < inShape[dim]; i++)
            {
                idx[dim] = i;
                double v = x[0][idx];
                if (best < 0 || (!double.IsNaN(bestValue) && (double.IsNaN(v) || v > bestValue))) (best, bestValue) = (i, v);
            }
            y.Data[o] = best;
        }
        return y;
    }
}
