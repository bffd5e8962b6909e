namespace Nabla.NN;

/// <summary>
/// Bags of embeddings reduced by sum, mean or max (torch.nn.EmbeddingBag): <see cref="Functional.EmbeddingBag"/> with
/// this module's table [num, dim] (N(0, 1) samples; the <see cref="PaddingIdx"/> row zeros).
/// </summary>
/// <example><code>
/// var bag = new EmbeddingBag(10, 3, mode: EmbeddingBagMode.Sum, seed: 0);
/// var two = bag.Forward(Tensor.FromArray(new long[] { 1, 2, 4, 5, 4 }, [5]), Tensor.FromArray(new long[] { 0, 2 }, [2]));   // [2, 3]
/// </code></example>
public sealed class EmbeddingBag : Module
{
    /// <summary>A table of <paramref name="numEmbeddings"/> vectors of size <paramref name="embeddingDim"/> (PyTorch's options).</summary>
    public EmbeddingBag(int numEmbeddings, int embeddingDim, double? maxNorm = null, double normType = 2, EmbeddingBagMode mode = EmbeddingBagMode.Mean,
        bool includeLastOffset = false, int? paddingIdx = null, int? seed = null, DType dtype = DType.Float32)
    {
        Weight = RegisterParameter("weight", Embedding.CreateTable("EmbeddingBag", numEmbeddings, embeddingDim, paddingIdx, seed, dtype));
        (NumEmbeddings, EmbeddingDim, MaxNorm, NormType, Mode, IncludeLastOffset) = (numEmbeddings, embeddingDim, maxNorm, normType, mode, includeLastOffset);
        PaddingIdx = paddingIdx is int p && p < 0 ? p + numEmbeddings : paddingIdx;
    }

    /// <summary>Rows of the table.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The largest norm a looked-up row may have, or null.</summary>
    public double? MaxNorm { get; }

    /// <summary>The p of the norm MaxNorm bounds.</summary>
    public double NormType { get; }

    /// <summary>How a bag's rows combine.</summary>
    public EmbeddingBagMode Mode { get; }

    /// <summary>Whether offsets carry a last entry that ends the last bag.</summary>
    public bool IncludeLastOffset { get; }

    /// <summary>The padding row (made non-negative), or null: its entries are left out of bags.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table [num, dim].</summary>
    public Variable Weight { get; }

    /// <summary>Bags as the rows of a 2-d input [B, L].</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>Bags of a 1-d input starting at <paramref name="offsets"/> (or the rows of a 2-d input when offsets is null).</summary>
    public Tensor Forward(Tensor input, Tensor? offsets, Tensor? perSampleWeights = null) =>
        Functional.EmbeddingBag(input, Weight, offsets, Mode, perSampleWeights, IncludeLastOffset, PaddingIdx, MaxNorm, NormType);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{NumEmbeddings}, {EmbeddingDim}, mode={Mode}" + (PaddingIdx is int p ? $", paddingIdx={p}" : "");
}
