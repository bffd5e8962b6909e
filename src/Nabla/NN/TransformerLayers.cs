using Nabla.Engine;

namespace Nabla.NN;

/// <summary>The feed-forward activation of a transformer layer (PyTorch's <c>activation="relu"</c> or <c>"gelu"</c>).</summary>
public enum TransformerActivation
{
    /// <summary>max(0, x) (the default).</summary>
    Relu,

    /// <summary>The exact (erf) GELU.</summary>
    Gelu,
}

/// <summary>
/// One encoder block (torch.nn.TransformerEncoderLayer): self-attention then a feed-forward network
/// <c>linear2(dropout(activation(linear1(x))))</c>, each with a residual connection and a LayerNorm, after the sum
/// (post-norm, PyTorch's default) or, with normFirst, before each block. Children under PyTorch's
/// names: <c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>, <c>dropout2</c>.
/// Dropout acts in training mode only; with a seed every dropout and every initial weight depends only on it.
/// </summary>
/// <example><code>
/// var layer = new TransformerEncoderLayer(16, 2, dimFeedforward: 32, batchFirst: true, seed: 0);
/// var y = layer.Call(x, srcKeyPaddingMask: pad);   // x: [N, T, 16]
/// </code></example>
public sealed class TransformerEncoderLayer : Module
{
    readonly Func<int?, TransformerEncoderLayer> _clone;
    readonly int? _seed;

    /// <summary>PyTorch's constructor (its defaults); <paramref name="seed"/> seeds the initial weights and the dropout masks.</summary>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1,
        TransformerActivation activation = TransformerActivation.Relu, double layerNormEps = 1e-5, bool batchFirst = false,
        bool normFirst = false, bool bias = true, int? seed = null, DType dtype = DType.Float32)
    {
        if (dimFeedforward < 1) throw Errors.Arg("TransformerEncoderLayer", $"dimFeedforward must be positive, got {dimFeedforward}.");
        (DModel, Activation, NormFirst, BatchFirst) = (dModel, activation, normFirst, batchFirst);
        _clone = s => new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, s, dtype);
        _seed = seed;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst, seed: Init.StreamSeed(seed, 0), dtype: dtype));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, Init.StreamSeed(seed, 1), dtype));
        DropoutFf = RegisterModule("dropout", new Dropout(dropout, Init.StreamSeed(seed, 2)));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, Init.StreamSeed(seed, 3), dtype));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout, Init.StreamSeed(seed, 4)));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout, Init.StreamSeed(seed, 5)));
    }

    /// <summary>The model size.</summary>
    public int DModel { get; }

    /// <summary>The feed-forward activation.</summary>
    public TransformerActivation Activation { get; }

    /// <summary>Whether the LayerNorms come before each block (pre-norm) instead of after the residual sum.</summary>
    public bool NormFirst { get; }

    /// <summary>Whether inputs are [N, T, E] (true) or [T, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>Self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The first feed-forward layer.</summary>
    public Linear Linear1 { get; }

    /// <summary>The dropout inside the feed-forward network (PyTorch's <c>dropout</c>).</summary>
    public Dropout DropoutFf { get; }

    /// <summary>The second feed-forward layer.</summary>
    public Linear Linear2 { get; }

    /// <summary>The norm of the attention block.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The norm of the feed-forward block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The dropout on the attention block's output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>The dropout on the feed-forward block's output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>
    /// A new layer with the same options and a copy of this one's parameters (PyTorch's <c>copy.deepcopy</c>, as
    /// <see cref="TransformerEncoder"/> does with its template).
    /// </summary>
    public TransformerEncoderLayer Clone() => CloneWithSeed(_seed);

    /// <summary>A copy for layer <paramref name="index"/> of a stack: the same parameters, its own dropout stream.</summary>
    internal TransformerEncoderLayer CloneForStack(int index) => CloneWithSeed(_seed is int s ? Init.StreamSeed(s, 1000 + index) : null);

    TransformerEncoderLayer CloneWithSeed(int? seed) => CopyStateInto(_clone(seed));

    /// <summary>Runs the layer with hooks; see <see cref="Forward(Tensor, Tensor?, Tensor?, bool)"/>.</summary>
    public Tensor Call(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false) =>
        Invoke([src, srcMask, srcKeyPaddingMask], a => Forward(a[0]!, a[1], a[2], isCausal));

    /// <summary>
    /// <paramref name="src"/> [T, N, E] ([N, T, E] batch first, [T, E] unbatched); <paramref name="srcMask"/> and
    /// <paramref name="srcKeyPaddingMask"/> as <see cref="MultiheadAttention"/>'s attnMask and keyPaddingMask (bool TRUE = not
    /// allowed); <paramref name="isCausal"/> makes the self-attention causal.
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Call(x), srcMask, srcKeyPaddingMask, isCausal);
            x = x + FeedForwardBlock(Norm2.Call(x));
        }
        else
        {
            x = Norm1.Call(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal));
            x = Norm2.Call(x + FeedForwardBlock(x));
        }
        return x;
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Call(SelfAttn.Call(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) =>
        Dropout2.Call(Linear2.Call(DropoutFf.Call(TransformerActivations.Apply(Activation, Linear1.Call(x)))));
}

