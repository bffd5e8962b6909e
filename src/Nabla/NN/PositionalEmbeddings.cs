using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// The fixed sinusoidal position table of "Attention Is All You Need", added to a sequence of embeddings. Nabla's own layer
/// (PyTorch has none built in): PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)). The table is
/// computed (in float64, then cast) for the positions asked for, so there is no maximum length and nothing in the state dict
/// (no parameters, no buffers). <see cref="Module.Call(Tensor)"/> adds rows [0, T) to x; <see cref="Call(Tensor, int)"/>
/// starts at an offset (decoding step by step); <see cref="Table"/> returns the rows.
/// </summary>
/// <example><code>
/// var pe = new SinusoidalPositionalEmbedding(16);
/// var h = pe.Call(tokEmb.Call(ids));            // ids: [N, T] → [N, T, 16] plus positions 0..T-1
/// var step = pe.Call(nextEmb, offset: t);       // one new position t
/// </code></example>
public sealed class SinusoidalPositionalEmbedding : Module
{
    const string Op = "SinusoidalPositionalEmbedding";

    /// <summary>
    /// A table of width <paramref name="embeddingDim"/> (even). Inputs are [N, T, d] or [T, d] with <paramref name="batchFirst"/>
    /// (the default here, as most code using it), or [T, N, d] without.
    /// </summary>
    public SinusoidalPositionalEmbedding(int embeddingDim, bool batchFirst = true, double theBase = 10000)
    {
        if (embeddingDim < 2 || embeddingDim % 2 != 0)
            throw Errors.Arg(Op, $"embeddingDim must be a positive even number (sin and cos pairs), got {embeddingDim}.");
        if (!(theBase > 1) || !double.IsFinite(theBase)) throw Errors.Arg(Op, $"theBase must be finite and > 1, got {theBase}.");
        (EmbeddingDim, BatchFirst, Base) = (embeddingDim, batchFirst, theBase);
    }

    /// <summary>The width d.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Whether batched inputs are [N, T, d] (true) or [T, N, d].</summary>
    public bool BatchFirst { get; }

    /// <summary>The base of the wavelengths (10000).</summary>
    public double Base { get; }

