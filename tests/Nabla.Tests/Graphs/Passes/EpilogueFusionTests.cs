using F = Nabla.NN.Functional;
using Nabla.Primitives.Linalg;
using Nabla.Tests.Backends;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Epilogue fusion: a 2-D MatMul + row-broadcast bias (+ relu/gelu/tanh/sigmoid) (+ residual) becomes one
/// matmul_epilogue op whose GEMM applies the epilogue to each block of output rows; results are eager code's bits
/// (float32 and float64, widths below and above the per-row-unit threshold, 1 and 2 threads); what must stay as
/// traced (a training forward, an internal value that is a result), stays; the op's derivatives match finite
/// differences; a saved graph keeps the fused op.
/// </summary>
[Collection(CpuStateCollection.Name)]
public class EpilogueFusionTests
{
    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    static Tensor Data(int seed, int[] shape, DType dtype, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        int count = shape.Aggregate(1, (a, b) => a * b);
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = rng.NextDouble() * 4 - 2;
        var t = Tensor.FromArray(values, shape).To(dtype);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    static readonly Func<Tensor, Tensor>[] Activations = [h => h, h => h.Relu(), h => h.Gelu(), h => h.Tanh(), h => h.Sigmoid()];

    public static TheoryData<int, int, int, int, DType> Cases()
    {
        var data = new TheoryData<int, int, int, int, DType>();
        foreach (var (m, k, n) in new[] { (1, 7, 5), (5, 3, 63), (7, 33, 64), (13, 20, 65), (130, 97, 130), (300, 200, 96), (50, 800, 96), (6, 0, 70) })
            for (int act = 0; act < Activations.Length; act++)
                data.Add(m, k, n, act, (m + act) % 3 == 0 ? DType.Float64 : DType.Float32);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LinearBiasActivationResidualIsEagersBits(int m, int k, int n, int act, DType dtype)
    {
        // Parameters that require grad, as a model's, in an inference call (grad off).
        var w = Data(1, [n, k], dtype, requiresGrad: true);
        var b = Data(2, [n], dtype, requiresGrad: true);
        var activation = Activations[act];
        Tensor Plain(Tensor x) => activation(F.Linear(x, w, b));
        Tensor Residual(Tensor x, Tensor r) => activation(F.Linear(x, w, b)) + r;
        Tensor ResidualFirst(Tensor x, Tensor r) => r + activation(b + x.MatMul(w.T));
        using var noGrad = Autograd.NoGrad();
        var plain = Graph.Compile(Plain);
        var residual = Graph.Compile(Residual);
        var residualFirst = Graph.Compile(ResidualFirst);
        foreach (int threads in new[] { 1, 2 })
            for (int call = 0; call < 2; call++)
            {
                var x = Data(10 + call, [m, k], dtype);
                var r = Data(20 + call, [m, n], dtype);
                CpuState.WithThreads(threads, () =>
                {
                    Assert.Equal(Bits(Plain(x)), Bits(plain.Call(x)));
                    Assert.Equal(Bits(Residual(x, r)), Bits(residual.Call(x, r)));
                    Assert.Equal(Bits(ResidualFirst(x, r)), Bits(residualFirst.Call(x, r)));
                    return 0;
                });
            }
        var probe = Data(0, [m, k], dtype);
        Assert.Contains("matmul_epilogue", plain.GraphFor(probe));
        Assert.Contains("matmul_epilogue", residual.GraphFor(probe, Data(0, [m, n], dtype)));
        Assert.DoesNotContain("= add(", residual.GraphFor(probe, Data(0, [m, n], dtype)));
    }

    [Fact]
    public void LinearReluBecomesOneOpAndTheBroadcastIsGone()
    {
        var w = Tensor.FromArray(new float[] { 1, -1, 0.5f, 2, 0, -3 }, [3, 2], requiresGrad: true);
        var b = Tensor.FromArray(new float[] { 0.5f, 1, 7 }, [3], requiresGrad: true);
        Tensor LinearRelu(Tensor x) => F.Linear(x, w, b).Relu();
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile(LinearRelu);
        var x = Tensor.FromArray(new float[] { 1, 2, -1, 0.25f }, [2, 2]);
        // Hand values: x·Wᵀ = [[-1, 4.5, -6], [-1.25, 0, -0.75]], + b = [[-0.5, 5.5, 1], [-0.75, 1, 6.25]], then relu.
        Assert.Equal(new float[] { 0, 5.5f, 1, 0, 1, 6.25f }, cf.Call(x).ToArray<float>());
        Assert.Equal("""
            graph LinearReluBecomesOneOpAndTheBroadcastIsGone (lambda)(%0 x: [2, 2] float32)
              %1 = capture tensor : [3, 2] float32
              %4 = capture tensor : [3] float32
              %2 = permute(%1) : [2, 3] float32 [no_grad]
              %3 = matmul(%0, %2) : [2, 3] float32 [no_grad]
              %5 = reshape(%4) : [1, 3] float32 [no_grad]
              %6 = expand(%5) : [2, 3] float32 [no_grad]
              %7 = add(%3, %6) : [2, 3] float32 [no_grad]
              %8 = relu(%7) : [2, 3] float32 [no_grad]
              return %8

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph LinearReluBecomesOneOpAndTheBroadcastIsGone (lambda)(%0 x: [2, 2] float32)
              %1 = capture tensor : [3, 2] float32
              %4 = capture tensor : [3] float32
              %2 = permute(%1) : [2, 3] float32 [no_grad]
              %5 = reshape(%4) : [1, 3] float32 [no_grad]
              %8 = matmul_epilogue(%0, %2, %5) : [2, 3] float32 [no_grad]
              return %8

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("epilogue: fused 1 matmul(s) with their epilogue: [matmul bias relu]", cf.Explain());
    }

    [Fact]
    public void ATrainingForwardIsNotFusedAndGradientsAreEagers()
    {
        var w = Data(1, [8, 6], DType.Float32, requiresGrad: true);
        var b = Data(2, [8], DType.Float32, requiresGrad: true);
        Tensor Loss(Tensor x) => F.Linear(x, w, b).Tanh().Sum();
        var cf = Graph.Compile(Loss);
        var x = Data(3, [5, 6], DType.Float32);
        var eager = Autograd.Grad([Loss(x)], [w, b]);
        var compiled = Autograd.Grad([cf.Call(x)], [w, b]);
        Assert.Equal(Bits(eager[0]!), Bits(compiled[0]!));
        Assert.Equal(Bits(eager[1]!), Bits(compiled[1]!));
        Assert.DoesNotContain("matmul_epilogue", cf.GraphFor(x));
    }

    [Fact]
    public void AnInternalValueThatIsAResultStays()
    {
        var w = Data(1, [70, 6], DType.Float32);
        var b = Data(2, [70], DType.Float32);
        (Tensor, Tensor) Both(Tensor x) { var z = F.Linear(x, w, b); return (z, z.Relu()); }
        var cf = Graph.Compile((Tensor[] xs) => { var (z, h) = Both(xs[0]); return new[] { z, h }; });
        var x = Data(3, [9, 6], DType.Float32);
        var got = cf.Call([x]);
        var (ze, he) = Both(x);
        Assert.Equal(Bits(ze), Bits(got[0]));
        Assert.Equal(Bits(he), Bits(got[1]));
        // The biased value is a result, so only matmul + bias fuse; relu stays its own op.
        var text = cf.GraphFor([x]);
        Assert.Contains("matmul_epilogue", text);
        Assert.Contains("= relu(", text);
    }

    [Fact]
    public void SwitchedOffTheOpsStay()
    {
        var w = Data(1, [70, 6], DType.Float32);
        var b = Data(2, [70], DType.Float32);
        Tensor Layer(Tensor x) => F.Linear(x, w, b).Relu();
        var cf = Graph.Compile(Layer, new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Epilogues });
        var x = Data(3, [9, 6], DType.Float32);
        Assert.Equal(Bits(Layer(x)), Bits(cf.Call(x)));
        Assert.DoesNotContain("matmul_epilogue", cf.GraphFor(x));
        Assert.DoesNotContain("epilogue:", cf.Explain());
    }

    [Fact]
    public void AStridedResidualAtRunTimeIsAddedApartWithTheSameBits()
    {
        var w = Data(1, [70, 6], DType.Float32);
        var b = Data(2, [70], DType.Float32);
        Tensor Block(Tensor x, Tensor r) => F.Linear(x, w, b).Sigmoid() + r;
        var cf = Graph.Compile(Block);
        var x = Data(3, [9, 6], DType.Float32);
        Assert.Equal(Bits(Block(x, Data(4, [9, 70], DType.Float32))), Bits(cf.Call(x, Data(4, [9, 70], DType.Float32))));
        var rt = Data(5, [70, 9], DType.Float32).T;
        Assert.False(rt.IsContiguous);
        Assert.Equal(Bits(Block(x, rt)), Bits(cf.Call(x, rt)));
        Assert.Contains("matmul_epilogue", cf.GraphFor(x, Data(4, [9, 70], DType.Float32)));
    }

    [Fact]
    public void ASavedAndLoadedGraphKeepsTheFusedOpAndItsBits()
    {
        var w = Data(1, [96, 40], DType.Float64);
        var b = Data(2, [96], DType.Float64);
        static Tensor Layer(Tensor x, Tensor w, Tensor b) => F.Linear(x, w, b).Gelu();
        var cf = Graph.Compile(Layer);
        var x = Data(3, [17, 40], DType.Float64);
        cf.Call(x, w, b);
        Assert.Contains("matmul_epilogue", cf.GraphFor(x, w, b));
        using var stream = new MemoryStream();
        cf.Save(stream);
        stream.Position = 0;
        var loaded = CompiledFunction.Load(stream);
        var y = Data(4, [17, 40], DType.Float64);
        Assert.Equal(Bits(Layer(y, w, b)), Bits(loaded.Call(y, w, b)));
    }

    [Theory]
    [InlineData(0, 1, false)]
    [InlineData(3, 0, true)]
    [InlineData(4, 2, false)]
    [InlineData(2, 1, true)]
    [InlineData(1, 2, true)]
    public void TheFusedPrimitivesDerivativesMatchFiniteDifferences(int activationIndex, int residualIndex, bool biasFirst)
    {
        var (activation, residual) = ((EpilogueActivation)activationIndex, (EpilogueResidual)residualIndex);
        var op = new MatMulEpilogue(biasFirst, activation, residual);
        Tensor[] inputs = residual == EpilogueResidual.None
            ? [Data(1, [3, 4], DType.Float64, true), Data(2, [4, 5], DType.Float64, true), Data(3, [1, 5], DType.Float64, true)]
            : [Data(1, [3, 4], DType.Float64, true), Data(2, [4, 5], DType.Float64, true), Data(3, [1, 5], DType.Float64, true), Data(4, [3, 5], DType.Float64, true)];
        Assert.True(GradCheck.Check(xs => Nabla.Engine.Dispatch.Call(op, xs), inputs));
        // Forward mode against reverse mode: ⟨J v, 1⟩ = ⟨v, Jᵀ 1⟩ for tangents v on every input.
        var tangents = inputs.Select((t, i) => Data(10 + i, t.Shape.ToArray(), DType.Float64)).ToArray();
        var y = Nabla.Engine.Dispatch.Call(op, inputs);
        var grads = Autograd.Grad([y.Sum()], inputs);
        double reverse = grads.Select((g, i) => (g! * tangents[i]).Sum().Item<double>()).Sum();
        using var acc = new ForwardAccumulator(inputs, tangents);
        double forward = acc.Jvp(Nabla.Engine.Dispatch.Call(op, inputs))!.Sum().Item<double>();
        Assert.Equal(reverse, forward, 1e-10);
    }

    [Fact]
    public void PackedWeightsAreNeverStaleAfterAWriteOrAnOptimizerStep()
    {
        // n = 96 and k = 40: the blocked GEMM (whose packed B panels are kept) with per-row-unit epilogues.
        var layer = new Nabla.NN.Linear(40, 96, seed: 3);
        Tensor Layer(Tensor x) => layer.Forward(x).Relu();
        var cf = Graph.Compile(Layer);
        var x = Data(4, [50, 40], DType.Float32);
        void Same()
        {
            using var noGrad = Autograd.NoGrad();
            Assert.Equal(Bits(Layer(x)), Bits(cf.Call(x)));
        }
        Same();
        using (Autograd.NoGrad()) Assert.Contains("matmul_epilogue", cf.GraphFor(x));
        Same();                                                   // the kept panels, unchanged weight
        using (Autograd.NoGrad()) layer.Weight.MulInPlace(-0.5);  // an in-place write
        Same();
        using (Autograd.NoGrad()) layer.Weight.CopyFrom(Data(5, [96, 40], DType.Float32));
        Same();
        var opt = new Nabla.Optim.Sgd(layer.Parameters(), learningRate: 0.1);
        F.Linear(x, layer.Weight, layer.Bias).Square().Sum().Backward();
        opt.Step();                                               // an optimizer step
        Same();
        Same();
    }

    [Fact]
    public void TwoProductsAddedAreFusedOnceNotTwice()
    {
        // Regression: in add(a·b, c·d) of [1, n] products either product looks like the other's row bias; both chains were
        // taken, the second overwrote the first and read a removed value (a NullReferenceException in the replay).
        static Tensor Sum(Tensor a, Tensor b, Tensor c, Tensor d) => a.MatMul(b) + c.MatMul(d);
        var args = new[] { Data(30, [1, 5], DType.Float64), Data(31, [5, 1], DType.Float64), Data(32, [1, 5], DType.Float64), Data(33, [5, 1], DType.Float64) };
        var cf = Graph.Compile((Tensor[] xs) => new[] { Sum(xs[0], xs[1], xs[2], xs[3]) });
        cf.Call(args);
        var compiled = cf.Call(args)[0];
        Assert.Equal(Bits(Sum(args[0], args[1], args[2], args[3])), Bits(compiled));
        Assert.Contains("matmul_epilogue", cf.GraphFor(args));
    }
}
