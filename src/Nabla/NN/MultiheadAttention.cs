using Nabla.Engine;

namespace Nabla.NN;

/// <summary>What <see cref="MultiheadAttention"/> returns: the attended output and, when asked for, the attention weights.</summary>
/// <param name="Output">[L, N, E] ([N, L, E] with batchFirst, [L, E] unbatched).</param>
/// <param name="Weights">[N, L, S] averaged over heads, or [N, heads, L, S] (unbatched: without N); null when needWeights is false.</param>
public readonly record struct MultiheadAttentionOutput(Tensor Output, Tensor? Weights) : IModuleOutputs<MultiheadAttentionOutput>
{
    /// <inheritdoc/>
    public IReadOnlyList<Tensor?> ToTensors() => [Output, Weights];

    /// <inheritdoc/>
    public static MultiheadAttentionOutput FromTensors(IReadOnlyList<Tensor?> tensors) => new(tensors[0]!, tensors[1]);
}

/// <summary>
/// Multi-head attention (torch.nn.MultiheadAttention): the query, key and value are projected, split into
/// <see cref="NumHeads"/> heads of <c>embedDim / numHeads</c>, attended with scaled dot products and the heads' outputs
/// joined and projected by <c>out_proj</c>. Parameters under PyTorch's names and shapes, so a PyTorch state dict loads:
/// <c>in_proj_weight</c> [3E, E] when kdim = vdim = E, else <c>q_proj_weight</c> [E, E], <c>k_proj_weight</c> [E, kdim],
/// <c>v_proj_weight</c> [E, vdim]; <c>in_proj_bias</c> [3E] (with bias); <c>bias_k</c>, <c>bias_v</c> [1, 1, E] (with
/// addBiasKv); the child Linear <c>out_proj</c>. PyTorch's init: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k/v.
/// Masks as PyTorch: a bool <c>keyPaddingMask</c> [N, S] or <c>attnMask</c> [L, S] / [N·heads, L, S] is TRUE where attention
/// is NOT allowed (the opposite of <see cref="Functional.ScaledDotProductAttention"/>'s bool mask); a floating mask is added to the
/// scores. Dropout (on the attention weights) acts in training mode only.
/// </summary>
/// <remarks>
/// Deliberate difference: PyTorch requires an attnMask with <c>isCausal</c> (a hint); here <c>isCausal</c> without attnMask
/// builds the causal mask (position i attends to keys 0..i), and with an attnMask the mask is used as given, as PyTorch.
/// With needWeights false (and no active dropout) the heads go through <see cref="Functional.ScaledDotProductAttention"/>.
/// </remarks>
/// <example><code>
/// var mha = new MultiheadAttention(16, 2, batchFirst: true, seed: 0);
/// var (y, w) = mha.Call(x, x, x);                                    // self-attention; w: [N, L, L]
/// var y2 = mha.Call(x, x, x, keyPaddingMask: pad, needWeights: false).Output;
/// </code></example>
public sealed class MultiheadAttention : Module
{
    const string Op = "MultiheadAttention";
    readonly Generator? _generator;