    /// <summary>The rows for positions [<paramref name="offset"/>, offset + <paramref name="length"/>): [length, d].</summary>
    public Tensor Table(int length, int offset = 0, DType dtype = DType.Float32)
    {
        if (length < 0 || offset < 0) throw Errors.Arg(Op, $"length and offset must not be negative, got length = {length}, offset = {offset}.");
        var table = new double[length * EmbeddingDim];
        for (int t = 0; t < length; t++)
            for (int i = 0; i < EmbeddingDim / 2; i++)
            {
                double angle = (offset + t) / Math.Pow(Base, 2.0 * i / EmbeddingDim);
                table[t * EmbeddingDim + 2 * i] = Math.Sin(angle);
                table[t * EmbeddingDim + 2 * i + 1] = Math.Cos(angle);
            }
        return Tensor.FromArray(table, [length, EmbeddingDim]).To(dtype);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Forward(x, 0);

    /// <summary>Adds the positions [<paramref name="offset"/>, offset + T) to <paramref name="x"/>, with hooks.</summary>
    public Tensor Call(Tensor x, int offset) => Invoke([x], a => Forward(a[0]!, offset));

    /// <summary>x + the rows for positions [<paramref name="offset"/>, offset + T), T being x's sequence dim.</summary>
    public Tensor Forward(Tensor x, int offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (length, seqDim) = PositionalEmbeddingShapes.Check(Op, x, EmbeddingDim, BatchFirst);
        var table = Table(length, offset, x.DType).To(x.Device);
        return x + (seqDim == 0 && x.Rank == 3 ? table.Unsqueeze(1) : table);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{EmbeddingDim}";
}

/// <summary>
/// A learned table of position vectors, added to a sequence of embeddings (GPT's <c>wpe</c>). Nabla's own layer (PyTorch has
/// none built in; it is an <see cref="Embedding"/> over positions 0..maxLen-1): parameter <c>weight</c> [maxLen, d], N(0, 1)
/// at the start as Embedding's. Positions past <see cref="MaxLen"/> are an error.
/// </summary>
/// <example><code>
/// var wpe = new LearnedPositionalEmbedding(1024, 16, seed: 0);
/// var h = wpe.Call(tokEmb.Call(ids));   // [N, T, 16], T ≤ 1024
/// </code></example>
public sealed class LearnedPositionalEmbedding : Module
{
    const string Op = "LearnedPositionalEmbedding";

    /// <summary>Positions 0..<paramref name="maxLen"/>-1 of width <paramref name="embeddingDim"/>; inputs as <see cref="SinusoidalPositionalEmbedding"/>'s.</summary>
    public LearnedPositionalEmbedding(int maxLen, int embeddingDim, bool batchFirst = true, int? seed = null, DType dtype = DType.Float32)
    {
        Weight = RegisterParameter("weight", Embedding.CreateTable(Op, maxLen, embeddingDim, null, seed, dtype));
        (MaxLen, EmbeddingDim, BatchFirst) = (maxLen, embeddingDim, batchFirst);
    }

    /// <summary>The number of positions.</summary>
    public int MaxLen { get; }

    /// <summary>The width d.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Whether batched inputs are [N, T, d] (true) or [T, N, d].</summary>
    public bool BatchFirst { get; }

    /// <summary>The table [maxLen, d].</summary>
    public Variable Weight { get; }

    /// <summary>The rows for positions [<paramref name="offset"/>, offset + <paramref name="length"/>): [length, d] (differentiable).</summary>
    public Tensor Table(int length, int offset = 0)
    {
        if (length < 0 || offset < 0) throw Errors.Arg(Op, $"length and offset must not be negative, got length = {length}, offset = {offset}.");
        if ((long)offset + length > MaxLen)
            throw Errors.Arg(Op, $"positions {offset}..{offset + length - 1} go past maxLen = {MaxLen} (the table has rows 0..{MaxLen - 1}); build the layer with a larger maxLen or shorten the sequence.");
        return Weight.Narrow(0, offset, length);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Forward(x, 0);

    /// <summary>Adds the positions [<paramref name="offset"/>, offset + T) to <paramref name="x"/>, with hooks.</summary>
    public Tensor Call(Tensor x, int offset) => Invoke([x], a => Forward(a[0]!, offset));

    /// <summary>x + the rows for positions [<paramref name="offset"/>, offset + T), T being x's sequence dim.</summary>
    public Tensor Forward(Tensor x, int offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (length, seqDim) = PositionalEmbeddingShapes.Check(Op, x, EmbeddingDim, BatchFirst);
        if (x.DType != Weight.DType) throw Errors.Arg(Op, $"x {Errors.Describe(x)} must have the table's dtype {Weight.DType.TorchName()}.");
        var table = Table(length, offset);
        return x + (seqDim == 0 && x.Rank == 3 ? table.Unsqueeze(1) : table);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{MaxLen}, {EmbeddingDim}";
}

static class PositionalEmbeddingShapes
{
    /// <summary>The sequence length and dim of x ([N, T, d] / [T, N, d] / [T, d]), checked.</summary>
    public static (int Length, int SeqDim) Check(string op, Tensor x, int dim, bool batchFirst)
    {
        if (x.Rank is not (2 or 3) || x.Shape[-1] != dim || !x.DType.IsFloating())
            throw Errors.Arg(op, $"x must be floating {(batchFirst ? "[N, T, d]" : "[T, N, d]")} or [T, d] with d = {dim}, got {Errors.Describe(x)}.");
        int seqDim = x.Rank == 2 ? 0 : batchFirst ? 1 : 0;
        return (x.Shape[seqDim], seqDim);
    }
}
