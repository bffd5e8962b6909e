using F = Nabla.NN.Functional;
using Nabla.Primitives.Linalg;
using Nabla.Tests.Backends;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// The backward half of convolution epilogue fusion: a conv's input gradient folded per image after its GEMM
/// (matmul_fold) and relu's gradient mask written straight into the GEMM rows (relu_backward_rows): eager's bits, the
/// fused primitives' derivatives and references.
/// </summary>
public partial class ConvEpilogueTests
{
    public static TheoryData<int, int, int, int, int, int, DType> FoldCases() => new()
    {
        // (batch, channels, size, kernel, stride, padding, dtype): "same" convs take the flat fold, strided ones the row
        // loop; a 1x1 output (L = 1) falls back to one GEMM and fold.
        { 3, 4, 6, 3, 1, 1, DType.Float32 }, { 2, 3, 7, 3, 2, 0, DType.Float64 }, { 5, 2, 9, 5, 2, 2, DType.Float32 },
        { 2, 3, 3, 3, 1, 0, DType.Float32 }, { 40, 3, 8, 3, 1, 1, DType.Float64 },
    };

    [Theory]
    [MemberData(nameof(FoldCases))]
    public void TheInputGradientFoldedPerImageIsEagersBits(int batch, int channels, int size, int kernel, int stride, int padding, DType dtype)
    {
        var w = Data(1, [5, channels, kernel, kernel], dtype, requiresGrad: true);
        var x = Data(2, [batch, channels, size, size], dtype, requiresGrad: true);
        var gy = Data(3, F.Conv2d(x, w, stride: stride, padding: padding).Shape.ToArray(), dtype);
        // The input gradient of a conv, inside a compiled function (its backward is part of the graph).
        Tensor InputGradient(Tensor input, Tensor g) => Autograd.Grad([(F.Conv2d(input, w, stride: stride, padding: padding) * g).Sum()], [input])[0]!;
        var cf = Graph.Compile(InputGradient);
        foreach (int threads in new[] { 1, 2 })
            CpuState.WithThreads(threads, () =>
            {
                Assert.Equal(Bits(InputGradient(x, gy)), Bits(cf.Call(x, gy)));
                return 0;
            });
        Assert.Contains("= matmul_fold(", cf.GraphFor(x, gy));
        Assert.DoesNotContain("= fold(", cf.GraphFor(x, gy));
        if (dtype != DType.Float64) return;
        // The fused primitive's derivatives against finite differences and forward mode against reverse mode.
        var op = new MatMulFold(new Nabla.Primitives.Movement.Im2Col(2, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, RowsOuter: true));
        Tensor[] inputs = [Data(4, [1, 18, 3], dtype, true), Data(5, [1, 3, 2 * 16], dtype, true)];
        Assert.True(GradCheck.Check(xs => Nabla.Engine.Dispatch.Call(op, xs), inputs));
        var tangents = inputs.Select((t, i) => Data(10 + i, t.Shape.ToArray(), dtype)).ToArray();
        var weights = Data(20, [2, 2, 4, 4], dtype);
        var grads = Autograd.Grad([(Nabla.Engine.Dispatch.Call(op, inputs) * weights).Sum()], inputs);
        using var acc = new ForwardAccumulator(inputs, tangents);
        double forward = (acc.Jvp(Nabla.Engine.Dispatch.Call(op, inputs))! * weights).Sum().Item<double>();
        Assert.Equal(grads.Select((g, i) => (g! * tangents[i]).Sum().Item<double>()).Sum(), forward, 1e-10);
        var reference = op.Reference([.. inputs.Select(Nabla.Backends.Reference.RefArray.From)]);
        var got = Nabla.Engine.Dispatch.Call(op, inputs).ToArray<double>();
        for (int i = 0; i < got.Length; i++) Assert.Equal(reference.Data[i], got[i], 1e-12);
    }

    [Theory]
    [InlineData(1, DType.Float32, true)]
    [InlineData(2, DType.Float32, false)]
    [InlineData(2, DType.Float64, true)]
    public void ReluGradientRowsAreEagersBitsAndDerivatives(int threads, DType dtype, bool contiguous)
    {
        // g and r [B, O, OH, OW] = [3, 4, 5, 6]; r has exact zeros and a NaN (the mask's edge cases); 5,760 rows elements
        // with two threads, and a large case over the parallel threshold.
        foreach (var shape in new[] { new[] { 3, 4, 5, 6 }, new[] { 16, 8, 16, 16 } })
        {
            var g = contiguous ? Data(1, shape, dtype) : Data(1, [shape[1], shape[0], shape[2], shape[3]], dtype).Permute(1, 0, 2, 3);
            var rv = Data(2, shape, DType.Float64).Relu().ToArray<double>();
            rv[7] = double.NaN;
            var r = Tensor.FromArray(rv, shape).To(dtype);
            var op = new ReluBackwardRows();
            CpuState.WithThreads(threads, () =>
            {
                var eager = Nabla.Engine.Dispatch.Call(new Nabla.Primitives.Elementwise.ReluBackward(), g, r)
                    .Permute(1, 0, 2, 3).Reshape(shape[1], shape[0] * shape[2] * shape[3]);
                Assert.Equal(Bits(eager), Bits(Nabla.Engine.Dispatch.Call(op, g, r)));
                return 0;
            });
        }
        if (dtype != DType.Float64) return;
        var (gs, rs) = (Data(3, [2, 3, 2, 2], dtype, requiresGrad: true), Data(4, [2, 3, 2, 2], dtype));
        Assert.True(GradCheck.Check(xs => Nabla.Engine.Dispatch.Call(new ReluBackwardRows(), xs[0], rs), [gs]));
        var tangent = Data(5, [2, 3, 2, 2], dtype);
        var weights = Data(6, [3, 8], dtype);
        var grad = Autograd.Grad([(Nabla.Engine.Dispatch.Call(new ReluBackwardRows(), gs, rs) * weights).Sum()], [gs])[0]!;
        using var acc = new ForwardAccumulator([gs], [tangent]);
        double forward = (acc.Jvp(Nabla.Engine.Dispatch.Call(new ReluBackwardRows(), gs, rs))! * weights).Sum().Item<double>();
        Assert.Equal((grad * tangent).Sum().Item<double>(), forward, 1e-12);
    }
}
