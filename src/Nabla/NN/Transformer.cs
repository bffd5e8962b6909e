using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// A stack of encoder layers (torch.nn.TransformerEncoder): <c>layers.0</c>..<c>layers.{n-1}</c> and an optional final
/// <c>norm</c>. As PyTorch, the layers are copies of a template (<see cref="TransformerEncoderLayer.Clone"/>: same options,
/// same initial weights; with a seeded template each copy gets its own dropout stream); the other constructor builds each layer with a factory instead (e.g. a different seed each).
/// Deliberate difference: PyTorch's nested-tensor fast path (enable_nested_tensor) is not there; the results are the same.
/// </summary>
public sealed class TransformerEncoder : Module
{
    /// <summary>PyTorch's form: <paramref name="numLayers"/> copies of <paramref name="encoderLayer"/> (which is not registered itself).</summary>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, Module? norm = null)
        : this(i => (encoderLayer ?? throw new ArgumentNullException(nameof(encoderLayer))).CloneForStack(i), numLayers, norm) { }

    /// <summary>Layer i is <c>layerFactory(i)</c>.</summary>
    public TransformerEncoder(Func<int, TransformerEncoderLayer> layerFactory, int numLayers, Module? norm = null)
    {
        ArgumentNullException.ThrowIfNull(layerFactory);
        if (numLayers < 1) throw Errors.Arg("TransformerEncoder", $"numLayers must be positive, got {numLayers}.");
        Layers = RegisterModule("layers", new ModuleList(Enumerable.Range(0, numLayers).Select(i => (Module)layerFactory(i)).ToList()));
        if (norm is not null) Norm = RegisterModule("norm", norm);
    }

    /// <summary>The layers (each a <see cref="TransformerEncoderLayer"/>).</summary>
    public ModuleList Layers { get; }

    /// <summary>The final norm, or null.</summary>
    public Module? Norm { get; }

    /// <summary>Runs the stack with hooks; see <see cref="Forward(Tensor, Tensor?, Tensor?, bool)"/>.</summary>
    public Tensor Call(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false) =>
        Invoke([src, mask, srcKeyPaddingMask], a => Forward(a[0]!, a[1], a[2], isCausal));

    /// <summary>Passes <paramref name="src"/> through every layer with the same masks, then the norm.</summary>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        var x = src;
        foreach (var layer in Layers) x = ((TransformerEncoderLayer)layer).Call(x, mask, srcKeyPaddingMask, isCausal);
        return Norm is null ? x : Norm.Call(x);
    }
}

/// <summary>
/// A stack of decoder layers (torch.nn.TransformerDecoder): <c>layers.0</c>.. and an optional final <c>norm</c>; the layers
/// are copies of a template (<see cref="TransformerDecoderLayer.Clone"/>) or built by a factory.
/// </summary>
public sealed class TransformerDecoder : Module
{
    /// <summary>PyTorch's form: <paramref name="numLayers"/> copies of <paramref name="decoderLayer"/>.</summary>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, Module? norm = null)
        : this(i => (decoderLayer ?? throw new ArgumentNullException(nameof(decoderLayer))).CloneForStack(i), numLayers, norm) { }

    /// <summary>Layer i is <c>layerFactory(i)</c>.</summary>
    public TransformerDecoder(Func<int, TransformerDecoderLayer> layerFactory, int numLayers, Module? norm = null)
    {
        ArgumentNullException.ThrowIfNull(layerFactory);
        if (numLayers < 1) throw Errors.Arg("TransformerDecoder", $"numLayers must be positive, got {numLayers}.");
        Layers = RegisterModule("layers", new ModuleList(Enumerable.Range(0, numLayers).Select(i => (Module)layerFactory(i)).ToList()));
        if (norm is not null) Norm = RegisterModule("norm", norm);
    }

    /// <summary>The layers (each a <see cref="TransformerDecoderLayer"/>).</summary>
    public ModuleList Layers { get; }

    /// <summary>The final norm, or null.</summary>
    public Module? Norm { get; }

