using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>Computes one matrix's packed results (row-major double in, packed double out), for batches of them.</summary>
internal delegate void MatrixFactor(ReadOnlySpan<double> matrix, Span<double> packed);

/// <summary>The batch loop of the decompositions' references: [..., rows, cols] in, [..., outTail] out.</summary>
internal static class MatrixBatches
{
    public static RefArray Reference(RefArray x, int[] outTail, MatrixFactor factor)
    {
        int rank = x.Shape.Length, size = x.Shape[rank - 2] * x.Shape[rank - 1];
        int packedSize = outTail.Aggregate(1, (p, d) => p * d);
        var y = RefArray.Zeros([.. x.Shape[..^2], .. outTail]);
        int batch = y.Count / Math.Max(1, packedSize);
        if (packedSize == 0) return y;
        for (int b = 0; b < batch; b++)
            factor(x.Data.AsSpan(b * size, size), y.Data.AsSpan(b * packedSize, packedSize));
        return y;
    }
}
