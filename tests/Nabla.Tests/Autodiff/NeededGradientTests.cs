using Nabla.Primitives;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;

namespace Nabla.Tests.Autodiff;

/// <summary>
/// Backward tells each rule which inputs it must differentiate (Primitive.NeedsGrad), so MatMul skips the
/// GEMM for data that needs no gradient and binary ops skip products nobody reads. These tests check that the
/// mask is right (rules really return null where it says no) and that every way of asking for gradients
/// (Backward, Autograd.Grad of a subset, createGraph, tapes, nested backward) still gets exact values.
/// </summary>
public class NeededGradientTests
{
    static Tensor T(double[] v, params int[] shape) => Tensor.FromArray(v, shape);
    static Tensor G(double[] v, params int[] shape) => Tensor.FromArray(v, shape, requiresGrad: true);

    // A [2, 2]·[2, 2] product with hand-derived gradients of sum(a·b): ga = 1·bᵀ, gb = aᵀ·1.
    static readonly double[] A = [1, 2, 3, 4], B = [5, 6, 7, 8];
    static readonly double[] GradA = [11, 15, 11, 15], GradB = [4, 4, 6, 6];

    [Fact]
    public void RulesSkipInputsTheMaskRulesOut()
    {
        var a = T(A, 2, 2);
        var b = T(B, 2, 2);
        var gy = Tensor.Ones([2, 2], DType.Float64);
        bool[] onlyB = [false, true], onlyA = [true, false], both = [true, true];
        var g = new MatMul().Vjp(gy, [a, b], null!, onlyB);
        Assert.Null(g[0]);
        Assert.Equal(GradB, g[1]!.ToArray<double>());
        var m = new Mul().Vjp(gy, [a, b], null!, onlyB);
        Assert.Null(m[0]);
        Assert.Equal(A, m[1]!.ToArray<double>());
        g = new MatMul().Vjp(gy, [a, b], null!, onlyA);
        Assert.Equal(GradA, g[0]!.ToArray<double>());
        Assert.Null(g[1]);
        Assert.Null(new Sub().Vjp(gy, [a, b], null!, onlyA)[1]);
        Assert.Null(new Div().Vjp(gy, [a, b], a / b, onlyA)[1]);
        var all = new MatMul().Vjp(gy, [a, b], null!, both);
        Assert.NotNull(all[0]);
        Assert.NotNull(all[1]);
    }

    [Fact]
    public void BackwardWithDataThatNeedsNoGradient()
    {
        var a = T(A, 2, 2);                 // data: no gradient, so MatMul computes only gb
        var b = G(B, 2, 2);
        a.MatMul(b).Sum().Backward();
        Assert.Equal(GradB, b.Grad!.ToArray<double>());
        Assert.Null(a.Grad);

        var a2 = G(A, 2, 2);
        var b2 = T(B, 2, 2);
        (a2.MatMul(b2) - b2).Sum().Backward();
        Assert.Equal(GradA, a2.Grad!.ToArray<double>());
    }

    [Fact]
    public void GradOfASubsetAndOfEachInputInTurn()
    {
        var a = G(A, 2, 2);
        var b = G(B, 2, 2);
        var y = (a.MatMul(b) * b / a).Sum();     // d/db and d/da through all three binary rules
        var both = Autograd.Grad([y], [a, b], retainGraph: true);
        var onlyA = Autograd.Grad(y, a, retainGraph: true)!;
        var onlyB = Autograd.Grad(y, b)!;
        Assert.Equal(both[0]!.ToArray<double>(), onlyA.ToArray<double>());
        Assert.Equal(both[1]!.ToArray<double>(), onlyB.ToArray<double>());
        Assert.True(GradCheck.Check(t => (t[0].MatMul(t[1]) * t[1] / t[0]).Sum(), [T(A, 2, 2), T(B, 2, 2)]));
    }

    [Fact]
    public void SecondOrderThroughSkippedInputs()
    {
        // f = sum((a·b)²) with only a differentiated twice: the first pass (createGraph) skips gb, the second
        // must still reach a through ga = 2(a·b)·bᵀ. d/da sum(ga) = 2·1·(bbᵀ) summed rows, checked by finite differences.
        var b = T(B, 2, 2);
        Assert.True(GradCheck.CheckSecondOrder(t => { var p = t[0].MatMul(b); return (p * p).Sum(); }, [T(A, 2, 2)]));
        var a = G(A, 2, 2);
        var p = a.MatMul(b);
        var ga = Autograd.Grad((p * p).Sum(), a, createGraph: true)!;
        var gga = Autograd.Grad(ga.Sum(), a)!;
        // ga = 2·p·bᵀ, so Σ ga = 2·Σ_ij Σ_k a_ik b_kj Σ_l b_jl... = 2·Σ_k a_ik·(b·rowsum(bᵀ))_k; its gradient is
        // 2·(b·bᵀ·1)ᵀ per row: b·bᵀ = [[61, 83], [83, 113]], row sums 144 and 196.
        Assert.Equal([288.0, 392, 288, 392], gga.ToArray<double>());
    }

    [Fact]
    public void TapeWatchingOneOperand()
    {
        var a = T(A, 2, 2);
        var b = T(B, 2, 2);
        using var tape = new GradientTape();
        tape.Watch(b);
        var y = a.MatMul(b).Sum();
        Assert.Equal(GradB, tape.Gradient(y, b)!.ToArray<double>());
    }
}
