namespace Nabla.NN;

/// <summary>
/// A lookup table (torch.nn.Embedding): integer indices (int64 or int32, any shape) pick rows of the
/// weight [num, dim], which starts as N(0, 1) samples. The gradient adds into the rows used.
/// </summary>
/// <example><code>
/// var emb = new Embedding(10, 3, seed: 0);
/// var v = emb.Call(Tensor.FromArray(new long[] { 1, 4, 4 }, [3]));   // [3, 3]
/// </code></example>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="numEmbeddings"/> vectors of size <paramref name="embeddingDim"/>.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, int? seed = null, DType dtype = DType.Float32)
    {
        if (numEmbeddings < 1 || embeddingDim < 1)
            throw Engine.Errors.Arg("Embedding", $"sizes must be positive, got {numEmbeddings} x {embeddingDim}.");
        Init.CheckDType("Embedding", dtype);
        (NumEmbeddings, EmbeddingDim) = (numEmbeddings, embeddingDim);
        Weight = RegisterParameter("weight", new Variable(Init.Normal([numEmbeddings, embeddingDim], dtype, seed, 0), name: "weight"));
    }

    /// <summary>Rows of the table.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The table [num, dim].</summary>
    public Variable Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Embedding(x, Weight);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{NumEmbeddings}, {EmbeddingDim}";
}
