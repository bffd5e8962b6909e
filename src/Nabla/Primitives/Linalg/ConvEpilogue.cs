using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// A convolution's GEMM and its epilogue as one op (made by the graph pass <c>EpilogueFusion</c>, never by user code):
/// z = w·cols + bias with w [O, K] (or [1, O, K]), cols [K, B·L] (or [1, K, B·L]), bias [O, 1] broadcast along each
/// row (a bias per output channel), as <c>Tensor.Conv2d</c> computes it. With <see cref="Images"/> the result is
/// act(z) in the conv's output layout [B, O, OH, OW] (L = OH·OW), the value eager code gets from the activation applied
/// to the reordering view z.Reshape(O, B, OH, OW).Permute(1, 0, 2, 3); without, it is z [O, B·L] itself (no activation).
/// Each step is its primitive's (the add keeps the traced operand order), so the CPU kernel, which runs the bias and the
/// activation on each image's block right after the GEMM makes it, gives eager's bits. Derivatives follow the steps'
/// own rules, written with Tensor ops.
/// </summary>
internal sealed class ConvEpilogue(bool biasFirst, EpilogueActivation activation, bool images, int batch, int outH, int outW) : Primitive
{
    public override string Name => "conv_epilogue";
    public override bool MayFailInReplay => false;   // products and their epilogues: total on every value

    /// <summary>Whether the traced bias add was bias + product (operand order matters only for NaN payloads).</summary>
    public bool BiasFirst => biasFirst;

    /// <summary>The activation after the bias (None unless <see cref="Images"/>).</summary>
    public EpilogueActivation Activation => activation;

    /// <summary>Whether the result is [B, O, OH, OW] (the activation of the reordered value) rather than z [O, B·L].</summary>
    public bool Images => images;

    /// <summary>B, the number of images (columns of cols are image-major: column b·L + position).</summary>
    public int Batch => batch;

    /// <summary>The output height.</summary>
    public int OutH => outH;

    /// <summary>The output width.</summary>
    public int OutW => outW;

    /// <summary>The activation's own primitive (null for None), a fresh instance.</summary>
    Primitive? ActivationPrimitive() => MatMulEpilogue.PrimitiveOf(activation);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (product, z, h) = Forward(x);
        var gz = ActivationPrimitive() is { } act ? act.Vjp(gy, [z], h, [true])[0]! : gy;
        var gRows = images ? gz.Permute(1, 0, 2, 3).Reshape(Rows(x), Columns(x)) : gz;
        var grads = new Tensor?[x.Length];
        if (needs[2]) grads[2] = gRows.Sum(1, keepDim: true);
        var gProduct = new MatMul().Vjp(gRows.Reshape(product.Shape.ToArray()), [x[0], x[1]], product, [needs[0], needs[1]]);
        (grads[0], grads[1]) = (gProduct[0], gProduct[1]);
        return grads;
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var (product, z, h) = Forward(x);
        var dRows = SumTangents(new MatMul().Jvp([dx[0], dx[1]], [x[0], x[1]], product)?.Reshape(Rows(x), Columns(x)),
            dx[2]?.Expand(Rows(x), Columns(x)));
        if (dRows is null || !images) return dRows;
        var dz = Reorder(dRows);
        return ActivationPrimitive() is { } act ? act.Jvp([dz], [z], h) : dz;
    }

    public override RefArray Reference(RefArray[] x)
    {
        var product = new MatMul().Reference([x[0], x[1]]);
        int o = x[0].Shape[^2], n = x[1].Shape[^1], l = outH * outW;
        var z = RefArray.Zeros(images ? [batch, o, outH, outW] : [o, n]);
        for (int r = 0; r < o; r++)
            for (int j = 0; j < n; j++)
                z.Data[images ? ((j / l) * o + r) * l + j % l : r * n + j] = product.Data[r * n + j] + x[2].Data[r];
        return ActivationPrimitive() is { } act ? act.Reference([z]) : z;
    }

    static int Rows(Tensor[] x) => x[0].Shape[x[0].Rank - 2];

    static int Columns(Tensor[] x) => x[1].Shape[x[1].Rank - 1];

    /// <summary>[O, B·L] as the view [B, O, OH, OW], as Tensor.Conv2d returns its output.</summary>
    Tensor Reorder(Tensor rows) => rows.Reshape(rows.Shape[0], batch, outH, outW).Permute(1, 0, 2, 3);

    /// <summary>The product, the biased value (reordered with <see cref="Images"/>) and the result, by ordinary Tensor ops.</summary>
    (Tensor Product, Tensor Z, Tensor H) Forward(Tensor[] x)
    {
        var product = x[0].MatMul(x[1]);
        var rows = product.Reshape(Rows(x), Columns(x));
        var z = biasFirst ? x[2] + rows : rows + x[2];
        if (!images) return (product, z, z);
        var reordered = Reorder(z);
        return (product, reordered, ActivationPrimitive() is { } act ? Dispatch.Call(act, reordered) : reordered);
    }
}
