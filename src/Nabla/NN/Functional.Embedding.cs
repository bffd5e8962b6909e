using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Rows of <paramref name="weight"/> [num, dim] picked by an integer index tensor of any shape; the
    /// result has shape [..indices, dim] (torch.nn.functional.embedding). The gradient adds into the
    /// picked rows (repeated indices add up); indices outside 0..num-1 are an error. As PyTorch:
    /// lookups of <paramref name="paddingIdx"/> (negative counts from the end) give no gradient;
    /// <paramref name="maxNorm"/> first rescales, in place and without gradient, every looked-up row whose
    /// <paramref name="normType"/>-norm exceeds it to norm maxNorm (factor maxNorm/(norm + 1e-7));
    /// <paramref name="scaleGradByFreq"/> divides each row's gradient by how often its index occurs in
    /// <paramref name="indices"/>.
    /// </summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null, double? maxNorm = null, double normType = 2,
        bool scaleGradByFreq = false)
    {
        const string op = "Embedding";
        var pad = CheckEmbedding(op, indices, weight, paddingIdx, maxNorm);
        var idx = indices.Reshape(-1);
        if (maxNorm is double m) Renorm(weight, idx, m, normType);
        var rows = weight.IndexSelect(0, idx);
        if (scaleGradByFreq)
        {
            // Value unchanged (d + 0), gradient scaled by 1/count: each index's rows share one unit of gradient weight.
            var counts = Tensor.Zeros([weight.Shape[0]], weight.DType, device: weight.Device)
                .ScatterAdd(0, idx.To(DType.Int64), Tensor.Ones([idx.Shape[0]], weight.DType, device: weight.Device));
            var d = rows.Detach();
            rows = d + (rows - d) * (1.0 / counts.IndexSelect(0, idx)).Unsqueeze(1);
        }
        if (pad is int p) rows = Tensor.Where(idx.Eq((long)p).Unsqueeze(1), rows.Detach(), rows);
        return rows.Reshape([.. indices.Shape.ToArray(), weight.Shape[1]]);
    }

    /// <summary>
    /// Sums, means or maxima of bags of embeddings without building the looked-up rows' tensor per bag
    /// (torch.nn.functional.embedding_bag): <paramref name="input"/> [B, L] (each row a bag), or 1-d indices with
    /// <paramref name="offsets"/> [B] giving where each bag starts (with <paramref name="includeLastOffset"/>, [B + 1]
    /// whose last entry ends the last bag, CSR style); offsets must start at 0 and not decrease. The result is [B, dim].
    /// Entries equal to <paramref name="paddingIdx"/> are left out of their bag (not counted by Mean, no gradient); an
    /// empty bag gives zeros. <paramref name="perSampleWeights"/> (the input's shape, Sum only) scales each row and is
    /// differentiable. Max sends each output's gradient to the first maximal entry (as PyTorch). <paramref name="maxNorm"/>
    /// renormalizes rows as <see cref="Embedding(Tensor, Tensor, int?, double?, double, bool)"/>. With offsets, their values
    /// are read on the host to lay the bags out.
    /// </summary>
    public static Tensor EmbeddingBag(Tensor input, Tensor weight, Tensor? offsets = null, EmbeddingBagMode mode = EmbeddingBagMode.Mean,
        Tensor? perSampleWeights = null, bool includeLastOffset = false, int? paddingIdx = null, double? maxNorm = null, double normType = 2)
    {
        const string op = "EmbeddingBag";
        var pad = CheckEmbedding(op, input, weight, paddingIdx, maxNorm);
        if (!Enum.IsDefined(mode)) throw Errors.Arg(op, $"unknown mode {(int)mode}; use EmbeddingBagMode.Sum, Mean or Max.");
        if (perSampleWeights is not null)
        {
            if (mode != EmbeddingBagMode.Sum)
                throw Errors.Arg(op, $"perSampleWeights are only supported with EmbeddingBagMode.Sum (as PyTorch), got {mode}.");
            if (!perSampleWeights.Shape.Equals(input.Shape) || perSampleWeights.DType != weight.DType)
                throw Errors.Arg(op, $"perSampleWeights must have the input's shape and the weight's dtype ({Shape.Format(input.Shape.Span)} " +
                    $"{weight.DType.TorchName()}), got {Errors.Describe(perSampleWeights)}.");
        }
        Tensor ids, keep;
        Tensor? sampleWeights = perSampleWeights;
        if (input.Rank == 2)
        {
            if (offsets is not null) throw Errors.Arg(op, $"a 2-d input {Errors.Describe(input)} holds one bag per row: offsets must be null.");
            ids = input;
            keep = pad is int p ? input.Ne((long)p) : Tensor.Ones(input.Shape.ToArray(), DType.Bool, device: input.Device);
        }
        else if (input.Rank == 1)
        {
            if (offsets is null) throw Errors.Arg(op, "a 1-d input needs offsets (where each bag starts); or pass a 2-d input [B, L].");
            var (positions, valid) = BagLayout(op, offsets, input.Shape[0], includeLastOffset);
            var at = Tensor.FromArray(positions, [valid.GetLength(0), valid.GetLength(1)]).To(input.Device);
            keep = Tensor.FromArray(valid).To(input.Device);
            ids = input.Take(at);
            if (pad is int p) keep = Tensor.LogicalAnd(keep, ids.Ne((long)p));
            sampleWeights = perSampleWeights?.Take(at);
        }
        else throw Errors.Arg(op, $"input must be [B, L] or 1-d with offsets, got {Errors.Describe(input)}.");

        if (maxNorm is double m) Renorm(weight, ids.Reshape(-1), m, normType);
        int bags = ids.Shape[0], length = ids.Shape[1], dim = weight.Shape[1];
        var rows = weight.IndexSelect(0, ids.Reshape(-1)).Reshape(bags, length, dim);
        if (sampleWeights is not null) rows = rows * sampleWeights.Unsqueeze(2);
        var keep3 = keep.Unsqueeze(2);
        var zero = Tensor.Scalar(0.0, weight.DType);
        var count = keep.To(weight.DType).Sum(1, keepDim: true);   // [B, 1] entries per bag, padding left out
        if (mode == EmbeddingBagMode.Max && length > 0)
        {
            var masked = Tensor.Where(keep3, rows, Tensor.Scalar(double.NegativeInfinity, weight.DType));
            var best = masked.Gather(1, masked.ArgMax(1, keepDim: true)).Squeeze(1);   // one entry per output: the first maximum
            return Tensor.Where(count.Gt(0.0), best, zero);                             // an empty bag: zeros, not -inf
        }
        var sum = Tensor.Where(keep3, rows, zero).Sum(1);   // also Max's zeros when every bag is empty (no entries at all)
        return mode == EmbeddingBagMode.Mean ? sum / count.Clamp(min: 1) : sum;   // an empty bag: 0 / 1
    }

    /// <summary>Validates indices and weight (and the options) and returns the padding index made non-negative.</summary>
    static int? CheckEmbedding(string op, Tensor indices, Tensor weight, int? paddingIdx, double? maxNorm)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weight);
        if (!indices.DType.IsInteger())
            throw Errors.Arg(op, $"indices must be int64 or int32, got {indices.DType.TorchName()}.");
        if (weight.Rank != 2)
            throw Errors.Arg(op, $"weight must be 2-d [num_embeddings, embedding_dim], got {Errors.Describe(weight)}.");
        int num = weight.Shape[0];
        if (paddingIdx is int p && (p < -num || p >= num))
            throw Errors.Arg(op, $"paddingIdx {p} must be within the {num} embeddings (-{num}..{num - 1}).");
        if (maxNorm is double m && !(m > 0)) throw Errors.Arg(op, $"maxNorm must be positive, got {m}.");
        Dispatch.Check(indices, new IndexRangeCheck(nameof(indices), num, null, $"{op}: index {{0}} is out of range for {num} embeddings (valid: 0..{num - 1})"));
        return paddingIdx is int q ? (q < 0 ? q + num : q) : null;
    }

    /// <summary>
    /// PyTorch's embedding_renorm_: rows of <paramref name="weight"/> named in <paramref name="indices"/> whose norm
    /// exceeds <paramref name="maxNorm"/> are scaled in place, without gradient, by maxNorm/(norm + 1e-7).
    /// The norms of all rows are computed (one pass over the table) and unused rows are scaled by exactly 1.
    /// </summary>
    static void Renorm(Tensor weight, Tensor indices, double maxNorm, double normType)
    {
        using (Autograd.NoGrad())
        {
            var w = weight.Detach();
            var used = Tensor.Zeros([w.Shape[0]], w.DType, device: w.Device)
                .ScatterAdd(0, indices.To(DType.Int64), Tensor.Ones([indices.Shape[0]], w.DType, device: w.Device)).Gt(0.0);
            var norms = w.Norm(normType, 1);
            var shrink = Tensor.LogicalAnd(used, norms.Gt(maxNorm));
            var factor = Tensor.Where(shrink, maxNorm / (norms + 1e-7), Tensor.Scalar(1.0, w.DType));
            weight.MulInPlace(factor.Unsqueeze(1));
        }
    }

    /// <summary>
    /// Positions [B, Lmax] into the 1-d input of each bag's entries (0 where a bag is shorter) and which are real,
    /// from offsets read on the host: they must start at 0, not decrease, and not pass the input's length.
    /// </summary>
    static (long[] Positions, bool[,] Valid) BagLayout(string op, Tensor offsets, int count, bool includeLastOffset)
    {
        if (offsets.Rank != 1 || !offsets.DType.IsInteger())
            throw Errors.Arg(op, $"offsets must be a 1-d int64 or int32 tensor, got {Errors.Describe(offsets)}.");
        var o = offsets.To(DType.Int64).ToArray<long>();
        if (includeLastOffset && o.Length == 0) throw Errors.Arg(op, "with includeLastOffset, offsets needs at least one entry (the end).");
        int bags = includeLastOffset ? o.Length - 1 : o.Length;
        if (o.Length > 0 && o[0] != 0) throw Errors.Arg(op, $"offsets must start at 0, got {o[0]}.");
        for (int i = 1; i < o.Length; i++)
            if (o[i] < o[i - 1]) throw Errors.Arg(op, $"offsets must not decrease, got {o[i - 1]} then {o[i]} at {i}.");
        if (o.Length > 0 && o[^1] > count) throw Errors.Arg(op, $"offsets must not pass the input's length {count}, got {o[^1]}.");
        long End(int b) => b + 1 < o.Length ? o[b + 1] : count;
        int longest = 0;
        for (int b = 0; b < bags; b++) longest = (int)Math.Max(longest, End(b) - o[b]);
        var positions = new long[bags * longest];
        var valid = new bool[bags, longest];
        for (int b = 0; b < bags; b++)
            for (int j = 0; j < End(b) - o[b]; j++)
                (positions[b * longest + j], valid[b, j]) = (o[b] + j, true);
        return (positions, valid);
    }
}