    /// <summary>PyTorch's constructor: <paramref name="kdim"/>/<paramref name="vdim"/> default to <paramref name="embedDim"/>.</summary>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true, bool addBiasKv = false,
        bool addZeroAttn = false, int? kdim = null, int? vdim = null, bool batchFirst = false, int? seed = null, DType dtype = DType.Float32)
    {
        if (embedDim < 1 || numHeads < 1)
            throw Errors.Arg(Op, $"embedDim and numHeads must be positive, got embedDim = {embedDim}, numHeads = {numHeads}.");
        if (embedDim % numHeads != 0)
            throw Errors.Arg(Op, $"embedDim ({embedDim}) must be divisible by numHeads ({numHeads}); each head gets embedDim / numHeads features.");
        if (!(dropout >= 0 && dropout < 1)) throw Errors.Arg(Op, $"dropout must be in [0, 1), got {dropout}.");
        if (kdim is < 1 || vdim is < 1) throw Errors.Arg(Op, $"kdim and vdim must be positive, got kdim = {kdim}, vdim = {vdim}.");
        Init.CheckDType(Op, dtype);
        (EmbedDim, NumHeads, Dropout, AddZeroAttn, BatchFirst) = (embedDim, numHeads, dropout, addZeroAttn, batchFirst);
        (KDim, VDim) = (kdim ?? embedDim, vdim ?? embedDim);
        HeadDim = embedDim / numHeads;
        _generator = seed is int s ? new Generator(Init.StreamSeed(s, 9)!.Value) : null;
        Variable Xavier(string name, int[] shape, int stream)
        {
            var t = Tensor.Zeros(shape, dtype);
            Init.XavierUniform(t, seed: Init.StreamSeed(seed, stream));
            return RegisterParameter(name, new Variable(t, name: name));
        }
        if (QkvSameEmbedDim) InProjWeight = Xavier("in_proj_weight", [3 * embedDim, embedDim], 0);
        else
        {
            QProjWeight = Xavier("q_proj_weight", [embedDim, embedDim], 1);
            KProjWeight = Xavier("k_proj_weight", [embedDim, KDim], 2);
            VProjWeight = Xavier("v_proj_weight", [embedDim, VDim], 3);
        }
        if (bias) InProjBias = RegisterParameter("in_proj_bias", new Variable(Tensor.Zeros([3 * embedDim], dtype), name: "in_proj_bias"));
        if (addBiasKv)
        {
            var bk = Tensor.Zeros([1, 1, embedDim], dtype);
            var bv = Tensor.Zeros([1, 1, embedDim], dtype);
            Init.XavierNormal(bk, seed: Init.StreamSeed(seed, 4));
            Init.XavierNormal(bv, seed: Init.StreamSeed(seed, 5));
            BiasK = RegisterParameter("bias_k", new Variable(bk, name: "bias_k"));
            BiasV = RegisterParameter("bias_v", new Variable(bv, name: "bias_v"));
        }
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, Init.StreamSeed(seed, 6), dtype));
        if (OutProj.Bias is { } ob) Init.Zeros(ob);
    }

    /// <summary>E, the model (query and output) size.</summary>
    public int EmbedDim { get; }

    /// <summary>The key's feature size (E unless given).</summary>
    public int KDim { get; }

    /// <summary>The value's feature size (E unless given).</summary>
    public int VDim { get; }

    /// <summary>The number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>Features per head, E / heads.</summary>
    public int HeadDim { get; }

    /// <summary>The dropout probability on the attention weights (training only).</summary>
    public double Dropout { get; }

    /// <summary>Whether a zero key and value are appended (add_zero_attn).</summary>
    public bool AddZeroAttn { get; }

    /// <summary>Whether batched inputs are [N, L, E] (true) or [L, N, E] (false, PyTorch's default).</summary>
    public bool BatchFirst { get; }

    /// <summary>True when kdim = vdim = E: one packed <see cref="InProjWeight"/>.</summary>
    public bool QkvSameEmbedDim => KDim == EmbedDim && VDim == EmbedDim;

    /// <summary>The packed query/key/value projection [3E, E] (null when kdim or vdim differ from E).</summary>
    public Variable? InProjWeight { get; }

    /// <summary>The query projection [E, E] when kdim or vdim differ from E, else null.</summary>
    public Variable? QProjWeight { get; }

    /// <summary>The key projection [E, kdim] when kdim or vdim differ from E, else null.</summary>
    public Variable? KProjWeight { get; }

    /// <summary>The value projection [E, vdim] when kdim or vdim differ from E, else null.</summary>
    public Variable? VProjWeight { get; }

    /// <summary>The packed projection bias [3E] (null without bias).</summary>
    public Variable? InProjBias { get; }

    /// <summary>A learned key appended to the keys, [1, 1, E] (null without addBiasKv).</summary>
    public Variable? BiasK { get; }

    /// <summary>A learned value appended to the values, [1, 1, E] (null without addBiasKv).</summary>
    public Variable? BiasV { get; }

    /// <summary>The output projection (E → E).</summary>
    public Linear OutProj { get; }

    /// <summary>
    /// Runs the attention with hooks (see <see cref="Forward(Tensor, Tensor, Tensor, Tensor?, bool, Tensor?, bool, bool)"/>).
    /// Deconstruct the result: <c>var (y, w) = mha.Call(q, k, v);</c>.
    /// </summary>
    public MultiheadAttentionOutput Call(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false) =>
        Invoke([query, key, value, keyPaddingMask, attnMask],
            a => Forward(a[0]!, a[1]!, a[2]!, a[3], needWeights, a[4], averageAttnWeights, isCausal));

    /// <summary>
    /// query [L, N, E], key [S, N, kdim], value [S, N, vdim] (batch first: [N, L, E], ...; unbatched: [L, E], [S, kdim],
    /// [S, vdim]). <paramref name="keyPaddingMask"/> [N, S] ([S] unbatched), <paramref name="attnMask"/> [L, S] or
    /// [N·heads, L, S] ([heads, L, S] unbatched): bool TRUE = not allowed, or floating (added). With
    /// <paramref name="needWeights"/> the attention weights come back too, averaged over heads unless
    /// <paramref name="averageAttnWeights"/> is false.
    /// </summary>
    public MultiheadAttentionOutput Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        string shapes = $"query {Errors.Describe(query)}, key {Errors.Describe(key)}, value {Errors.Describe(value)}";
        if (query.Rank is not (2 or 3) || key.Rank != query.Rank || value.Rank != query.Rank)
            throw Errors.Arg(Op, $"query, key and value must all be 3-D (batched) or all 2-D (unbatched), got {shapes}.");
        var dtype = OutProj.Weight.DType;
        if (query.DType != dtype || key.DType != dtype || value.DType != dtype)
            throw Errors.Arg(Op, $"query, key and value must have the module's dtype {dtype.TorchName()}, got {query.DType.TorchName()}, {key.DType.TorchName()}, {value.DType.TorchName()}.");
        bool batched = query.Rank == 3;
        // Internally batch first: [N, L, E].
        Tensor ToInternal(Tensor t) => !batched ? t.Unsqueeze(0) : BatchFirst ? t : t.Transpose(0, 1);
        Tensor q = ToInternal(query), k = ToInternal(key), v = ToInternal(value);
        int n = q.Shape[0], l = q.Shape[1], s = k.Shape[1], e = EmbedDim, h = NumHeads, hd = HeadDim;
        if (q.Shape[2] != e) throw Errors.Arg(Op, $"the query's last dim must be embedDim = {e}, got {shapes}.");
        if (k.Shape[2] != KDim) throw Errors.Arg(Op, $"the key's last dim must be kdim = {KDim}, got {shapes}.");
        if (v.Shape[2] != VDim) throw Errors.Arg(Op, $"the value's last dim must be vdim = {VDim}, got {shapes}.");
        if (v.Shape[1] != s) throw Errors.Arg(Op, $"key and value must have the same number of positions (S), got {shapes}.");
        if (k.Shape[0] != n || v.Shape[0] != n) throw Errors.Arg(Op, $"query, key and value must have the same batch size, got {shapes}{(BatchFirst ? " (batchFirst: dim 0 is the batch)" : " (dim 1 is the batch; pass batchFirst: true for [N, L, E])")}.");

        bool dropping = IsTraining && Dropout > 0;
        // One additive mask broadcastable to [N, heads, L, S].
        Tensor? mask = null;
        if (attnMask is { } am)
        {
            int[] want2 = [l, s], want3 = batched ? [n * h, l, s] : [h, l, s];
            if (am.Rank == 2 && am.Shape.SequenceEqual(want2)) mask = Additive(am, dtype, "attnMask").Reshape(1, 1, l, s);
            else if (am.Rank == 3 && am.Shape.SequenceEqual(want3)) mask = Additive(am, dtype, "attnMask").Reshape(n, h, l, s);
            else throw Errors.Arg(Op, $"attnMask must be [L, S] = {Shape.Format(want2)} or [{(batched ? "N·heads" : "heads")}, L, S] = {Shape.Format(want3)}, got {Errors.Describe(am)}.");
        }
        else if (isCausal && (needWeights || dropping || keyPaddingMask is not null || BiasK is not null || AddZeroAttn))
            mask = Tensor.Zeros([l, s], dtype, device: q.Device).MaskedFill(Tensor.Ones([l, s], DType.Bool, device: q.Device).Triu(1), double.NegativeInfinity).Reshape(1, 1, l, s);
        if (keyPaddingMask is { } kpm)
        {
            int[] want = batched ? [n, s] : [s];
            if (!kpm.Shape.SequenceEqual(want))
                throw Errors.Arg(Op, $"keyPaddingMask must be {(batched ? "[N, S]" : "[S]")} = {Shape.Format(want)}, got {Errors.Describe(kpm)}.");
            var add = Additive(kpm, dtype, "keyPaddingMask").Reshape(n, 1, 1, s);
            mask = mask is null ? add : mask + add;
        }
        bool causalToSdpa = isCausal && attnMask is null && mask is null;

        // Projections.
        Tensor? bias = InProjBias;
        Tensor Proj(Tensor x, int i, Variable? separate) =>
            Functional.Linear(x, separate ?? InProjWeight!.Narrow(0, i * e, e), bias?.Narrow(0, i * e, e));
        q = Proj(q, 0, QProjWeight);
        k = Proj(k, 1, KProjWeight);
        v = Proj(v, 2, VProjWeight);
        if (BiasK is { } bk && BiasV is { } bv)
        {
            k = Tensor.Concat([k, bk.Expand(n, 1, e)], 1);
            v = Tensor.Concat([v, bv.Expand(n, 1, e)], 1);
            mask = mask?.Pad(0, 1);
            s++;
        }
        q = q.Reshape(n, l, h, hd).Transpose(1, 2);   // [N, heads, L, hd]
        k = k.Reshape(n, s, h, hd).Transpose(1, 2);
        v = v.Reshape(n, s, h, hd).Transpose(1, 2);
        if (AddZeroAttn)
        {
            k = Tensor.Concat([k, Tensor.Zeros([n, h, 1, hd], dtype, device: k.Device)], 2);
            v = Tensor.Concat([v, Tensor.Zeros([n, h, 1, hd], dtype, device: v.Device)], 2);
            mask = mask?.Pad(0, 1);
            s++;
        }

        Tensor attended;
        Tensor? weights = null;
        if (needWeights || dropping)
        {
            var scores = (q * Math.Sqrt(1.0 / hd)).MatMul(k.Transpose(-2, -1));
            if (mask is not null) scores = scores + mask;
            weights = scores.Softmax(-1);
            if (dropping) weights = Functional.Dropout(weights, Dropout, training: true, _generator);
            attended = weights.MatMul(v);
        }
        else attended = Functional.ScaledDotProductAttention(q, k, v, mask, isCausal: causalToSdpa);
        var output = OutProj.Call(attended.Transpose(1, 2).Reshape(n, l, e));
        output = !batched ? output.Squeeze(0) : BatchFirst ? output : output.Transpose(0, 1);
        if (!needWeights) return new MultiheadAttentionOutput(output, null);
        if (averageAttnWeights) weights = weights!.Mean(1);
        if (!batched) weights = weights!.Squeeze(0);
        return new MultiheadAttentionOutput(output, weights);
    }

    /// <summary>A PyTorch mask as an additive one: bool true → −∞ (not allowed), false → 0; a floating mask as is.</summary>
    internal static Tensor Additive(Tensor mask, DType dtype, string what)
    {
        if (mask.DType == DType.Bool)
            return Tensor.Zeros(mask.Shape.ToArray(), dtype, device: mask.Device).MaskedFill(mask, double.NegativeInfinity);
        if (mask.DType == dtype) return mask;
        throw Errors.Arg(Op, $"{what} must be bool (true = not allowed) or {dtype.TorchName()} (added to the scores), got {Errors.Describe(mask)}.");
    }

    /// <inheritdoc/>
    protected override string ExtraRepr => $"embed_dim={EmbedDim}, num_heads={NumHeads}" + (Dropout > 0 ? $", dropout={Dropout}" : "") +
        (BatchFirst ? ", batch_first=True" : "");
}