/// <summary>
/// One decoder block (torch.nn.TransformerDecoderLayer): self-attention over the target, cross-attention to the encoder's
/// memory (<c>multihead_attn</c>) and a feed-forward network, each with a residual connection and a LayerNorm (post-norm,
/// or pre-norm with normFirst). Children under PyTorch's names: <c>self_attn</c>, <c>multihead_attn</c>,
/// <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>..<c>norm3</c>, <c>dropout1</c>..<c>dropout3</c>.
/// </summary>
/// <example><code>
/// var layer = new TransformerDecoderLayer(16, 2, dimFeedforward: 32, batchFirst: true, seed: 0);
/// var y = layer.Call(tgt, memory, tgtMask: Transformer.GenerateSquareSubsequentMask(tgt.Shape[1]));
/// </code></example>
public sealed class TransformerDecoderLayer : Module
{
    readonly Func<int?, TransformerDecoderLayer> _clone;
    readonly int? _seed;

    /// <summary>PyTorch's constructor (its defaults); <paramref name="seed"/> seeds the initial weights and the dropout masks.</summary>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1,
        TransformerActivation activation = TransformerActivation.Relu, double layerNormEps = 1e-5, bool batchFirst = false,
        bool normFirst = false, bool bias = true, int? seed = null, DType dtype = DType.Float32)
    {
        if (dimFeedforward < 1) throw Errors.Arg("TransformerDecoderLayer", $"dimFeedforward must be positive, got {dimFeedforward}.");
        (DModel, Activation, NormFirst, BatchFirst) = (dModel, activation, normFirst, batchFirst);
        _clone = s => new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, s, dtype);
        _seed = seed;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst, seed: Init.StreamSeed(seed, 0), dtype: dtype));
        MultiheadAttn = RegisterModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst, seed: Init.StreamSeed(seed, 1), dtype: dtype));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, Init.StreamSeed(seed, 2), dtype));
        DropoutFf = RegisterModule("dropout", new Dropout(dropout, Init.StreamSeed(seed, 3)));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, Init.StreamSeed(seed, 4), dtype));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias));
        Norm3 = RegisterModule("norm3", new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout, Init.StreamSeed(seed, 5)));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout, Init.StreamSeed(seed, 6)));
        Dropout3 = RegisterModule("dropout3", new Dropout(dropout, Init.StreamSeed(seed, 7)));
    }

    /// <summary>The model size.</summary>
    public int DModel { get; }

    /// <summary>The feed-forward activation.</summary>
    public TransformerActivation Activation { get; }

    /// <summary>Whether the LayerNorms come before each block (pre-norm).</summary>
    public bool NormFirst { get; }

    /// <summary>Whether inputs are [N, T, E] (true) or [T, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>Self-attention over the target (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>Cross-attention to the memory (<c>multihead_attn</c>).</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>The first feed-forward layer.</summary>
    public Linear Linear1 { get; }

    /// <summary>The dropout inside the feed-forward network (PyTorch's <c>dropout</c>).</summary>
    public Dropout DropoutFf { get; }

    /// <summary>The second feed-forward layer.</summary>
    public Linear Linear2 { get; }

    /// <summary>The norm of the self-attention block.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The norm of the cross-attention block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The norm of the feed-forward block.</summary>
    public LayerNorm Norm3 { get; }

    /// <summary>The dropout on the self-attention block's output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>The dropout on the cross-attention block's output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>The dropout on the feed-forward block's output.</summary>
    public Dropout Dropout3 { get; }

    /// <summary>A new layer with the same options and a copy of this one's parameters (PyTorch's <c>copy.deepcopy</c>).</summary>
    public TransformerDecoderLayer Clone() => CloneWithSeed(_seed);

    /// <summary>A copy for layer <paramref name="index"/> of a stack: the same parameters, its own dropout stream.</summary>
    internal TransformerDecoderLayer CloneForStack(int index) => CloneWithSeed(_seed is int s ? Init.StreamSeed(s, 1000 + index) : null);

    TransformerDecoderLayer CloneWithSeed(int? seed) => CopyStateInto(_clone(seed));

    /// <summary>Runs the layer with hooks; see <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/>.</summary>
    public Tensor Call(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        Invoke([tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask],
            a => Forward(a[0]!, a[1]!, a[2], a[3], a[4], a[5], tgtIsCausal, memoryIsCausal));

    /// <summary>
    /// <paramref name="tgt"/> [T, N, E] and <paramref name="memory"/> [S, N, E] (batch first: [N, T, E], [N, S, E]; unbatched
    /// without N). Masks as <see cref="MultiheadAttention"/>'s (bool TRUE = not allowed, or floating added): tgtMask [T, T] and
    /// tgtKeyPaddingMask [N, T] for the self-attention, memoryMask [T, S] and memoryKeyPaddingMask [N, S] for the cross-attention.
    /// </summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        ArgumentNullException.ThrowIfNull(memory);
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfBlock(Norm1.Call(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + CrossBlock(Norm2.Call(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            x = x + FeedForwardBlock(Norm3.Call(x));
        }
        else
        {
            x = Norm1.Call(x + SelfBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = Norm2.Call(x + CrossBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
            x = Norm3.Call(x + FeedForwardBlock(x));
        }
        return x;
    }

    Tensor SelfBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Call(SelfAttn.Call(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor CrossBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout2.Call(MultiheadAttn.Call(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) =>
        Dropout3.Call(Linear2.Call(DropoutFf.Call(TransformerActivations.Apply(Activation, Linear1.Call(x)))));
}

static class TransformerActivations
{
    public static Tensor Apply(TransformerActivation activation, Tensor x) => activation switch
    {
        TransformerActivation.Relu => x.Relu(),
        TransformerActivation.Gelu => x.Gelu(),
        _ => throw Errors.Arg("Transformer", $"unknown activation {activation}."),
    };
}
