using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Special;

namespace Nabla.Primitives.Linalg;

/// <summary>The activation a <see cref="MatMulEpilogue"/> applies after its bias.</summary>
internal enum EpilogueActivation { None, Relu, Gelu, Tanh, Sigmoid }

/// <summary>
/// y = act(a·b + bias) (+ residual): a 2-D matrix product whose output rows get a row-broadcast bias, optionally an
/// activation, optionally a residual of the output's shape added, as one op (made by the graph pass
/// <c>EpilogueFusion</c>, never by user code). Inputs: a [m, k], b [k, n], bias [1, n], and residual [m, n] when
/// <see cref="Residual"/> is not None. Each step is exactly its primitive (the adds keep the traced operand order), so
/// the CPU kernel, which runs them on each block of output rows right after the GEMM completes it, gives eager's bits.
/// Derivatives follow the steps' own rules, written with Tensor ops.
/// </summary>
internal sealed class MatMulEpilogue(bool biasFirst, EpilogueActivation activation, EpilogueResidual residual, bool reuseB = false) : Primitive
{
    public override string Name => "matmul_epilogue";
    public override bool MayFailInReplay => false;   // products and their epilogues: total on every value

    /// <summary>
    /// Whether b is a weight (a capture of the graph, or a view of one, never written by it) whose packed GEMM panels the
    /// CPU kernel keeps between calls, keyed on its storage and version, so a write or optimizer step repacks it.
    /// </summary>
    public bool ReuseB => reuseB;

    /// <summary>Whether the traced bias add was bias + product (operand order matters only for NaN payloads).</summary>
    public bool BiasFirst => biasFirst;

    /// <summary>The activation after the bias.</summary>
    public EpilogueActivation Activation => activation;

    /// <summary>Whether, and on which side, a residual is added last.</summary>
    public EpilogueResidual Residual => residual;

    /// <summary>The activation's own primitive (null for None), a fresh instance.</summary>
    public Primitive? ActivationPrimitive() => PrimitiveOf(activation);

    /// <summary>The primitive of <paramref name="activation"/> (null for None), a fresh instance.</summary>
    internal static Primitive? PrimitiveOf(EpilogueActivation activation) => activation switch
    {
        EpilogueActivation.None => null,
        EpilogueActivation.Relu => new Relu(),
        EpilogueActivation.Gelu => new Gelu(),
        EpilogueActivation.Tanh => new Tanh(),
        EpilogueActivation.Sigmoid => new Sigmoid(),
        _ => throw new InvalidOperationException($"internal: unknown epilogue activation {activation}"),
    };

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (product, z, h) = Forward(x);
        var grads = new Tensor?[x.Length];
        if (residual != EpilogueResidual.None && needs[3]) grads[3] = gy;
        var gz = ActivationPrimitive() is { } act ? act.Vjp(gy, [z], h, [true])[0]! : gy;
        if (needs[2]) grads[2] = gz.Sum(0, keepDim: true);
        var gProduct = new MatMul().Vjp(gz, [x[0], x[1]], product, [needs[0], needs[1]]);
        (grads[0], grads[1]) = (gProduct[0], gProduct[1]);
        return grads;
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var (product, z, h) = Forward(x);
        var dz = SumTangents(new MatMul().Jvp([dx[0], dx[1]], [x[0], x[1]], product), dx[2]?.Expand(z.Shape.ToArray()));
        var dh = dz is null ? null : ActivationPrimitive() is { } act ? act.Jvp([dz], [z], h) : dz;
        return residual == EpilogueResidual.None ? dh : SumTangents(dh, dx[3]);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var product = new MatMul().Reference([x[0], x[1]]);
        int n = product.Shape[1];
        var z = RefArray.Zeros(product.Shape);
        for (int i = 0; i < z.Count; i++) z.Data[i] = product.Data[i] + x[2].Data[i % n];
        var h = ActivationPrimitive() is { } act ? act.Reference([z]) : z;
        return residual == EpilogueResidual.None ? h : RefArray.Zip(h, x[3], (a, b) => a + b);
    }

    /// <summary>The product, the biased value and the activation's output, by ordinary Tensor ops (each step dispatched as its primitive).</summary>
    (Tensor Product, Tensor Z, Tensor H) Forward(Tensor[] x)
    {
        var product = x[0].MatMul(x[1]);
        var z = biasFirst ? x[2] + product : product + x[2];
        var h = ActivationPrimitive() is { } act ? Dispatch.Call(act, z) : z;
        return (product, z, h);
    }
}

/// <summary>Whether a <see cref="MatMulEpilogue"/> adds a residual last, and on which side of the add it sat when traced.</summary>
internal enum EpilogueResidual { None, After, Before }
