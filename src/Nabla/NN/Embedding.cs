namespace Nabla.NN;

/// <summary>
/// A lookup table (torch.nn.Embedding): integer indices (int64 or int32, any shape) pick rows of the
/// weight [num, dim], which starts as N(0, 1) samples. The gradient adds into the rows used. As PyTorch:
/// the <see cref="PaddingIdx"/> row starts as zeros and gets no gradient; <see cref="MaxNorm"/> rescales
/// looked-up rows in place to at most that norm before each lookup; <see cref="ScaleGradByFreq"/> divides
/// each row's gradient by its index's count in the batch.
/// </summary>
/// <example><code>
/// var emb = new Embedding(10, 3, paddingIdx: 0, seed: 0);
/// var v = emb.Call(Tensor.FromArray(new long[] { 1, 4, 0 }, [3]));   // [3, 3]; row 2 is zeros
/// </code></example>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="numEmbeddings"/> vectors of size <paramref name="embeddingDim"/> (PyTorch's options).</summary>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, double? maxNorm = null, double normType = 2,
        bool scaleGradByFreq = false, int? seed = null, DType dtype = DType.Float32)
    {
        _weight = RegisterParameter("weight", CreateTable("Embedding", numEmbeddings, embeddingDim, paddingIdx, seed, dtype));
        (NumEmbeddings, EmbeddingDim, MaxNorm, NormType, ScaleGradByFreq) = (numEmbeddings, embeddingDim, maxNorm, normType, scaleGradByFreq);
        PaddingIdx = paddingIdx is int p && p < 0 ? p + numEmbeddings : paddingIdx;
    }

    /// <summary>Rows of the table.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The padding row (made non-negative), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The largest norm a looked-up row may have, or null.</summary>
    public double? MaxNorm { get; }

    /// <summary>The p of the norm MaxNorm bounds.</summary>
    public double NormType { get; }

    /// <summary>Whether gradients are divided by each index's count in the batch.</summary>
    public bool ScaleGradByFreq { get; }

    /// <summary>
    /// The table [num, dim]. Setting it replaces the registered parameter (same shape and dtype), as PyTorch's
    /// <c>emb.weight = other</c> (weight tying, see <see cref="Linear.Weight"/>).
    /// </summary>
    public Variable Weight
    {
        get => _weight;
        set => _weight = ReplaceParameter("weight", value);
    }

    Variable _weight;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Embedding(x, Weight, PaddingIdx, MaxNorm, NormType, ScaleGradByFreq);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", paddingIdx={p}" : "") +
        (MaxNorm is double m ? $", maxNorm={m}" : "");

    /// <summary>An N(0, 1) table with the padding row zeroed (validated for <paramref name="op"/>).</summary>
    internal static Variable CreateTable(string op, int num, int dim, int? paddingIdx, int? seed, DType dtype)
    {
        if (num < 1 || dim < 1)
            throw Engine.Errors.Arg(op, $"sizes must be positive, got {num} x {dim}.");
        if (paddingIdx is int p && (p < -num || p >= num))
            throw Engine.Errors.Arg(op, $"paddingIdx {p} must be within the {num} embeddings (-{num}..{num - 1}).");
        Init.CheckDType(op, dtype);
        var table = Init.Normal([num, dim], dtype, seed, 0);
        if (paddingIdx is int q)
            using (Autograd.NoGrad()) table.Narrow(0, q < 0 ? q + num : q, 1).Zero();
        return new Variable(table, name: "weight");
    }
}
