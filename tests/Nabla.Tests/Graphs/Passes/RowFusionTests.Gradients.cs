using Nabla.Engine;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Reduce;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>The fused_rows op built by hand: its kernel against its composite, its derivatives against eager code's and finite differences.</summary>
public partial class RowFusionTests
{
    /// <summary>softmax(x) as a program: max_row, sub, exp, sum_row, div.</summary>
    static FusedRows SoftmaxProgram(int[] rowShape) => new(rowShape, [true],
        [FusedStep.Add, FusedStep.Sub, FusedStep.Exp, FusedStep.Add, FusedStep.Div],
        [RowReduction.Max, RowReduction.None, RowReduction.None, RowReduction.Sum, RowReduction.None],
        [0, -1, 0, 1, 2, -1, 3, -1, 3, 4], new double[5]);

    /// <summary>(x - mean)/sqrt(var + c)·w with c a scalar (a cell) and w a vector (a row): inputs x, w, c, k = 1/n.</summary>
    static FusedRows LayerNormProgram(int[] rowShape) => new(rowShape, [true, true, false, false],
        [FusedStep.Add, FusedStep.Mul, FusedStep.Sub, FusedStep.Mul, FusedStep.Add, FusedStep.Mul, FusedStep.Add, FusedStep.Sqrt, FusedStep.Div, FusedStep.Mul],
        [RowReduction.Sum, RowReduction.None, RowReduction.None, RowReduction.None, RowReduction.Sum, RowReduction.None,
         RowReduction.None, RowReduction.None, RowReduction.None, RowReduction.None],
        [0, -1, 4, 3, 0, 5, 6, 6, 7, -1, 8, 3, 9, 2, 10, -1, 6, 11, 12, 1], new double[10]);

    static Tensor LayerNormEager(Tensor x, Tensor w, Tensor c, Tensor k)
    {
        var d = x - x.Sum(-1, keepDim: true) * k;
        return d / ((d * d).Sum(-1, keepDim: true) * k + c).Sqrt() * w;
    }

    [Fact]
    public void TheOpRunByItselfMatchesItsComposite()
    {
        var x = Data([7, 5], DType.Float64, 14);
        Assert.Equal(Bits(SoftmaxPrimitives(x)), Bits(Dispatch.Call(SoftmaxProgram([7, 5]), x)));
        var (w, c, k) = (Data([5], DType.Float64, 15), Tensor.Scalar(1e-3, DType.Float64), Tensor.Scalar(0.2, DType.Float64));
        Assert.Equal(Bits(LayerNormEager(x, w, c, k)), Bits(Dispatch.Call(LayerNormProgram([7, 5]), x, w, c, k)));
    }

    [Fact]
    public void GradientsFollowTheStepsRules()
    {
        var x = Data([3, 5], DType.Float64, 16);
        var v = Data([3, 5], DType.Float64, 17);
        var op = SoftmaxProgram([3, 5]);
        Tensor Fused(Tensor a) => Dispatch.Call(op, a);
        var (_, ge) = Autograd.Vjp(SoftmaxPrimitives, x, v);
        var (_, gf) = Autograd.Vjp(Fused, x, v);
        AssertClose(ge, gf, 1e-12);
        var (_, je) = Autograd.Jvp(SoftmaxPrimitives, x, v);
        var (_, jf) = Autograd.Jvp(Fused, x, v);
        AssertClose(je, jf, 1e-12);
        // Second order: a Hessian-vector product of sum(softmax(x)²·v).
        var (_, he) = Autograd.Hvp(a => (SoftmaxPrimitives(a).Square() * v).Sum(), x, v);
        var (_, hf) = Autograd.Hvp(a => (Fused(a).Square() * v).Sum(), x, v);
        AssertClose(he, hf, 1e-10);
        // Finite differences of the layer norm program, every input.
        var ln = LayerNormProgram([3, 5]);
        var inputs = new[] { x, Data([5], DType.Float64, 18), Tensor.Scalar(0.5, DType.Float64), Tensor.Scalar(0.2, DType.Float64) };
        var leaves = inputs.Select(Leaf).ToArray();
        var grads = Autograd.Grad([(Dispatch.Call(ln, leaves) * v).Sum()], leaves);
        for (int i = 0; i < inputs.Length; i++)
        {
            var flat = inputs[i].ToArray<double>();
            var g = grads[i]!.ToArray<double>();
            Assert.Equal(inputs[i].Shape.ToArray(), grads[i]!.Shape.ToArray());
            for (int j = 0; j < flat.Length; j++)
            {
                double Loss(double delta)
                {
                    var moved = (double[])flat.Clone();
                    moved[j] += delta;
                    var args = (Tensor[])inputs.Clone();
                    args[i] = Tensor.FromArray(moved, inputs[i].Shape.ToArray());
                    return (Dispatch.Call(ln, args) * v).Sum().Item<double>();
                }
                double fd = (Loss(1e-6) - Loss(-1e-6)) / 2e-6;
                Assert.True(Math.Abs(fd - g[j]) <= 1e-6 * (1 + Math.Abs(fd)), $"input {i}[{j}]: {g[j]} vs finite difference {fd}");
            }
        }
    }

    static Tensor Leaf(Tensor t)
    {
        var leaf = t.Detach();
        leaf.RequiresGrad = true;
        return leaf;
    }

    static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        var (e, a) = (expected.ToArray<double>(), actual.ToArray<double>());
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * (1 + Math.Abs(e[i])), $"[{i}]: {e[i]} vs {a[i]}");
    }
}