    /// <summary>Runs the stack with hooks; see <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/>.</summary>
    public Tensor Call(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        Invoke([tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask],
            a => Forward(a[0]!, a[1]!, a[2], a[3], a[4], a[5], tgtIsCausal, memoryIsCausal));

    /// <summary>Passes <paramref name="tgt"/> through every layer (each attending to <paramref name="memory"/>), then the norm.</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        var x = tgt;
        foreach (var layer in Layers)
            x = ((TransformerDecoderLayer)layer).Call(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
        return Norm is null ? x : Norm.Call(x);
    }
}

/// <summary>
/// The encoder-decoder transformer of "Attention Is All You Need" (torch.nn.Transformer): an <c>encoder</c>
/// (<see cref="TransformerEncoder"/> with a final LayerNorm <c>encoder.norm</c>) and a <c>decoder</c> (likewise), PyTorch's
/// defaults and parameter names, and its init (xavier_uniform_ on every parameter with more than one dim). Embeddings and the
/// output projection are the caller's, as in PyTorch.
/// </summary>
/// <example><code>
/// var model = new Transformer(dModel: 16, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32, batchFirst: true, seed: 0);
/// var y = model.Call(src, tgt, tgtMask: Transformer.GenerateSquareSubsequentMask(tgt.Shape[1]));   // [N, T, 16]
/// </code></example>
public sealed class Transformer : Module
{
    /// <summary>PyTorch's constructor and defaults; <paramref name="seed"/> seeds the initial weights and the dropout masks.</summary>
    public Transformer(int dModel = 512, int nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6, int dimFeedforward = 2048,
        double dropout = 0.1, TransformerActivation activation = TransformerActivation.Relu, double layerNormEps = 1e-5,
        bool batchFirst = false, bool normFirst = false, bool bias = true, int? seed = null, DType dtype = DType.Float32)
    {
        (DModel, NHead, BatchFirst) = (dModel, nhead, batchFirst);
        Encoder = RegisterModule("encoder", new TransformerEncoder(
            i => new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, Init.StreamSeed(seed, 100 + i), dtype),
            numEncoderLayers, new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias)));
        Decoder = RegisterModule("decoder", new TransformerDecoder(
            i => new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, Init.StreamSeed(seed, 200 + i), dtype),
            numDecoderLayers, new LayerNorm(dModel, layerNormEps, dtype: dtype, bias: bias)));
        int k = 0;
        foreach (var p in Parameters())
            if (p.Rank > 1) Init.XavierUniform(p, seed: Init.StreamSeed(seed, 1000 + k++));
    }

    /// <summary>The model size.</summary>
    public int DModel { get; }

    /// <summary>The number of attention heads.</summary>
    public int NHead { get; }

    /// <summary>Whether inputs are [N, T, E] (true) or [T, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>The encoder (<c>encoder</c>).</summary>
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder (<c>decoder</c>).</summary>
    public TransformerDecoder Decoder { get; }

    /// <summary>
    /// A causal mask for a sequence of <paramref name="size"/> (torch.nn.Transformer.generate_square_subsequent_mask): a
    /// floating [size, size] matrix, 0 on and below the diagonal, −∞ above it.
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(int size, DType dtype = DType.Float32)
    {
        if (size < 0) throw Errors.Arg("Transformer.GenerateSquareSubsequentMask", $"size must not be negative, got {size}.");
        if (!dtype.IsFloating()) throw Errors.Arg("Transformer.GenerateSquareSubsequentMask", $"the mask is added to scores: it needs a floating dtype, got {dtype.TorchName()}.");
        return Tensor.Zeros([size, size], dtype).MaskedFill(Tensor.Ones([size, size], DType.Bool).Triu(1), double.NegativeInfinity);
    }

    /// <summary>Runs the model with hooks; see <see cref="Forward"/>.</summary>
    public Tensor Call(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool srcIsCausal = false, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        Invoke([src, tgt, srcMask, tgtMask, memoryMask, srcKeyPaddingMask, tgtKeyPaddingMask, memoryKeyPaddingMask],
            a => Forward(a[0]!, a[1]!, a[2], a[3], a[4], a[5], a[6], a[7], srcIsCausal, tgtIsCausal, memoryIsCausal));

    /// <summary>
    /// Encodes <paramref name="src"/> [S, N, E] and decodes <paramref name="tgt"/> [T, N, E] against it (batch first: [N, S, E],
    /// [N, T, E]; unbatched without N), giving [T, N, E]. Masks as <see cref="MultiheadAttention"/>'s: srcMask [S, S], tgtMask
    /// [T, T], memoryMask [T, S], key padding masks [N, S] / [N, T] / [N, S].
    /// </summary>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool srcIsCausal = false, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(tgt);
        if (src.Rank != tgt.Rank || src.Rank is not (2 or 3) || (src.Rank == 3 && src.Shape[BatchFirst ? 0 : 1] != tgt.Shape[BatchFirst ? 0 : 1]))
            throw Errors.Arg("Transformer", $"src {Errors.Describe(src)} and tgt {Errors.Describe(tgt)} must both be 3-D with the same batch size (dim {(BatchFirst ? 0 : 1)}) or both 2-D (unbatched).");
        if (src.Shape[-1] != DModel || tgt.Shape[-1] != DModel)
            throw Errors.Arg("Transformer", $"the feature number (last dim) of src {Errors.Describe(src)} and tgt {Errors.Describe(tgt)} must equal dModel = {DModel}.");
        var memory = Encoder.Call(src, srcMask, srcKeyPaddingMask, srcIsCausal);
        return Decoder.Call(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
    }
}
